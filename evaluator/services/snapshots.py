"""The one writer of approval snapshots: a round's results frozen as canonical JSON, with
the digest of the inputs they follow from and the system's hash, audited."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from evaluator.canonical import canonical_json, digest
from evaluator.services import audit
from evaluator.services.actors import Actor, system_user_id
from evaluator.services.round_inputs import inputs_digest, results_document
from evaluator.services.scorecards import Computed
from evaluator.store.rounds import ApprovalSnapshot, Round


@dataclass(frozen=True)
class Frozen:
    """What a snapshot stores of a computed round."""

    system_hash: str
    inputs_digest: str
    results: str  # canonical JSON of the per-unit results
    results_digest: str


async def freeze(done: Computed) -> Frozen:
    """The snapshot's texts and digests of a computed round (pandas work off the event
    loop; call it before taking a write lock when the computation allows)."""
    document = await asyncio.to_thread(results_document, done.result)
    digest_of_inputs = await asyncio.to_thread(
        inputs_digest, done.inputs, done.system, done.units, done.waivers
    )
    return Frozen(
        done.system.content_hash, digest_of_inputs, canonical_json(document), digest(document)
    )


async def write_snapshot(
    actor: Actor, round_: Round, frozen: Frozen, conn, *, after_appeal: bool = False
) -> ApprovalSnapshot:
    """Store a new approval snapshot of ``round_`` and audit it (``round.snapshot``), in
    the caller's transaction.

    The two callers wrote their own copies until they were merged here, and the copies
    differed; each keeps what it did:

    * an approval (``after_appeal=False``) records an actor without a user (the command
      line) as the ``system`` user, and audits the snapshot's id with both digests;
    * a rescore after an upheld appeal (``after_appeal=True``) records the actor's own user
      (the round's lead or an administrator: a user) and audits the snapshot's id with
      ``"after": "appeal"``.
    """
    approved_by = actor.user_id if after_appeal else actor.user_id or await system_user_id(conn)
    snapshot = await ApprovalSnapshot.create(
        round_id=round_.id,
        approved_by_id=approved_by,
        system_hash=frozen.system_hash,
        inputs_digest=frozen.inputs_digest,
        results=frozen.results,
        results_digest=frozen.results_digest,
        using_db=conn,
    )
    # the snapshot in force, named on the round (its version is the workflow's: unchanged)
    await Round.filter(id=round_.id).using_db(conn).update(snapshot_in_force=snapshot.id)
    round_.snapshot_in_force = snapshot.id
    after = (
        {"snapshot": str(snapshot.id), "after": "appeal"}
        if after_appeal
        else {
            "snapshot": str(snapshot.id),
            "inputs_digest": frozen.inputs_digest,
            "results_digest": frozen.results_digest,
        }
    )
    await audit.record(
        actor.username, "round.snapshot", "round", round_.id, None, after, connection=conn
    )
    return snapshot
