"""Integrity of registers (issue 12, points 1, 4 and 6), through the services:

- who supplies which register: the agency never imports the evaluator's satisfaction survey
  (403, nothing stored, the score unchanged);
- one version in force per (round, kind), kept by the database: 30 parallel imports of one
  file create exactly one version; 30 of different files leave exactly one in force, every
  loser with nothing stored (PostgreSQL shows the races; SQLite runs the same checks);
- a replacement after an evaluator scored a leaf it fills waits for the lead, who accepts
  or rejects it (audited); every version shows on the scorecard;
- a corrected register against an open finding is kept with the finding, never in force.

The HTTP race against ``evaluator serve --workers 2`` runs on PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from tortoise.exceptions import IntegrityError
from two_workers import two_workers
from workflow_fixtures import build_county

from evaluator.errors import (
    ConflictError,
    InvalidInput,
    LockedError,
    NotFound,
    PermissionDenied,
    StateError,
)
from evaluator.evidence.registers import REGISTERS, SUPPLIERS
from evaluator.services import audit
from evaluator.services.register_versions import (
    accept_replacement,
    finding_registers,
    reject_replacement,
    submit_rectification,
)
from evaluator.services.registers import import_register, list_imports, register_history
from evaluator.services.scorecards import agency_scorecard, station_scorecard
from evaluator.services.scoring import record_score
from evaluator.store.audit import AuditEvent
from evaluator.store.base import RoundState
from evaluator.store.decisions import Finding
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import Round

SYSTEM = """
system: {id: ri, version: '1', name: {zh: 台账测试, en: Register test}, unit: station, total_points: 100}
grades:
  - {code: good, zh: 良好, en: Good, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 100
    children:
      - {code: V1, name: {zh: 志愿者, en: Volunteers}, points: 20, method: ratio, measure: {metric: volunteers_registered, target: 10}, linear: {floor: 0, cap: 1}}
      - {code: F1, name: {zh: 支出, en: Spending}, points: 20, method: ratio, measure: {metric: spending, target: 10000}, linear: {floor: 0, cap: 1}}
      - {code: S1, name: {zh: 满意度, en: Satisfaction}, points: 20, method: likert, measure: {metric: satisfaction_mean, params: {respondent: user}}, scale: [1, 5], mapping: [[3.0, 0], [4.5, 1]]}
      - {code: J1, name: {zh: 评价, en: Judged}, points: 40, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
"""

FINANCE = "日期,站点编码,支出类别,金额（元）,凭证齐全\n"
SURVEY = "站点编码,受访者类型,调查方式,总体满意度\n"
VOLUNTEERS = "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\n"


def finance(tmp_path: Path, amount: int, name: str = "财务台账.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        FINANCE + f"2026-03-01,ST01,活动经费,{amount},是\n2026-03-02,ST02,人员经费,500,是\n",
        encoding="utf-8",
    )
    return path


def survey(tmp_path: Path, scores: list[int], name: str = "满意度.csv") -> Path:
    path = tmp_path / name
    rows = "".join(f"ST01,服务对象,电话,{s}\nST02,服务对象,现场,{s}\n" for s in scores)
    path.write_text(SURVEY + rows, encoding="utf-8")
    return path


def volunteers(tmp_path: Path, registered: int, name: str = "志愿者.csv") -> Path:
    path = tmp_path / name
    rows = "".join(f"V{i},ST01,是,2\n" for i in range(registered))
    path.write_text(VOLUNTEERS + rows + "W1,ST02,否,1\n", encoding="utf-8")
    return path


async def leaf_of(county, code: str, station: str = "ST01") -> dict:
    card = await station_scorecard(
        county.actors["lead"], county.round_a.id, county.stations[station].id
    )
    return next(leaf for leaf in card["leaves"] if leaf["leaf"] == code)


async def in_force(round_id, kind: str) -> list[RegisterImport]:
    return await RegisterImport.filter(round_id=round_id, kind=kind, in_force_key__isnull=False)


# -- who supplies which register -------------------------------------------------------------


def test_every_kind_says_who_supplies_it():
    assert set(SUPPLIERS) == set(REGISTERS)
    assert not SUPPLIERS["satisfaction"].agency_may_import
    assert all(SUPPLIERS[k].agency_may_import for k in REGISTERS if k != "satisfaction")


async def test_the_agency_cannot_import_the_evaluators_survey(db, evidence_dir, tmp_path):
    county = await build_county(system=SYSTEM)
    first = await import_register(
        county.actors["evaluator"], county.round_a.id, "satisfaction", survey(tmp_path, [4, 4, 5])
    )
    assert first.record.state == "in_force"
    before = (await leaf_of(county, "S1"))["points"]
    rows, files = await RegisterImport.all().count(), sorted(evidence_dir.rglob("*"))
    with pytest.raises(PermissionDenied) as caught:
        await import_register(
            county.actors["agency_a"],
            county.round_a.id,
            "satisfaction",
            survey(tmp_path, [5, 5, 5], "all-fives.csv"),
        )
    (problem,) = caught.value.problems
    assert "satisfaction" in problem.en and "evaluation side" in problem.en
    assert "满意度调查" in problem.zh and "评估方" in problem.zh
    assert (await leaf_of(county, "S1"))["points"] == before
    assert await RegisterImport.all().count() == rows and sorted(evidence_dir.rglob("*")) == files
    # the evaluation side imports it; the agency still supplies its operational registers
    await import_register(
        county.actors["lead"], county.round_a.id, "satisfaction", survey(tmp_path, [3], "b.csv")
    )
    done = await import_register(
        county.actors["agency_a"], county.round_a.id, "finance", finance(tmp_path, 900)
    )
    assert done.record.state == "in_force"


# -- one version in force, kept by the database ----------------------------------------------


async def test_the_database_refuses_a_second_version_in_force(db, evidence_dir, tmp_path):
    county = await build_county(system=SYSTEM)
    done = await import_register(
        county.actors["agency_a"], county.round_a.id, "finance", finance(tmp_path, 900)
    )
    fields = {
        k: getattr(done.record, k)
        for k in ("round_id", "kind", "original_name", "size", "rows", "metrics")
    } | {"period_start": done.record.period_start, "period_end": done.record.period_end}
    with pytest.raises(IntegrityError):
        await RegisterImport.create(
            **fields, sha256="0" * 64, in_force_key=done.record.in_force_key
        )


async def test_thirty_parallel_imports_of_one_file_create_one_version(db, evidence_dir, tmp_path):
    county = await build_county(system=SYSTEM)
    path = finance(tmp_path, 1234)
    agency = county.actors["agency_a"]
    results = await asyncio.gather(
        *(import_register(agency, county.round_a.id, "finance", path) for _ in range(30)),
        return_exceptions=True,
    )
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ConflictError)
    ]
    assert unexpected == []
    created = [r for r in results if not isinstance(r, Exception) and not r.unchanged]
    assert len(created) == 1
    assert all(r.record.id == created[0].record.id for r in results if not isinstance(r, Exception))
    assert [r.id for r in await in_force(county.round_a.id, "finance")] == [created[0].record.id]
    assert await RegisterImport.all().count() == 1
    assert await AuditEvent.filter(action="register.import").count() == 1
    assert (await audit.verify()).ok


async def test_thirty_parallel_imports_of_different_files_leave_one_in_force(
    db, evidence_dir, tmp_path
):
    county = await build_county(system=SYSTEM)
    agency = county.actors["agency_a"]
    first = await import_register(agency, county.round_a.id, "finance", finance(tmp_path, 999))
    paths = [finance(tmp_path, 1000 + i, f"finance-{i}.csv") for i in range(30)]
    results = await asyncio.gather(
        *(import_register(agency, county.round_a.id, "finance", p) for p in paths),
        return_exceptions=True,
    )
    assert [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ConflictError)
    ] == []
    created = [r for r in results if not isinstance(r, Exception)]
    assert created and not any(r.unchanged for r in created)
    rows = await RegisterImport.filter(round_id=county.round_a.id, kind="finance")
    # the losers stored nothing
    assert {r.id for r in rows} == {r.record.id for r in created} | {first.record.id}
    (current,) = [r for r in rows if r.in_force_key is not None]
    assert current.state == "in_force" and current.active
    for r in rows:
        if r.id != current.id:
            assert (r.state, r.active, r.replaced_at is not None) == ("replaced", False, True)
    # one line of versions: the first replaces nothing, each replaced version once
    replaces = [r.replaces_id for r in rows]
    assert replaces.count(None) == 1
    assert len(set(replaces) - {None}) == len(rows) - 1 and set(replaces) - {None} <= {
        r.id for r in rows
    }
    by_id = {r.id: r for r in rows}
    length, at = 1, current
    while at.replaces_id is not None:
        at, length = by_id[at.replaces_id], length + 1
    assert length == len(rows)
    lost = {p.name for p, r in zip(paths, results, strict=True) if isinstance(r, Exception)}
    assert not lost & {r.original_name for r in rows}
    for r in results:
        if isinstance(r, ConflictError):
            assert "at the same moment" in r.problems[0].en and "同一时间" in r.problems[0].zh
    assert await AuditEvent.filter(action="register.import").count() == len(rows)
    assert (await audit.verify()).ok


# -- a replacement after scoring waits for the lead --------------------------------------------


async def test_a_replacement_after_scoring_waits_for_the_lead(db, evidence_dir, tmp_path):
    county = await build_county(system=SYSTEM)
    round_id, agency, lead = county.round_a.id, county.actors["agency_a"], county.actors["lead"]
    v1 = (await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 4))).record
    # before any score on V1 a replacement takes effect at once
    v2 = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 5, "v2.csv"))
    assert v2.record.state == "in_force" and v2.replaced.id == v1.id
    v3 = v2
    assert (await leaf_of(county, "V1"))["measured"]["value"] == 5
    # once the evaluators have begun scoring the round (here: another leaf), a replacement
    # waits for the lead: they judge the station as a whole
    await record_score(county.actors["evaluator"], round_id, "ST01", "J1", 7)
    v4 = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 10, "v4.csv"))
    assert v4.pending and v4.scored == ("V1",) and v4.replaced is None
    assert (v4.record.active, v4.record.in_force_key, v4.record.replaces_id) == (
        False,
        None,
        v3.record.id,
    )
    assert (await leaf_of(county, "V1"))["measured"]["value"] == 5  # v2 still counts
    again = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 10, "x.csv"))
    assert again.unchanged and again.record.id == v4.record.id
    assert [r.id for r in await list_imports(lead, round_id)] == [v3.record.id]

    with pytest.raises(PermissionDenied):
        await accept_replacement(county.actors["evaluator"], round_id, "volunteers", v4.record.id)
    with pytest.raises(PermissionDenied):
        await accept_replacement(agency, round_id, "volunteers", v4.record.id)
    with pytest.raises(NotFound):
        await accept_replacement(lead, round_id, "finance", v4.record.id)
    accepted = await accept_replacement(lead, round_id, "volunteers", v4.record.id, "核对原始名册")
    assert (accepted.state, accepted.active, accepted.decided_by_id) == (
        "in_force",
        True,
        county.users["lead"].id,
    )
    old = await RegisterImport.get(id=v3.record.id)
    assert (old.state, old.active, old.in_force_key) == ("replaced", False, None)
    assert (await leaf_of(county, "V1"))["measured"]["value"] == 10
    with pytest.raises(StateError):
        await reject_replacement(lead, round_id, "volunteers", v4.record.id, "晚了")

    v5 = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 2, "v5.csv"))
    v6 = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 3, "v6.csv"))
    assert v5.pending and v6.pending
    with pytest.raises(InvalidInput):
        await reject_replacement(lead, round_id, "volunteers", v5.record.id, "  ")
    rejected = await reject_replacement(
        lead, round_id, "volunteers", v5.record.id, "名册与系统不符"
    )
    assert (rejected.state, rejected.decision_reason) == ("rejected", "名册与系统不符")
    await accept_replacement(lead, round_id, "volunteers", v6.record.id)
    # a pending version imported against a version no longer in force cannot be accepted
    v7 = await import_register(agency, round_id, "volunteers", volunteers(tmp_path, 1, "v7.csv"))
    await import_register(lead, round_id, "volunteers", volunteers(tmp_path, 8, "v8.csv"))
    with pytest.raises(ConflictError):
        await accept_replacement(lead, round_id, "volunteers", v7.record.id)
    assert len(await in_force(round_id, "volunteers")) == 1
    assert (await leaf_of(county, "V1"))["measured"]["value"] == 8  # the lead's own import

    actions = await AuditEvent.filter(action__in=["register.accept", "register.reject"]).count()
    assert actions == 3 and (await audit.verify()).ok
    history = (await register_history(county.round_a))["volunteers"]
    assert [h["state"] for h in history] == [
        "replaced",
        "replaced",
        "replaced",
        "rejected",
        "replaced",
        "pending",
        "in_force",
    ]
    h4 = history[2]
    assert h4["sha256"] == v4.record.sha256 and h4["replaces"]["sha256"] == v3.record.sha256
    assert (h4["imported_by"], h4["decided_by"], h4["decision_reason"]) == (
        "agency_a",
        "lead",
        "核对原始名册",
    )
    assert history[0]["replaces"] is None and history[0]["imported_at"]
    card = await station_scorecard(lead, round_id, county.stations["ST01"].id)
    assert card["registers"]["volunteers"] == history
    assert (await agency_scorecard(lead, round_id))["registers"]["volunteers"] == history


# -- rectification evidence against an open finding --------------------------------------------


async def approved_with_finding(county, tmp_path) -> tuple[Round, Finding]:
    await import_register(
        county.actors["agency_a"], county.round_a.id, "finance", finance(tmp_path, 900)
    )
    await Round.filter(id=county.round_a.id).update(state=RoundState.APPROVED)
    finding = await Finding.create(
        round_id=county.round_a.id,
        unit="ST01",
        rule="B4.2",
        severity="correction",
        opened_on=county.round_a.as_of,
        causes=[],
        explanation_en="spending below plan",
        explanation_zh="预算执行率偏低",
    )
    return await Round.get(id=county.round_a.id), finding


async def test_a_corrected_register_is_kept_with_its_finding(db, evidence_dir, tmp_path):
    county = await build_county(system=SYSTEM)
    round_, finding = await approved_with_finding(county, tmp_path)
    agency = county.actors["agency_a"]
    before = await in_force(round_.id, "finance")
    snapshot = (round_.state, round_.version)
    corrected = finance(tmp_path, 9000, "更正财务台账.csv")
    with pytest.raises(LockedError):  # the approved round itself takes no register
        await import_register(agency, round_.id, "finance", corrected)
    done = await submit_rectification(agency, finding.id, "finance", corrected)
    record = done.record
    assert (record.state, record.active, record.in_force_key, record.finding_id) == (
        "rectification",
        False,
        None,
        finding.id,
    )
    assert record.replaces_id == before[0].id
    assert record.metrics["leaves"]["F1"]["stations"]["ST01"]["value"] == 9000
    assert await in_force(round_.id, "finance") == before
    after = await Round.get(id=round_.id)
    assert (after.state, after.version) == snapshot
    again = await submit_rectification(agency, finding.id, "finance", corrected)
    assert again.unchanged and again.record.id == record.id
    assert [r.id for r in await finding_registers(agency, finding.id)] == [record.id]
    assert [r.id for r in await finding_registers(county.actors["evaluator"], finding.id)] == [
        record.id
    ]
    assert record.id not in {r.id for r in await list_imports(agency, round_.id, history=True)}
    assert "finance" in (await register_history(round_)) and all(
        h["id"] != str(record.id) for h in (await register_history(round_))["finance"]
    )
    event = await AuditEvent.filter(action="register.rectification").get()
    assert event.object_id == str(record.id) and (await audit.verify()).ok

    with pytest.raises(PermissionDenied):  # still the evaluator's instrument
        await submit_rectification(agency, finding.id, "satisfaction", survey(tmp_path, [5]))
    with pytest.raises(NotFound):
        await submit_rectification(county.actors["agency_b"], finding.id, "finance", corrected)
    with pytest.raises(PermissionDenied):
        await submit_rectification(county.actors["bureau"], finding.id, "finance", corrected)
    with pytest.raises(InvalidInput):  # validated as any import
        bad = tmp_path / "bad.csv"
        bad.write_text(FINANCE + "2026-03-01,ST01,活动经费,一千,是\n", encoding="utf-8")
        await submit_rectification(agency, finding.id, "finance", bad)
    await Finding.filter(id=finding.id).update(state="closed")
    with pytest.raises(StateError):
        await submit_rectification(agency, finding.id, "finance", finance(tmp_path, 1, "z.csv"))
    assert await RegisterImport.filter(finding_id=finding.id).count() == 1


async def test_a_corrected_register_feeds_the_next_round(db, evidence_dir, tmp_path):
    from evaluator.services import panel_staff
    from evaluator.services import rounds as rs
    from evaluator.services.register_versions import carry_forward
    from evaluator.store.base import Role, RoundKind
    from evaluator.store.rounds import SystemVersion

    county = await build_county(system=SYSTEM)
    round_, finding = await approved_with_finding(county, tmp_path)
    agency = county.actors["agency_a"]
    corrected = (
        await submit_rectification(
            agency, finding.id, "finance", finance(tmp_path, 9000, "更正财务台账.csv")
        )
    ).record
    final = await rs.create_round(
        county.actors["bureau"],
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.FINAL,
        system=await SystemVersion.get(id=round_.system_id),
        as_of=dt.date(2026, 12, 31),
    )
    await panel_staff.assign(county.admin, final, county.users["lead"], Role.LEAD_EVALUATOR)
    final = await rs.open_round(county.actors["lead"], final, final.version)

    with pytest.raises(InvalidInput):  # not into the round it corrects
        await carry_forward(agency, finding.id, corrected.id, round_.id)
    with pytest.raises(NotFound):  # another agency sees neither
        await carry_forward(county.actors["agency_b"], finding.id, corrected.id, county.round_b.id)
    with pytest.raises(InvalidInput):  # nor into another contract's round
        await carry_forward(county.actors["lead"], finding.id, corrected.id, county.round_b.id)
    done = await carry_forward(agency, finding.id, corrected.id, final.id)
    (now,) = await in_force(final.id, "finance")
    assert now.id == done.record.id and now.sha256 == corrected.sha256
    assert now.metrics["leaves"]["F1"]["stations"]["ST01"]["value"] == 9000
    assert (await in_force(round_.id, "finance"))[0].sha256 != corrected.sha256  # untouched
    event = await AuditEvent.filter(action="register.import", object_id=str(now.id)).get()
    assert json.loads(event.after)["carried_from"] == str(corrected.id)
    assert (await carry_forward(agency, finding.id, corrected.id, final.id)).unchanged
    with pytest.raises(NotFound):  # a register of this finding only
        await carry_forward(agency, finding.id, now.id, final.id)


# -- the HTTP race against two workers (PostgreSQL) --------------------------------------------


async def test_thirty_parallel_posts_to_two_workers_make_one_version(
    db, db_kind, evidence_dir, tmp_path
):
    if db_kind != "postgres":
        pytest.skip("races between sanic workers need PostgreSQL (SQLite allows one worker)")
    from evaluator.services import auth
    from evaluator.services.actors import Actor

    county = await build_county()
    await auth.set_password(Actor.system(), "agency_a", "correct horse battery")
    token = (await auth.login("agency_a", "correct horse battery", "198.51.100.7")).token
    async with two_workers(db.url, evidence_dir) as base:
        url = f"{base}/api/v1/rounds/{county.round_a.id}/registers/finance"
        headers = {"Authorization": f"Bearer {token}", "X-Filename": "finance.csv"}

        async def burst(bodies: list[bytes]) -> list[int]:
            async with httpx.AsyncClient(timeout=30) as client:
                answers = await asyncio.gather(
                    *(client.post(url, content=b, headers=headers) for b in bodies)
                )
            return [a.status_code for a in answers]

        same = (FINANCE + "2026-03-01,ST01,活动经费,1200,是\n").encode()
        codes = await burst([same] * 30)
        assert codes.count(201) == 1 and set(codes) <= {200, 201, 409}, codes
        assert len(await in_force(county.round_a.id, "finance")) == 1
        assert await RegisterImport.all().count() == 1

        different = [
            (FINANCE + f"2026-03-01,ST01,活动经费,{2000 + i},是\n").encode() for i in range(30)
        ]
        codes = await burst(different)
        assert set(codes) <= {201, 409} and codes.count(201) >= 1, codes
        assert len(await in_force(county.round_a.id, "finance")) == 1
        assert await RegisterImport.all().count() == 1 + codes.count(201)
        assert await AuditEvent.filter(action="register.import").count() == 1 + codes.count(201)
