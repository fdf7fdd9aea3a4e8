"""Scorecards as JSON texts with their ETag; an approved round's served from its snapshot.

An approved round's inputs are locked, so each of its scorecards is rendered once from
the round's latest approval snapshot, stored beside it (``snapshot_card``) and served as
stored from then on, by every worker and after restarts: no recomputation, no robustness
re-sampling, the same bytes forever. The round names its snapshot in force
(``snapshot_in_force``, written with the snapshot), so finding the stored card costs no
query once a worker holds it. An upheld appeal writes a new snapshot, whose cards are
rendered afresh; a reopened round is not approved, and is computed on each read (its
results kept per worker by :mod:`evaluator.services.round_cache`).

The first read of one station's card renders every station card of the round at once
(``render_all``: the round computed once, the cards built a chunk at a time) and stores
them, in a task of its own that a request which times out or goes away does not cancel:
a bureau opening 2,500 stations' cards one after another costs one computation of the
round, not one each. The cards a caller may not read are stored, never shown: every read
checks its own permission before it gets here.

A stored card is derived data, not a decision: it is written outside any use case's
transaction, without an audit event, and two workers rendering the same card at once
keep the first (the texts are equal: the rendering is a pure function of the snapshot's
locked round).

The ETag is the digest of the text, so a client that sends it back in ``If-None-Match``
gets a 304 after the same permission checks as a full read.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from evaluator.canonical import sha256_text
from evaluator.services.round_cache import Memo
from evaluator.store.base import RoundState
from evaluator.store.rounds import Round, SnapshotCard


@dataclass(frozen=True)
class CardText:
    body: str  # the JSON document
    etag: str  # its digest, quoted as an HTTP entity tag

    def matches(self, if_none_match: str | None) -> bool:
        """Whether a request's ``If-None-Match`` names this text (``*`` or a list)."""
        if not if_none_match:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags


# (snapshot id, key) → text, per worker: a card is ~10–40 kB
_stored: Memo[CardText] = Memo(2048)
# (snapshot id, what) → the rendering of every card of that kind, per worker: it runs
# detached from the request that started it (a request that times out or goes away does
# not cancel it), and later readers wait for the same one
_every: OrderedDict[tuple[str, str], asyncio.Task[int]] = OrderedDict()
EVERY_KEPT = 256
BATCH = 200  # cards per insert
RenderAll = Callable[[], AsyncIterator[tuple[str, str]]]  # → (key, text) of every card


def card_text(body: str) -> CardText:
    return CardText(body, f'"{sha256_text(body).removeprefix("sha256:")[:40]}"')


async def text(
    round_: Round,
    key: str,
    render: Callable[[], Awaitable[str]],
    render_all: tuple[str, RenderAll] | None = None,
) -> CardText:
    """The card ``key`` of the round: rendered by ``render`` (permission checks are the
    caller's, before), or for an approved round the stored rendering of its snapshot.
    ``render_all``: (what, a renderer of every card of that kind in the round), used once
    per round on the first card missing from the store."""
    snapshot_id = round_.snapshot_in_force if round_.state == RoundState.APPROVED else None
    if snapshot_id is None:
        return card_text(await render())

    async def stored() -> CardText:
        row = await SnapshotCard.filter(snapshot_id=snapshot_id, key=key).first()
        if row is None and render_all is not None:
            what, every = render_all
            await _stored_every((str(snapshot_id), what), snapshot_id, every)
            row = await SnapshotCard.filter(snapshot_id=snapshot_id, key=key).first()
        if row is None:
            body = await render()
            fresh = card_text(body)
            await SnapshotCard.bulk_create(
                [SnapshotCard(snapshot_id=snapshot_id, key=key, body=body, etag=fresh.etag)],
                ignore_conflicts=True,  # another worker rendered it first: keep theirs
            )
            row = await SnapshotCard.get(snapshot_id=snapshot_id, key=key)
        return CardText(row.body, row.etag)

    return await _stored.get((str(snapshot_id), key), stored)


async def _stored_every(key: tuple[str, str], snapshot_id, every: RenderAll) -> int:
    """Every card of that kind stored: rendered once per worker, by a task of its own."""
    loop = asyncio.get_running_loop()
    task = _every.get(key)
    if (
        task is None
        or task.get_loop() is not loop
        or task.cancelled()
        or (task.done() and task.exception() is not None)  # failed: this reader tries again
    ):
        task = loop.create_task(_store_every(snapshot_id, every))
        _every[key] = task
        while len(_every) > EVERY_KEPT:
            _every.popitem(last=False)
    _every.move_to_end(key)
    return await asyncio.shield(task)


async def _store_every(snapshot_id, every: RenderAll) -> int:
    """Store every card ``every`` renders (those already stored are kept); how many."""
    batch: list[SnapshotCard] = []
    count = 0
    async for key, body in every():
        batch.append(
            SnapshotCard(snapshot_id=snapshot_id, key=key, body=body, etag=card_text(body).etag)
        )
        count += 1
        if len(batch) >= BATCH:
            await SnapshotCard.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        await SnapshotCard.bulk_create(batch, ignore_conflicts=True)
    return count
