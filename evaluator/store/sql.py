"""Raw SQL on either database: the one spelling of a statement's parameters."""

from __future__ import annotations


def dialect_of(conn) -> str:
    """``postgres`` or ``sqlite``: the dialect of a tortoise connection."""
    return str(conn.capabilities.dialect)


def parameter(dialect: str, i: int) -> str:
    """The i-th (1-based) parameter of a raw statement: ``$i`` on PostgreSQL, ``?i`` on
    SQLite (numbered, so a statement may use a parameter twice on both)."""
    return f"${i}" if dialect == "postgres" else f"?{i}"
