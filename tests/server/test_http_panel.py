"""Panel scoring over HTTP: a round the bureau gives to an evaluation agency is seen by
that agency's lead evaluator, who staffs it (nobody else's lead does); while the round takes
scores the panel is blind — each evaluator sees only their own values and no result
computed from the others' — and the lead, the bureau and administrators see everything;
once the round is submitted, the panel sees the results."""

from __future__ import annotations

from api_fixtures import assert_problem, fresh_round

from evaluator.services import rounds as rs
from evaluator.services.completeness import decide_gap
from evaluator.services.scoring import record_score


async def test_the_evaluation_agencys_lead_sees_and_staffs_a_new_round(api, world):
    r = await fresh_round(world, "draft", assign=())
    got = await api.get(f"/rounds/{r.id}", token=world.tokens["lead"])
    assert got.status_code == 200, got.text
    listed = await api.get("/rounds", token=world.tokens["lead"])
    assert str(r.id) in {x["id"] for x in listed.json()["items"]}
    for username, role in (("lead", "lead_evaluator"), ("evaluator", "evaluator")):
        made = await api.post(
            f"/rounds/{r.id}/assignments",
            token=world.tokens["lead"],
            json={"username": username, "role": role},
        )
        assert made.status_code == 201, made.text
    # an evaluator (not a lead) of the agency sees it only once assigned; others never
    assert_problem(await api.get(f"/rounds/{r.id}", token=world.tokens["evaluator2"]), 404)
    assert_problem(await api.get(f"/rounds/{r.id}", token=world.tokens["outsider"]), 404)
    refused = await api.post(
        f"/rounds/{r.id}/assignments",
        token=world.tokens["evaluator"],
        json={"username": "evaluator2", "role": "evaluator"},
    )
    assert_problem(refused, 403)


async def test_the_panel_is_blind_until_the_round_is_submitted(api, world):
    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    await record_score(world.actors["evaluator"], r.id, "ST01", "L00", 8)
    await record_score(world.actors["evaluator2"], r.id, "ST01", "L00", 2)
    await record_score(world.actors["lead"], r.id, "ST01", "L01", 5)

    def raters(response) -> set[str]:
        return {s["rater_id"] for s in response.json()["items"]}

    mine = await api.get(f"/rounds/{r.id}/scores", token=world.tokens["evaluator"])
    assert mine.status_code == 200
    assert raters(mine) == {str(world.county.users["evaluator"].id)}
    assert [s["value"] for s in mine.json()["items"]] == [8]
    for who in ("lead", "bureau", "admin"):
        everything = await api.get(f"/rounds/{r.id}/scores", token=world.tokens[who])
        assert len(raters(everything)) == 3, who

    station = world.county.stations["ST01"].id
    for path in (
        f"/rounds/{r.id}/stations/{station}/scorecard",
        f"/rounds/{r.id}/agency-scorecard",
        f"/rounds/{r.id}/summary",
        f"/rounds/{r.id}/sensitivity?samples=20&attribution=false",
    ):
        blind = await api.get(path, token=world.tokens["evaluator2"])
        assert_problem(blind, 403)
        assert "panel is blind" in blind.text and "互不可见" in blind.text
        assert (await api.get(path, token=world.tokens["lead"])).status_code == 200, path
    # the scoring page shows the evaluator's own value only, and no results section
    page = await api.client.get(
        f"/rounds/{r.id}", headers={"Authorization": f"Bearer {world.tokens['evaluator2']}"}
    )
    assert page.status_code == 200 and 'id="results"' not in page.text

    from evaluator.services.completeness import list_gaps

    _, gaps = await list_gaps(world.actors["lead"], r.id)
    for gap in gaps:
        await decide_gap(world.actors["lead"], r.id, gap.unit, gap.leaf, "not_applicable", "测试")
    r = await rs.submit_round(world.actors["lead"], r, r.version)
    seen = await api.get(f"/rounds/{r.id}/scores", token=world.tokens["evaluator"])
    assert len(raters(seen)) == 3
    card = await api.get(
        f"/rounds/{r.id}/stations/{station}/scorecard", token=world.tokens["evaluator2"]
    )
    assert card.status_code == 200
