"""Register imports through the service: whole-file validation that leaves the database and
the evidence folder unchanged (the broken-register corpus, on both databases), versions,
idempotency, the audit trail, station checks, permissions; evidence citations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tortoise import Tortoise
from workflow_fixtures import build_county, settle_gaps

from evaluator.errors import InvalidInput, LockedError, NotFound, PermissionDenied
from evaluator.services import audit
from evaluator.services import rounds as rs
from evaluator.services.citations import (
    cite,
    leaf_evidence,
    leaf_status,
    list_citations,
    review_citation,
    round_evidence,
)
from evaluator.services.evidence import attach_evidence
from evaluator.services.registers import import_register, list_imports
from evaluator.services.scoring import record_score
from evaluator.store.audit import AuditEvent
from evaluator.store.base import ReviewStatus
from evaluator.store.registers import RegisterImport

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "registers"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
BROKEN = sorted(name for name, entry in EXPECTED.items() if not entry.get("valid"))


async def snapshot(folder: Path) -> dict:
    """Row counts of every table, the audit chain's head, and the files stored."""
    counts = {m._meta.db_table: await m.all().count() for m in Tortoise.apps["models"].values()}
    last = await AuditEvent.all().order_by("-seq").first()
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    return {"counts": counts, "head": last.hash if last else None, "files": files}


def volunteers(tmp_path: Path, rows: str, name: str = "志愿者名册.csv") -> Path:
    path = tmp_path / name
    path.write_text(
        "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\n" + rows, encoding="utf-8"
    )
    return path


async def test_broken_corpus_gives_located_errors_and_changes_nothing(
    db, evidence_dir, monkeypatch
):
    assert len(BROKEN) >= 20
    county = await build_county()
    actor = county.actors["evaluator"]
    before = await snapshot(evidence_dir)
    for name in BROKEN:
        entry = EXPECTED[name]
        with monkeypatch.context() as patch:
            for key, value in (entry.get("env") or {}).items():
                patch.setenv(key, str(value))
            with pytest.raises(InvalidInput) as caught:
                await import_register(
                    actor, county.round_a.id, entry["kind"], CORPUS / name, sheet=entry.get("sheet")
                )
        problems = caught.value.problems
        assert problems and all(p.file == name for p in problems), name
        located = [
            p for p in problems if p.row is not None or p.column is not None or p.sheet is not None
        ]
        assert located or len(problems) == 1, f"{name}: problems without a place"
        assert await snapshot(evidence_dir) == before, (
            f"{name} changed the database or stored a file"
        )


async def test_import_versions_idempotency_and_audit(db, evidence_dir, tmp_path):
    county = await build_county()
    agency = county.actors["agency_a"]
    first = await import_register(
        agency,
        county.round_a.id,
        "volunteers",
        volunteers(tmp_path, "V1,ST01,是,3\nV2,ST02,否,4\n"),
    )
    assert not first.unchanged and first.replaced is None
    assert (
        first.record.rows == 2
        and first.record.active
        and first.record.original_name == "志愿者名册.csv"
    )
    again = await import_register(
        agency,
        county.round_a.id,
        "volunteers",
        volunteers(tmp_path, "V1,ST01,是,3\nV2,ST02,否,4\n", "copy.csv"),
    )
    assert again.unchanged and again.record.id == first.record.id
    events = await AuditEvent.filter(action="register.import").count()
    assert events == 1  # an unchanged re-import writes nothing
    second = await import_register(
        agency,
        county.round_a.id,
        "volunteers",
        volunteers(tmp_path, "V1,ST01,是,3\nV3,ST01,是,5\n", "v2.csv"),
    )
    assert second.replaced is not None and second.replaced.id == first.record.id
    old = await RegisterImport.get(id=first.record.id)
    assert not old.active and old.replaced_at is not None
    assert (old.state, old.in_force_key) == ("replaced", None)
    assert second.record.replaces_id == first.record.id and second.record.state == "in_force"
    assert second.record.in_force_key == f"{county.round_a.id}:volunteers"
    assert [r.id for r in await list_imports(county.actors["bureau"], county.round_a.id)] == [
        second.record.id
    ]
    assert len(await list_imports(county.actors["bureau"], county.round_a.id, history=True)) == 2
    event = await AuditEvent.filter(action="register.import").order_by("-seq").first()
    before, after = json.loads(event.before), json.loads(event.after)
    assert before["sha256"] == first.record.sha256 and after["sha256"] == second.record.sha256
    assert (await audit.verify()).ok
    library = second.record.metrics["library"]["volunteers_registered"]["stations"]
    assert library["ST01"]["value"] == 2 and library["ST02"]["value"] == 0


async def test_unknown_station_is_located_and_nothing_written(db, evidence_dir, tmp_path):
    county = await build_county()
    before = await snapshot(evidence_dir)
    with pytest.raises(InvalidInput) as caught:
        await import_register(
            county.actors["evaluator"],
            county.round_a.id,
            "volunteers",
            volunteers(tmp_path, "V1,ST01,是,3\nV2,ST03,是,4\n"),
        )
    (problem,) = caught.value.problems
    assert (problem.file, problem.row, problem.column) == ("志愿者名册.csv", 3, "站点编码")
    assert "ST03" in problem.en and "不属于本轮评估" in problem.zh
    assert await snapshot(evidence_dir) == before


async def test_who_may_import(db, evidence_dir, tmp_path):
    county = await build_county()
    path = volunteers(tmp_path, "V1,ST01,是,3\n")
    with pytest.raises(PermissionDenied):
        await import_register(county.actors["bureau"], county.round_a.id, "volunteers", path)
    with pytest.raises(NotFound):
        await import_register(county.actors["agency_b"], county.round_a.id, "volunteers", path)
    with pytest.raises(InvalidInput):
        await import_register(county.actors["evaluator"], county.round_a.id, "timesheets", path)
    with pytest.raises(PermissionDenied):  # the evaluator's instrument, not the agency's
        await import_register(county.actors["agency_a"], county.round_a.id, "satisfaction", path)
    round_ = county.round_a
    await record_score(county.actors["evaluator"], round_.id, "ST01", "L00", 8)
    await settle_gaps(round_, county.actors["lead"])
    round_ = await rs.submit_round(county.actors["lead"], round_, round_.version)
    await rs.approve_round(county.actors["bureau"], round_, round_.version)
    with pytest.raises(LockedError):
        await import_register(county.actors["evaluator"], round_.id, "volunteers", path)


def test_leaf_status_order():
    assert leaf_status([]) == "none"
    assert leaf_status(["accepted", "accepted"]) == "accepted"
    assert leaf_status(["accepted", "pending"]) == "pending"
    assert leaf_status(["pending", "insufficient", "accepted"]) == "insufficient"
    assert leaf_status(["insufficient", "rejected"]) == "rejected"


async def test_citations_are_reviewed_one_by_one(db, evidence_dir):
    county = await build_county()
    round_id = county.round_a.id
    plan = await attach_evidence(
        county.actors["agency_a"], round_id, "服务计划.pdf", "application/pdf", b"%PDF plan"
    )
    photos = await attach_evidence(
        county.actors["evaluator"], round_id, "现场照片.jpg", "image/jpeg", b"\xff\xd8 photo"
    )
    a, created = await cite(county.actors["agency_a"], round_id, "ST01", "L10", plan.id)
    b, _ = await cite(county.actors["evaluator"], round_id, "ST01", "L10", photos.id)
    assert (
        created
        and (await cite(county.actors["evaluator"], round_id, "ST01", "L10", plan.id))[1] is False
    )
    assert (await leaf_evidence(county.round_a, "ST01"))["L10"]["status"] == "pending"
    await review_citation(county.actors["evaluator"], a.id, ReviewStatus.ACCEPTED, "", a.version)
    with pytest.raises(InvalidInput):
        await review_citation(
            county.actors["evaluator"], b.id, ReviewStatus.INSUFFICIENT, " ", b.version
        )
    await review_citation(
        county.actors["evaluator"], b.id, ReviewStatus.INSUFFICIENT, "照片无日期", b.version
    )
    status = (await leaf_evidence(county.round_a, "ST01"))["L10"]
    assert status["status"] == "insufficient"
    assert [(c["name"], c["status"], c["comment"]) for c in status["citations"]] == [
        ("服务计划.pdf", "accepted", ""),
        ("现场照片.jpg", "insufficient", "照片无日期"),
    ]
    with pytest.raises(PermissionDenied):
        await review_citation(county.actors["agency_a"], a.id, ReviewStatus.REJECTED, "x", 2)
    with pytest.raises(PermissionDenied):  # the agency reads reviews once the round is approved
        await list_citations(county.actors["agency_a"], round_id)
    with pytest.raises(InvalidInput):
        await cite(county.actors["evaluator"], round_id, "ST01", "NOPE", plan.id)
    with pytest.raises(InvalidInput):
        await cite(
            county.actors["evaluator"], county.round_b.id, "ST03", "L10", plan.id
        )  # a file of another round


async def test_the_evidence_of_every_unit_at_once_is_each_units(db, evidence_dir):
    county = await build_county()
    round_id = county.round_a.id
    files = [
        await attach_evidence(
            county.actors["agency_a"], round_id, name, "application/pdf", f"%PDF {name}".encode()
        )
        for name in ("a.pdf", "b.pdf")
    ]
    for unit, leaf, f in [("ST02", "L03", 0), ("ST01", "L10", 1), ("ST01", "L10", 0)]:
        await cite(county.actors["agency_a"], round_id, unit, leaf, files[f].id)
    await cite(county.actors["agency_a"], round_id, "ST01", "L02", files[1].id)
    every = await round_evidence(county.round_a)
    assert set(every) == {"ST01", "ST02"}
    for unit in ("ST01", "ST02"):
        assert every[unit] == await leaf_evidence(county.round_a, unit)
    assert [c["name"] for c in every["ST01"]["L10"]["citations"]] == ["b.pdf", "a.pdf"]
    assert await round_evidence(county.round_a, ["ST02"]) == {"ST02": every["ST02"]}
    assert await leaf_evidence(county.round_a, "ST03") == {}


async def test_a_score_naming_evidence_cites_it_for_its_leaf(db, evidence_dir):
    county = await build_county()
    round_id = county.round_a.id
    f = await attach_evidence(
        county.actors["evaluator"], round_id, "个案档案.pdf", "application/pdf", b"%PDF case"
    )
    with pytest.raises(InvalidInput) as caught:
        await record_score(
            county.actors["evaluator"], round_id, "ST01", "L10", 7, evidence=["not-an-id"]
        )
    assert caught.value.problems[0].path == "evidence[0]"
    await record_score(
        county.actors["evaluator"], round_id, "ST01", "L10", 7, evidence=[str(f.id), str(f.id)]
    )
    status = (await leaf_evidence(county.round_a, "ST01"))["L10"]
    assert status["status"] == "pending" and [c["name"] for c in status["citations"]] == [
        "个案档案.pdf"
    ]
