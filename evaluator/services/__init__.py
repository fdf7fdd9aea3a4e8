"""Use cases as plain async functions (no HTTP): each checks permission, state and
version, writes, and appends an audit event in the same transaction."""
