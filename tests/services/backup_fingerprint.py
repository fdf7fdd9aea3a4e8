"""What a backup must carry over, read from the open database: every table's rows (a digest
of their canonical JSON, in an order no database decides), the audit chain, every approval
snapshot's digests and whether each round's snapshot in force verifies, every station
scorecard's digest and the stored files' bytes.

Imported by tests/services/test_backup.py, and run as a script on ``DATABASE_URL`` /
``EVIDENCE_DIR`` (prints the fingerprint as JSON) for a database of the other kind, which
one test process must not open (tortoise caches SQL per connection name).
"""

from __future__ import annotations

import asyncio
import hashlib
import json

from tortoise import Tortoise

from evaluator.canonical import canonical_json, digest
from evaluator.errors import NotFound
from evaluator.services import audit
from evaluator.services.actors import Actor
from evaluator.services.evidence import stored_path
from evaluator.services.rounds import verify_snapshot
from evaluator.services.scorecards import compute_round, station_scorecard
from evaluator.store.contracts import Station
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import ApprovalSnapshot, EvidenceFile, Round


async def fingerprint() -> dict:
    # the scorecards first: reading an approved round's card stores it (snapshot_card), and
    # the tables are read after, as a backup taken now would find them
    cards = {}
    for round_ in await Round.all().order_by("id"):
        for unit in sorted((await compute_round(round_)).units):
            station = await Station.get_or_none(code=unit)
            if station is None:
                continue
            try:
                card = await station_scorecard(Actor.system(), round_.id, station.id)
            except NotFound:
                continue
            cards[f"{round_.id}/{unit}"] = digest(card)
    tables, rows = {}, {}
    for model in Tortoise.apps["models"].values():
        name = model._meta.db_table
        texts = sorted(canonical_json(row) for row in await model.all().values())
        tables[name] = len(texts)
        rows[name] = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    chain = await audit.verify()
    snapshots, in_force = [], {}
    for s in await ApprovalSnapshot.all().order_by("created_at", "id"):
        snapshots.append(
            [str(s.id), str(s.round_id), s.system_hash, s.inputs_digest, s.results_digest]
        )
        in_force[str(s.round_id)] = s
    verified = {round_id: await verify_snapshot(s) for round_id, s in sorted(in_force.items())}
    hashes = set(await EvidenceFile.all().values_list("sha256", flat=True))
    hashes |= set(await RegisterImport.all().values_list("sha256", flat=True))
    files = {
        sha: hashlib.sha256(stored_path(sha).read_bytes()).hexdigest()
        if stored_path(sha).is_file()
        else "missing"
        for sha in sorted(hashes)
    }
    return {
        "tables": tables,
        "rows": rows,
        "audit": {"ok": chain.ok, "events": chain.events, "head": chain.head_hash},
        "snapshots": snapshots,
        "snapshots_in_force_verify": verified,
        "scorecards": cards,
        "files": files,
    }


async def _main() -> None:
    from evaluator.services import database

    await database.open()
    try:
        print(json.dumps(await fingerprint(), sort_keys=True))
    finally:
        await database.close()


if __name__ == "__main__":
    asyncio.run(_main())
