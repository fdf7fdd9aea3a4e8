"""Results laid out for people: workbooks and printed reports, pure functions of the
documents the services return."""
