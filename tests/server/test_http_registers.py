"""Registers over HTTP: a streamed import with every problem located in a 422 and nothing
stored, 201 then 200 for the same file, the size limit, metric values, citations on the
scorecard."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from api_fixtures import assert_problem

from evaluator.services.citations import cite
from evaluator.services.evidence import attach_evidence
from evaluator.store.registers import RegisterImport

HEAD = "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\n"


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def post_register(
    api,
    world,
    text: str,
    name: str = "志愿者名册.csv",
    who: str = "agency_a",
    kind: str = "volunteers",
    encoding: str = "utf-8",
):
    return await api.post(
        f"/rounds/{world.county.round_a.id}/registers/{kind}",
        token=world.tokens[who],
        content=text.encode(encoding),
        headers={"Content-Type": "text/csv", "X-Filename": quote(name)},
    )


async def test_a_broken_register_answers_422_with_every_problem_and_stores_nothing(
    api, world, evidence_dir
):
    r = await post_register(api, world, HEAD + "V1,ST01,是,3\nV2,ST01,也许,3\nV3,ST01,是,3小时\n")
    body = assert_problem(r, 422)
    where = [(p["file"], p["row"], p["column"]) for p in body["problems"]]
    assert where == [
        ("志愿者名册.csv", 3, "已在全国志愿服务信息系统注册"),
        ("志愿者名册.csv", 4, "志愿服务时数"),
    ]
    assert all(p["zh"] for p in body["problems"])
    assert await RegisterImport.all().count() == 0 and files_under(evidence_dir) == []


async def test_import_then_same_file_again(api, world, evidence_dir):
    text = HEAD + "V1,ST01,是,3\nV2,ST02,是,4.5\n"
    r = await post_register(api, world, text, encoding="gb18030")
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["kind"], first["rows"], first["unchanged"], first["original_name"]) == (
        "volunteers",
        2,
        False,
        "志愿者名册.csv",
    )
    r = await post_register(api, world, text, encoding="gb18030")
    assert r.status_code == 200 and r.json()["unchanged"] is True and r.json()["id"] == first["id"]
    r = await api.get(
        f"/rounds/{world.county.round_a.id}/metrics?station=ST02", token=world.tokens["bureau"]
    )
    assert r.status_code == 200
    hours = next(m for m in r.json()["items"] if m["metric"] == "volunteer_hours")
    assert hours["value"] == 4.5 and hours["station"] == "ST02" and hours["leaf"] is None
    r = await api.get(
        f"/rounds/{world.county.round_a.id}/registers", token=world.tokens["evaluator"]
    )
    assert [x["id"] for x in r.json()["items"]] == [first["id"]]


async def test_name_suffix_size_limit_and_kind(api, world, evidence_dir, monkeypatch):
    assert_problem(await post_register(api, world, HEAD, name="registers"), 422)
    assert_problem(await post_register(api, world, HEAD + "V1,ST01,是,3\n", kind="timesheets"), 422)
    monkeypatch.setenv("REGISTER_MAX_BYTES", "100")
    assert_problem(await post_register(api, world, HEAD + "V1,ST01,是,3\n" * 20), 413)
    assert files_under(evidence_dir) == []


async def test_scorecard_shows_evidence_status_per_leaf(api, world, evidence_dir):
    county = world.county
    f = await attach_evidence(
        county.actors["evaluator"],
        county.round_a.id,
        "签到表.pdf",
        "application/pdf",
        b"%PDF sign-in",
    )
    r = await api.post(
        f"/rounds/{county.round_a.id}/citations",
        token=world.tokens["evaluator"],
        json={"unit": "ST01", "leaf": "L10", "evidence": str(f.id)},
    )
    assert r.status_code == 201, r.text
    citation = r.json()
    r = await api.post(
        f"/citations/{citation['id']}/review",
        token=world.tokens["evaluator"],
        json={"status": "rejected", "comment": "签名缺失", "version": 1},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    await cite(county.actors["evaluator"], county.round_a.id, "ST01", "L11", f.id)
    r = await api.get(
        f"/rounds/{county.round_a.id}/stations/{county.stations['ST01'].id}/scorecard",
        token=world.tokens["evaluator"],
    )
    assert r.status_code == 200, r.text
    leaves = {leaf["leaf"]: leaf for leaf in r.json()["leaves"]}
    assert leaves["L10"]["evidence"]["status"] == "rejected"
    assert leaves["L10"]["evidence"]["citations"][0]["comment"] == "签名缺失"
    assert leaves["L11"]["evidence"]["status"] == "pending"
    assert leaves["L12"]["evidence"] == {"status": "none", "citations": []}
    assert leaves["L10"]["source"] == "raters"
