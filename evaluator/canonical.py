"""The one canonical JSON text behind every hash (ground floor: standard library only).

Indicator-system content hashes, approval snapshots (results text and digests, the
inputs digest) and the audit chain all hash the text :func:`canonical_json` writes:
keys sorted, no spaces (``","`` and ``":"``), non-ASCII kept as UTF-8, floats as
Python's ``repr`` (``json``'s default), ``NaN``/``Infinity`` as ``json`` writes them.
Dates and datetimes are written as ISO 8601, enums as their value and UUIDs as their
text; a caller may add more types with ``default`` (the audit log: database rows as their
key). Changing anything here changes every stored hash: don't.

Holiday schedules are the one exception: their content hash was taken over json's
default separators (``", "`` and ``": "``) before this module existed, and stored hashes
must not move, so :func:`canonical_json` keeps that form behind ``spaced=True``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from enum import Enum
from typing import Any

COMPACT = (",", ":")
SPACED = (", ", ": ")


def plain(value: Any) -> Any:
    """A value ``json`` cannot write as itself: dates, enums, UUIDs (else TypeError)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID) or (hasattr(value, "hex") and hasattr(value, "int")):
        return str(value)  # asyncpg hands back a UUID type of its own
    raise TypeError(f"cannot write {type(value).__name__} as canonical JSON")


def canonical_json(
    value: Any, *, default: Callable[[Any], Any] | None = None, spaced: bool = False
) -> str:
    """The canonical JSON text of ``value`` (see the module docstring). ``default`` is
    asked first for a value neither ``json`` nor :func:`plain` can write."""

    def fallback(item: Any) -> Any:
        if default is not None:
            try:
                return default(item)
            except TypeError:
                pass
        return plain(item)

    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=SPACED if spaced else COMPACT,
        default=fallback,
    )


def sha256_text(text: str) -> str:
    """``sha256:<hex>`` of a text's UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return sha256_text(canonical_json(value))
