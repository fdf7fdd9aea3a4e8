"""Registers over HTTP: a streamed import with every problem located in a 422 and nothing
stored, 201 then 200 for the same file, the size limit, metric values, citations on the
scorecard; a replacement after scoring (202, the lead's accept and reject), the agency
refused the evaluator's survey (403), a corrected register kept with a finding."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from api_fixtures import assert_problem, sign_in_everyone
from services.workflow_fixtures import build_county

from evaluator.services.citations import cite
from evaluator.services.evidence import attach_evidence
from evaluator.services.scoring import record_score
from evaluator.store.base import RoundState
from evaluator.store.decisions import Finding
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import Round

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
        token=world.tokens["lead"],  # the panel is blind while open
    )
    assert r.status_code == 200, r.text
    leaves = {leaf["leaf"]: leaf for leaf in r.json()["leaves"]}
    assert leaves["L10"]["evidence"]["status"] == "rejected"
    assert leaves["L10"]["evidence"]["citations"][0]["comment"] == "签名缺失"
    assert leaves["L11"]["evidence"]["status"] == "pending"
    assert leaves["L12"]["evidence"] == {"status": "none", "citations": []}
    assert leaves["L10"]["source"] == "raters"


MEASURED_SYSTEM = """
system: {id: rh, version: '1', name: {zh: 台账, en: Registers}, unit: station, total_points: 100}
grades:
  - {code: pass, zh: 合格, en: Pass, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 100
    children:
      - {code: V1, name: {zh: 志愿者, en: Volunteers}, points: 50, method: ratio, measure: {metric: volunteers_registered, target: 10}, linear: {floor: 0, cap: 1}}
      - {code: J1, name: {zh: 评价, en: Judged}, points: 50, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
"""


async def test_a_replacement_after_scoring_answers_202_and_waits_for_the_lead(
    api, db, evidence_dir
):
    world = await sign_in_everyone(await build_county(system=MEASURED_SYSTEM))
    round_id = world.county.round_a.id
    r = await post_register(api, world, HEAD + "V1,ST01,是,3\n")
    assert r.status_code == 201 and r.json()["state"] == "in_force" and r.json()["note"] is None
    first = r.json()
    await record_score(world.actors["evaluator"], round_id, "ST01", "V1", 1)
    r = await post_register(api, world, HEAD + "V1,ST01,是,3\nV2,ST01,是,3\n", name="v2.csv")
    assert r.status_code == 202, r.text
    pending = r.json()
    assert (pending["state"], pending["active"], pending["replaces_id"]) == (
        "pending",
        False,
        first["id"],
    )
    assert pending["note"]["en"].startswith("pending: waits for the lead evaluator's acceptance")
    assert "主评估员" in pending["note"]["zh"] and "V1" in pending["note"]["en"]
    decide = f"/rounds/{round_id}/registers/volunteers/{pending['id']}"
    r = await api.post(f"{decide}/accept", token=world.tokens["evaluator"], json={})
    assert_problem(r, 403)
    assert_problem(
        await api.post(f"{decide}/reject", token=world.tokens["lead"], json={"reason": ""}), 422
    )
    r = await api.post(f"{decide}/accept", token=world.tokens["lead"], json={"reason": "已核对"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["active"], r.json()["decision_reason"]) == (
        "in_force",
        True,
        "已核对",
    )
    assert_problem(await api.post(f"{decide}/accept", token=world.tokens["lead"], json={}), 409)
    r = await api.get(f"/rounds/{round_id}/registers?history=true", token=world.tokens["lead"])
    assert [(x["id"], x["state"]) for x in r.json()["items"]] == [
        (pending["id"], "in_force"),
        (first["id"], "replaced"),
    ]
    card = await api.get(
        f"/rounds/{round_id}/stations/{world.county.stations['ST01'].id}/scorecard",
        token=world.tokens["lead"],
    )
    history = card.json()["registers"]["volunteers"]  # who, when, both hashes, the decision
    assert [h["state"] for h in history] == ["replaced", "in_force"]
    assert history[1]["replaces"]["sha256"] == history[0]["sha256"] == first["sha256"]
    assert (history[1]["decided_by"], history[1]["decision_reason"]) == ("lead", "已核对")


async def test_the_agency_may_not_import_the_satisfaction_survey(api, world, evidence_dir):
    text = "站点编码,受访者类型,调查方式,总体满意度\nST01,服务对象,电话,5\n"
    body = assert_problem(
        await post_register(api, world, text, name="满意度.csv", kind="satisfaction"), 403
    )
    (problem,) = body["problems"]
    assert "satisfaction" in problem["en"] and "满意度调查" in problem["zh"]
    assert await RegisterImport.all().count() == 0 and files_under(evidence_dir) == []
    r = await post_register(
        api, world, text, name="满意度.csv", kind="satisfaction", who="evaluator"
    )
    assert r.status_code == 201, r.text


async def test_a_corrected_register_goes_to_an_open_finding(api, world, evidence_dir):
    county = world.county
    await post_register(api, world, HEAD + "V1,ST01,是,3\n")
    await Round.filter(id=county.round_a.id).update(state=RoundState.APPROVED)
    finding = await Finding.create(
        round_id=county.round_a.id,
        unit="ST01",
        rule="D2.1",
        severity="correction",
        opened_on=county.round_a.as_of,
        causes=[],
        explanation_en="too few volunteers",
        explanation_zh="志愿者不足",
    )
    text = HEAD + "V1,ST01,是,3\nV2,ST01,是,3\n"
    assert_problem(await post_register(api, world, text), 423)  # the approved round: locked
    r = await api.post(
        f"/findings/{finding.id}/registers/volunteers",
        token=world.tokens["agency_a"],
        content=text.encode(),
        headers={"Content-Type": "text/csv", "X-Filename": quote("更正名册.csv")},
    )
    assert r.status_code == 201, r.text
    kept = r.json()
    assert (kept["state"], kept["active"], kept["finding_id"]) == (
        "rectification",
        False,
        str(finding.id),
    )
    assert kept["note"]["en"].startswith("kept with the finding")
    r = await api.get(f"/findings/{finding.id}/registers", token=world.tokens["agency_a"])
    assert [x["id"] for x in r.json()["items"]] == [kept["id"]]
    r = await api.get(f"/rounds/{county.round_a.id}/registers", token=world.tokens["agency_a"])
    assert [x["state"] for x in r.json()["items"]] == ["in_force"]  # the round is unchanged
    r = await api.get(f"/findings/{finding.id}/registers", token=world.tokens["agency_b"])
    assert_problem(r, 404)
