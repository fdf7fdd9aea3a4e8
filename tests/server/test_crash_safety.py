"""Crash safety (issue 18): the server process is killed with SIGKILL in the middle of a
register import, an approval and a bulk score write (the offline workbook) — each stopped at
its crash point inside the transaction (evaluator/faults.py). After a restart nothing is
half done: no register version, no half approval (no snapshot, finding or decision, the
round still submitted), no score without its audit event; the audit chain verifies and the
same request then succeeds. On SQLite (one worker) and PostgreSQL (two workers)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from api_fixtures import fresh_round, sign_in_everyone
from services.two_workers import served
from services.workflow_fixtures import build_county
from test_http_offline_workbook import XLSX, fill
from test_http_reliability import PANEL_SYSTEM

from evaluator.services import audit
from evaluator.store.audit import AuditEvent
from evaluator.store.base import RoundState
from evaluator.store.decisions import Decision, Finding
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import ApprovalSnapshot, Round, Score

FINANCE = "日期,站点编码,支出类别,金额（元）,凭证齐全\n2026-03-01,ST01,活动经费,900,是\n"


async def _killed_at(point: str, db, db_kind, evidence_dir, tmp_path, request) -> None:
    """Serve with the crash point set, send ``request(client, base)``, SIGKILL the server
    (every worker) once the point is reached."""
    signal_file = tmp_path / f"{point}.reached"
    env = {"EVALUATOR_CRASH_POINT": point, "EVALUATOR_CRASH_SIGNAL": str(signal_file)}
    workers = 2 if db_kind == "postgres" else 1
    async with (
        served(db.url, evidence_dir, workers=workers, env=env) as (base, process),
        httpx.AsyncClient(timeout=60) as client,
    ):
        sent = asyncio.create_task(request(client, base))
        deadline = time.monotonic() + 30
        while not signal_file.exists():
            assert time.monotonic() < deadline, f"the crash point {point} was not reached"
            assert not sent.done(), (await sent).text  # answered: the point was missed
            await asyncio.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        with contextlib.suppress(httpx.HTTPError):  # the connection died with the server
            await sent
    assert signal_file.read_text(encoding="utf-8") == point


async def _again(db, evidence_dir, request) -> httpx.Response:
    async with served(db.url, evidence_dir) as (base, _), httpx.AsyncClient(timeout=60) as client:
        return await request(client, base)


async def test_a_register_import_killed_midway_leaves_nothing(db, db_kind, evidence_dir, tmp_path):
    world = await sign_in_everyone(await build_county())
    round_id = world.county.round_a.id

    def post(client, base):
        return client.post(
            f"{base}/api/v1/rounds/{round_id}/registers/finance",
            content=FINANCE.encode(),
            headers={
                "Authorization": f"Bearer {world.tokens['agency_a']}",
                "X-Filename": quote("财务台账.csv"),
            },
        )

    await _killed_at("register.import", db, db_kind, evidence_dir, tmp_path, post)
    assert await RegisterImport.filter(round_id=round_id).count() == 0
    assert await AuditEvent.filter(action="register.import").count() == 0
    assert (await audit.verify()).ok
    assert (await _again(db, evidence_dir, post)).status_code == 201
    assert await RegisterImport.filter(round_id=round_id, active=True).count() == 1
    assert (await audit.verify()).ok


async def test_an_approval_killed_midway_leaves_the_round_submitted(
    db, db_kind, evidence_dir, tmp_path
):
    world = await sign_in_everyone(await build_county())
    r = await fresh_round(world, "submitted")

    def approve(client, base):
        return client.post(
            f"{base}/api/v1/rounds/{r.id}/approve",
            headers={
                "Authorization": f"Bearer {world.tokens['bureau']}",
                "If-Match": f'"{r.version}"',
            },
        )

    await _killed_at("round.approve", db, db_kind, evidence_dir, tmp_path, approve)
    after = await Round.get(id=r.id)
    assert (after.state, after.version) == (RoundState.SUBMITTED, r.version)
    assert await ApprovalSnapshot.filter(round_id=r.id).count() == 0
    assert await Finding.filter(round_id=r.id).count() == 0
    assert await Decision.filter(round_id=r.id).count() == 0
    assert await AuditEvent.filter(action="round.approve").count() == 0
    assert (await audit.verify()).ok
    assert (await _again(db, evidence_dir, approve)).status_code == 200
    assert (await Round.get(id=r.id)).state == RoundState.APPROVED
    assert await ApprovalSnapshot.filter(round_id=r.id).count() == 1
    assert (await audit.verify()).ok


async def test_a_bulk_score_write_killed_midway_leaves_no_score_without_its_event(
    api, db, db_kind, evidence_dir, tmp_path
):
    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    got = await api.client.get(
        f"/api/v1/rounds/{r.id}/workbook",
        headers={"Authorization": f"Bearer {world.tokens['evaluator']}"},
    )
    filled = fill(
        got.content,
        {
            ("ST01", "R1", ""): (3, None),
            ("ST01", "R2", ""): (4, None),
            ("ST01", "C1", "a"): (1, None),
            ("ST02", "R3", ""): (1, None),
        },
    )

    def post(client, base):
        return client.post(
            f"{base}/api/v1/rounds/{r.id}/workbook",
            content=filled,
            headers={
                "Authorization": f"Bearer {world.tokens['evaluator']}",
                "Content-Type": XLSX,
                "X-Filename": quote("评分表.xlsx"),
            },
        )

    await _killed_at("scores.bulk", db, db_kind, evidence_dir, tmp_path, post)
    assert await Score.filter(round_id=r.id).count() == 0
    assert await AuditEvent.filter(action="score.write").count() == 0
    assert (await audit.verify()).ok
    done = await _again(db, evidence_dir, post)
    assert done.status_code == 200 and done.json()["written"] == 4, done.text
    scores = await Score.filter(round_id=r.id).values_list("id", flat=True)
    events = await AuditEvent.filter(action="score.write").values_list("object_id", flat=True)
    assert len(scores) == 4 and {str(s) for s in scores} == {str(e) for e in events}
    assert (await audit.verify()).ok


def test_the_crash_points_are_the_ones_tested():
    from evaluator import faults

    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{point}"' in source for point in faults.POINTS)
