"""Memory of computed rounds, per server process (docs/performance.md, "Caches").

A round's engine result is a pure function of its inputs (every rater's values, the
register measures, the lead's adjudications and gap decisions), its pinned system and its
units; its robustness to the weights is a pure function of that result, the contract and
the round's open findings. Both are kept here under the digest of what they follow from,
so a repeat read costs one read of the inputs and a digest instead of a computation (the
robustness sampling is most of a scorecard's cost). Any write to a round changes what
the digest is taken of, so the next read misses and computes afresh: nothing is ever
invalidated by hand and nothing stale can be served.

Concurrent readers of the same key share one computation (single flight), so a burst of
requests on a round that has just changed computes it once. The memory is bounded (least
recently used entries leave first) and belongs to one worker process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import pandas as pd

V = TypeVar("V")


class Memo(Generic[V]):
    """A bounded least-recently-used memory with single-flight computation per key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._flights: dict[Hashable, asyncio.Future[V]] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        if key in self._values:
            self._values.move_to_end(key)
            self.hits += 1
            return self._values[key]
        flight = self._flights.get(key)
        if flight is not None and flight.get_loop() is asyncio.get_running_loop():
            self.hits += 1
            return await asyncio.shield(flight)
        self.misses += 1
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await compute()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                flight.cancel()
            else:
                flight.set_exception(exc)
                flight.exception()  # retrieved: no "never retrieved" warning if none waits
            raise
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.set_result(value)
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        self._values.clear()
        self.hits = self.misses = 0


# a handful of rounds per worker: a province round's result is tens of megabytes
results: Memo = Memo(8)
robustness: Memo = Memo(32)


def inputs_key(
    inputs: pd.DataFrame,
    system_hash: str,
    units: list[str],
    waivers: list[tuple[str, str, str]],
) -> str:
    """A digest of everything a round's engine result follows from, cheap enough to take on
    every read (one vectorised hash of the rows, not the canonical JSON of the approval
    digest): the system's content hash, the units, the gap decisions, the input table's
    columns, dtypes and every row in order."""
    h = hashlib.sha256()
    head = {
        "system": system_hash,
        "units": sorted(units),
        "waivers": sorted(list(w) for w in waivers),
        "columns": [[str(c), str(t)] for c, t in inputs.dtypes.items()],
        "rows": len(inputs),
    }
    h.update(json.dumps(head, ensure_ascii=False, sort_keys=True).encode())
    if len(inputs):
        h.update(pd.util.hash_pandas_object(inputs, index=False).to_numpy().tobytes())
    return "sha256:" + h.hexdigest()
