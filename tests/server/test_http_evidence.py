"""Evidence over HTTP: a streamed upload stored by sha256, the size limit and the type
allow-list, client names kept as data only, download headers, review with versions."""

from __future__ import annotations

import hashlib
from pathlib import Path

from api_fixtures import approved_with_evidence, assert_problem

from evaluator.services.evidence import stored_path
from evaluator.store.rounds import EvidenceFile


async def chunks(*parts: bytes):
    for part in parts:
        yield part


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def test_streamed_upload_is_stored_by_sha256_and_downloads_as_an_attachment(
    api, world, evidence_dir
):
    parts = [
        b"%PDF-1.4\n" + b"x" * 70_000,
        b"y" * 70_000,
        b"%%EOF\n",
    ]  # a body in several chunks, no Content-Length
    r = await api.post(
        f"/rounds/{world.county.round_a.id}/evidence?station={world.county.stations['ST01'].id}",
        token=world.tokens["agency_a"],
        content=chunks(*parts),
        headers={
            "Content-Type": "application/pdf",
            "X-Filename": "%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf",
        },
    )
    assert r.status_code == 201, r.text
    record = r.json()
    data = b"".join(parts)
    assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["size"] == len(data)
    assert (record["original_name"], record["media_type"], record["station_id"]) == (
        "年度报告.pdf",
        "application/pdf",
        str(world.county.stations["ST01"].id),
    )
    assert files_under(evidence_dir) == [stored_path(record["sha256"])]
    assert (
        r.headers["etag"] == '"1"' and r.headers["location"] == f"/api/v1/evidence/{record['id']}"
    )

    got = await api.get(f"/evidence/{record['id']}/content", token=world.tokens["bureau"])
    assert got.status_code == 200 and got.content == data
    assert (
        got.headers["content-type"] == "application/pdf"
        and got.headers["x-content-type-options"] == "nosniff"
    )
    assert (
        got.headers["content-disposition"]
        == "attachment; filename=\"____.pdf\"; filename*=UTF-8''%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf"
    )


async def test_a_path_in_the_name_is_only_data(api, world, evidence_dir, tmp_path):
    r = await api.post(
        f"/rounds/{world.county.round_a.id}/evidence?name=../../etc/passwd",
        token=world.tokens["evaluator"],
        content=b"root:x:0:0",
        headers={"Content-Type": "text/plain", "X-Filename": "..%2F..%2Fignored"},
    )
    assert r.status_code == 201, r.text
    assert (
        r.json()["original_name"] == "passwd"
    )  # the query parameter wins; only its last part is kept, as data
    assert files_under(evidence_dir) == [stored_path(r.json()["sha256"])]
    assert not (tmp_path / "etc").exists() and not (evidence_dir.parent / "etc").exists()
    disposition = (
        await api.get(f"/evidence/{r.json()['id']}/content", token=world.tokens["lead"])
    ).headers["content-disposition"]
    assert "/" not in disposition.split(";")[1]


async def test_too_large_is_413_streamed_or_declared_and_leaves_nothing(
    api, world, evidence_dir, monkeypatch
):
    monkeypatch.setenv("EVIDENCE_MAX_BYTES", "1000")
    url, token = f"/rounds/{world.county.round_a.id}/evidence", world.tokens["evaluator"]
    streamed = await api.post(
        url,
        token=token,
        content=chunks(b"a" * 600, b"b" * 600),
        headers={"Content-Type": "text/csv"},
    )
    assert assert_problem(streamed, 413, "too-large")["problems"][0]["path"] == "file"
    declared = await api.post(
        url, token=token, content=b"c" * 1500, headers={"Content-Type": "text/csv"}
    )
    assert_problem(declared, 413, "too-large")
    assert files_under(evidence_dir) == [] and await EvidenceFile.all().count() == 0


async def test_types_outside_the_allow_list_and_empty_files_are_422(api, world, evidence_dir):
    url, token = f"/rounds/{world.county.round_a.id}/evidence", world.tokens["evaluator"]
    html = await api.post(
        url,
        token=token,
        content=b"<script>alert(1)</script>",
        headers={"Content-Type": "text/html"},
    )
    assert assert_problem(html, 422, "invalid-input")["problems"][0]["path"] == "media_type"
    assert_problem(
        await api.post(url, token=token, content=b"", headers={"Content-Type": "text/csv"}), 422
    )
    assert files_under(evidence_dir) == []


async def test_review_needs_the_version_and_a_comment_unless_accepted(api, world):
    record = (
        await api.post(
            f"/rounds/{world.county.round_a.id}/evidence",
            token=world.tokens["agency_a"],
            content=b"a,b\n1,2\n",
            headers={"Content-Type": "text/csv", "X-Filename": "visits.csv"},
        )
    ).json()
    url, lead = f"/evidence/{record['id']}/review", world.tokens["lead"]
    assert_problem(
        await api.post(url, token=lead, json={"status": "rejected", "version": 1}), 422
    )  # no comment
    assert_problem(await api.post(url, token=lead, json={"status": "lost"}), 422)
    assert_problem(await api.post(url, token=lead, json={"status": "accepted"}), 428)
    ok = await api.post(
        url,
        token=lead,
        json={"status": "insufficient", "comment": "缺少签到表"},
        headers={"If-Match": '"1"'},
    )
    assert (
        ok.status_code == 200
        and ok.json()["status"] == "insufficient"
        and ok.headers["etag"] == '"2"'
    )
    assert_problem(await api.post(url, token=lead, json={"status": "accepted", "version": 1}), 409)


async def test_evidence_of_an_approved_round_is_locked_but_readable(api, world):
    approved, evidence = await approved_with_evidence(world)
    assert_problem(
        await api.post(
            f"/rounds/{approved.id}/evidence",
            token=world.tokens["evaluator"],
            content=b"late",
            headers={"Content-Type": "text/plain"},
        ),
        423,
    )
    assert_problem(
        await api.post(
            f"/evidence/{evidence.id}/review",
            token=world.tokens["lead"],
            json={"status": "accepted", "version": 1},
        ),
        423,
    )
    listed = (
        await api.get(f"/evidence?round={approved.id}", token=world.tokens["agency_a"])
    ).json()
    assert [e["id"] for e in listed["items"]] == [str(evidence.id)]
    assert (await api.get(f"/evidence?round={approved.id}", token=world.tokens["agency_b"])).json()[
        "total"
    ] == 0


async def test_a_raw_utf8_file_name_header_is_understood(api, world):
    r = await api.post(
        f"/rounds/{world.county.round_a.id}/evidence",
        token=world.tokens["evaluator"],
        content=b"a,b\n",
        headers={"Content-Type": "text/csv", "X-Filename": "签到表.csv".encode()},
    )
    assert r.status_code == 201 and r.json()["original_name"] == "签到表.csv"
