"""Evidence files: streamed, content-addressed, reviewed, scoped."""

from __future__ import annotations

import hashlib

import pytest
from workflow_fixtures import build_county, settle_gaps

from evaluator.errors import ConflictError, InvalidInput, LockedError, NotFound, PermissionDenied
from evaluator.services import rounds as rs
from evaluator.services.evidence import attach_evidence, read_evidence, review_evidence, stored_path
from evaluator.store.audit import AuditEvent
from evaluator.store.base import ReviewStatus
from evaluator.store.rounds import EvidenceFile


@pytest.fixture
async def county(db):
    return await build_county()


async def _chunks(*parts: bytes):
    for part in parts:
        yield part


async def test_streamed_upload_is_stored_by_content_hash(county, evidence_dir):
    body = "签到表 sign-in sheet\n".encode() * 1000
    record = await attach_evidence(
        county.actors["agency_a"],
        county.round_a.id,
        "../../etc/台账.pdf",
        "application/pdf",
        _chunks(body[:5000], body[5000:]),
        station=county.stations["ST01"],
    )
    digest = hashlib.sha256(body).hexdigest()
    assert (record.sha256, record.size, record.original_name) == (digest, len(body), "台账.pdf")
    path = stored_path(digest)
    assert path == evidence_dir / digest[:2] / digest[2:4] / digest and path.read_bytes() == body
    # the same content again is stored once
    again = await attach_evidence(
        county.actors["evaluator"], county.round_a.id, "copy.pdf", "application/pdf", body
    )
    assert again.sha256 == digest and again.id != record.id
    assert [p for p in evidence_dir.rglob("*") if p.is_file()] == [path]
    assert await AuditEvent.filter(action="evidence.attach").count() == 2


async def test_upload_limits_and_types(county, evidence_dir, monkeypatch):
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "100")
    with pytest.raises(InvalidInput) as exc:
        await attach_evidence(
            county.actors["evaluator"],
            county.round_a.id,
            "big.pdf",
            "application/pdf",
            _chunks(b"x" * 60, b"y" * 60),
        )
    assert "larger than 100" in str(exc.value)
    with pytest.raises(InvalidInput):
        await attach_evidence(
            county.actors["evaluator"],
            county.round_a.id,
            "run.exe",
            "application/x-msdownload",
            b"MZ",
        )
    with pytest.raises(InvalidInput):
        await attach_evidence(
            county.actors["evaluator"], county.round_a.id, "empty.pdf", "application/pdf", b""
        )
    assert await EvidenceFile.all().count() == 0
    assert [
        p for p in evidence_dir.rglob("*") if p.is_file()
    ] == []  # no temporary file left behind


async def test_upload_scope_and_lock(county):
    with pytest.raises(NotFound):  # agency B cannot even see round A
        await attach_evidence(
            county.actors["agency_b"], county.round_a.id, "x.pdf", "application/pdf", b"%PDF"
        )
    with pytest.raises(PermissionDenied):  # the bureau sees the round but does not upload evidence
        await attach_evidence(
            county.actors["bureau"], county.round_a.id, "x.pdf", "application/pdf", b"%PDF"
        )
    await settle_gaps(county.round_a, county.actors["lead"])
    r = await rs.submit_round(county.actors["lead"], county.round_a, county.round_a.version)
    await rs.approve_round(county.actors["bureau"], r, r.version)
    with pytest.raises(LockedError):
        await attach_evidence(
            county.actors["evaluator"], county.round_a.id, "x.pdf", "application/pdf", b"%PDF"
        )


async def test_review_needs_comment_version_and_evaluator(county):
    record = await attach_evidence(
        county.actors["agency_a"], county.round_a.id, "a.pdf", "application/pdf", b"%PDF-1.7"
    )
    ev = county.actors["evaluator"]
    with pytest.raises(InvalidInput):  # rejecting without a comment
        await review_evidence(ev, record.id, ReviewStatus.REJECTED, " ", record.version)
    with pytest.raises(PermissionDenied):
        await review_evidence(
            county.actors["agency_a"], record.id, ReviewStatus.ACCEPTED, "", record.version
        )
    reviewed = await review_evidence(
        ev, record.id, ReviewStatus.INSUFFICIENT, "缺少签字页", record.version
    )
    assert (reviewed.status, reviewed.review_comment, reviewed.version) == (
        ReviewStatus.INSUFFICIENT,
        "缺少签字页",
        2,
    )
    with pytest.raises(ConflictError):
        await review_evidence(ev, record.id, ReviewStatus.ACCEPTED, "", record.version)


async def test_agency_reads_evidence_only_after_approval(county):
    record = await attach_evidence(
        county.actors["evaluator"], county.round_a.id, "a.pdf", "application/pdf", b"%PDF-1.7"
    )
    found, path = await read_evidence(county.actors["bureau"], record.id)
    assert path.read_bytes() == b"%PDF-1.7"
    with pytest.raises(NotFound):
        await read_evidence(county.actors["agency_a"], record.id)
    with pytest.raises(NotFound):
        await read_evidence(county.actors["agency_b"], record.id)
    await settle_gaps(county.round_a, county.actors["lead"])
    r = await rs.submit_round(county.actors["lead"], county.round_a, county.round_a.version)
    await rs.approve_round(county.actors["bureau"], r, r.version)
    found, _ = await read_evidence(county.actors["agency_a"], record.id)
    assert found.id == record.id
    with pytest.raises(NotFound):
        await read_evidence(county.actors["agency_b"], record.id)


# --- evidence is cited only on its own station (issue 12, point 9) ----------------------------


async def test_station_evidence_is_cited_only_on_its_station(county):
    from evaluator.services.citations import cite
    from evaluator.services.scoring import record_score
    from evaluator.store.registers import Citation
    from evaluator.store.rounds import Score

    ev, agency = county.actors["evaluator"], county.actors["agency_a"]
    st02 = await attach_evidence(
        agency,
        county.round_a.id,
        "ST02签到表.pdf",
        "application/pdf",
        b"%PDF st02",
        station=county.stations["ST02"],
    )
    general = await attach_evidence(
        agency, county.round_a.id, "合同.pdf", "application/pdf", b"%PDF contract"
    )
    events = await AuditEvent.all().count()
    with pytest.raises(InvalidInput) as exc:
        await cite(agency, county.round_a.id, "ST01", "L00", st02.id)
    (p,) = exc.value.problems
    assert p.path == "evidence" and "ST02" in p.en and "ST02" in p.zh
    with pytest.raises(InvalidInput) as exc:  # the score and its citations: all or nothing
        await record_score(
            ev, county.round_a.id, "ST01", "L00", 5, evidence=[str(general.id), str(st02.id)]
        )
    assert [p.path for p in exc.value.problems] == ["evidence[1]"]
    assert await Score.all().count() == await Citation.all().count() == 0
    assert await AuditEvent.all().count() == events
    # on its own station, and a contract-level file on any station of the round
    own, created = await cite(agency, county.round_a.id, "st02", "L00", st02.id)
    assert created and own.unit == "ST02"
    for unit in ("ST01", "ST02"):
        _, created = await cite(agency, county.round_a.id, unit, "L01", general.id)
        assert created
    score = await record_score(
        ev, county.round_a.id, "ST02", "L00", 5, evidence=[str(st02.id), str(general.id)]
    )
    assert score.evidence == [str(st02.id), str(general.id)]
    cited = {(c.unit, c.leaf, c.evidence_id) for c in await Citation.all()}
    assert cited == {
        ("ST02", "L00", st02.id),
        ("ST02", "L00", general.id),
        ("ST01", "L01", general.id),
        ("ST02", "L01", general.id),
    }  # the file already cited on ST02 L00 keeps its one citation


async def test_scores_and_citations_of_the_same_files_at_once_all_succeed(county):
    """Raters citing two files in opposite orders while the agency cites them too: every
    write succeeds (no deadlock: row locks before the audit chain's, files in id order),
    each file is cited once for the leaf, with one audit event."""
    import asyncio

    from evaluator.services import audit
    from evaluator.services.citations import cite
    from evaluator.services.scoring import record_score
    from evaluator.store.registers import Citation

    r = county.round_a.id
    f1, f2 = [
        await attach_evidence(
            county.actors["evaluator"], r, f"{n}.pdf", "application/pdf", f"%PDF {n}".encode()
        )
        for n in ("a", "b")
    ]
    one, two = str(f1.id), str(f2.id)
    await asyncio.gather(
        record_score(county.actors["evaluator"], r, "ST01", "L00", 5, evidence=[one, two]),
        record_score(county.actors["evaluator2"], r, "ST01", "L00", 6, evidence=[two, one]),
        record_score(county.actors["lead"], r, "ST01", "L00", 7, evidence=[two]),
        cite(county.actors["agency_a"], r, "ST01", "L00", f1.id),
        cite(county.actors["agency_a"], r, "ST01", "L00", f2.id),
    )
    assert await Citation.filter(unit="ST01", leaf="L00").count() == 2
    assert await AuditEvent.filter(action="citation.create").count() == 2
    assert (await audit.verify()).ok
