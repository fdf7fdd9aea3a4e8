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


async def test_a_wide_disagreement_blocks_submission_until_the_lead_adjudicates(
    api, db, evidence_dir
):
    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county
    from test_http_reliability import PANEL_SYSTEM

    from evaluator.store.audit import AuditEvent

    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    slots = {  # (leaf, item) → values of the lead, evaluator, evaluator2 at ST01
        ("R1", ""): (1, 4, 2),  # three levels apart: blocks
        ("R2", ""): (2, 3, 2),  # one level: allowed
        ("R3", ""): (3, 3, 3),
        ("C1", "a"): (1, 0, 1),  # an item worth half the leaf: blocks
        ("C1", "b"): (1, 1, 1),
        ("N1", ""): (2, 9, 5),  # no upper bound: listed, never blocks
    }
    for unit in ("ST01", "ST02"):
        for (leaf, item), values in slots.items():
            for rater, v in zip(("lead", "evaluator", "evaluator2"), values, strict=True):
                if unit == "ST02":
                    v = values[0]  # ST02: the panel agrees
                await record_score(world.actors[rater], r.id, unit, leaf, v, item=item)

    listed = await api.get(f"/rounds/{r.id}/disagreements", token=world.tokens["lead"])
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["blocking"] == 2
    blocking = [(d["leaf"], d["item"]) for d in body["items"] if d["blocking"]]
    assert sorted(blocking) == [("C1", "a"), ("R1", "")]
    n1 = next(d for d in body["items"] if d["leaf"] == "N1")
    assert n1["limit"] is None and not n1["blocking"] and n1["spread"] == 7
    r2 = next(d for d in body["items"] if d["leaf"] == "R2")
    assert r2["limit"] == 1 and not r2["blocking"]

    refused = await api.post(
        f"/rounds/{r.id}/submit", token=world.tokens["lead"], json={"version": r.version}
    )
    problem = assert_problem(refused, 422)
    paths = {p["where"] for p in problem["problems"]}
    assert {"disagreements.ST01.R1", "disagreements.ST01.C1.a"} <= paths

    adjudicate = f"/rounds/{r.id}/adjudications"
    slot = {"unit": "ST01", "leaf": "R1", "item": ""}
    assert_problem(
        await api.post(
            adjudicate, token=world.tokens["evaluator"], json=slot | {"value": 3, "reason": "x"}
        ),
        403,
    )
    bad = await api.post(
        adjudicate, token=world.tokens["lead"], json=slot | {"value": 7, "reason": ""}
    )
    bad_problem = assert_problem(bad, 422)
    assert {p["where"] for p in bad_problem["problems"]} == {"value", "reason"}
    agreed = await api.post(
        adjudicate,
        token=world.tokens["lead"],
        json={"unit": "ST01", "leaf": "R3", "value": 3, "reason": "x"},
    )
    assert_problem(agreed, 422)  # nothing to adjudicate there
    done = await api.post(
        adjudicate,
        token=world.tokens["lead"],
        json=slot | {"value": 3, "reason": "现场复核制度文本，达到 3 级"},
    )
    assert done.status_code == 200, done.text
    r1 = next(d for d in done.json()["items"] if d["leaf"] == "R1")
    assert (
        r1["adjudicated"] == {"value": 3.0, "reason": "现场复核制度文本，达到 3 级"}
        and not r1["blocking"]
    )
    # the answer is the disagreements as they now stand, computed afresh
    again = await api.get(f"/rounds/{r.id}/disagreements", token=world.tokens["lead"])
    assert done.json()["items"] == again.json()["items"]

    card = await api.get(
        f"/rounds/{r.id}/stations/{world.county.stations['ST01'].id}/scorecard",
        token=world.tokens["lead"],
    )
    leaves = {leaf["leaf"]: leaf for leaf in card.json()["leaves"]}
    assert leaves["R1"]["points"] == 7.5  # level 3 of 0–4 on 10 points: the lead's value counts

    await api.post(
        adjudicate,
        token=world.tokens["lead"],
        json={"unit": "ST01", "leaf": "C1", "item": "a", "value": 1, "reason": "台账齐全"},
    )
    from evaluator.services.completeness import list_gaps
    from evaluator.store.rounds import Round

    _, gaps = await list_gaps(world.actors["lead"], r.id)
    for gap in gaps:
        await decide_gap(world.actors["lead"], r.id, gap.unit, gap.leaf, "not_applicable", "测试")
    r = await Round.get(id=r.id)
    submitted = await api.post(
        f"/rounds/{r.id}/submit", token=world.tokens["lead"], json={"version": r.version}
    )
    assert submitted.status_code == 200, submitted.text
    assert await AuditEvent.filter(action="round.adjudicate").count() == 2

    for who, status in (("agency_a", 403), ("agency_b", 404), ("evaluator", 403), ("bureau", 403)):
        assert (
            await api.get(f"/rounds/{r.id}/disagreements", token=world.tokens[who])
        ).status_code == status, who


async def test_the_lead_adjudicates_on_the_round_page(api, db, evidence_dir):
    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county
    from test_http_reliability import PANEL_SYSTEM

    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    await record_score(world.actors["lead"], r.id, "ST01", "R1", 0)
    await record_score(world.actors["evaluator"], r.id, "ST01", "R1", 4)
    lead = {"Authorization": f"Bearer {world.tokens['lead']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    assert 'id="blocking">1<' in page.text and 'class="blocking"' in page.text
    form = {"unit": "ST01", "leaf": "R1", "item": "", "value": "2", "reason": "两人各执一端，取中"}
    done = await api.client.post(f"/rounds/{r.id}/adjudications", headers=lead, data=form)
    assert done.status_code == 302 and done.headers["location"] == f"/rounds/{r.id}#spread"
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    row = page.text.split('id="spread-ST01-R1"', 1)[1].split("</tr>", 1)[0]
    assert "<strong>2</strong>" in row and "两人各执一端，取中" in row
    assert 'id="blocking"' not in page.text
    bad = await api.client.post(
        f"/rounds/{r.id}/adjudications", headers=lead, data=form | {"value": "inf"}
    )
    assert bad.status_code == 422


async def test_a_rater_who_submits_their_part_sees_the_results_and_writes_no_more(api, world):
    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    await record_score(world.actors["evaluator"], r.id, "ST01", "L00", 8)
    await record_score(world.actors["evaluator2"], r.id, "ST01", "L00", 2)
    card = f"/rounds/{r.id}/agency-scorecard"
    assert_problem(await api.get(card, token=world.tokens["evaluator2"]), 403)

    part = await api.post(f"/rounds/{r.id}/my-part", token=world.tokens["evaluator2"], json={})
    assert part.status_code == 200, part.text
    assert part.json()["unanswered"] > 0  # submitted with leaves unscored: counted, not refused
    assert (await api.get(card, token=world.tokens["evaluator2"])).status_code == 200
    assert_problem(await api.get(card, token=world.tokens["evaluator"]), 403)  # still blind
    again = await api.post(f"/rounds/{r.id}/my-part", token=world.tokens["evaluator2"], json={})
    assert_problem(again, 409)
    late = await api.put(
        f"/rounds/{r.id}/scores/ST01/L01", token=world.tokens["evaluator2"], json={"value": 5}
    )
    assert_problem(late, 409)
    assert "submitted your part" in late.text
    assert_problem(
        await api.post(f"/rounds/{r.id}/my-part", token=world.tokens["lead"], json={}), 403
    )

    reopen = f"/rounds/{r.id}/assignments/evaluator2/reopen"
    assert_problem(
        await api.post(reopen, token=world.tokens["evaluator"], json={"reason": "x"}), 403
    )
    assert (
        await api.post(reopen, token=world.tokens["lead"], json={"reason": "补评 L01"})
    ).status_code == 204
    assert_problem(await api.get(card, token=world.tokens["evaluator2"]), 403)  # blind again
    written = await api.put(
        f"/rounds/{r.id}/scores/ST01/L01", token=world.tokens["evaluator2"], json={"value": 5}
    )
    assert written.status_code == 201, written.text
    from evaluator.store.audit import AuditEvent

    actions = [
        e.action
        for e in await AuditEvent.filter(action__in=["round.submit_part", "round.reopen_part"])
    ]
    assert actions == ["round.submit_part", "round.reopen_part"]


async def test_each_rater_role_scores_its_own_leaves(api, db, evidence_dir):
    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county

    from evaluator.shipped import shipped_system

    world = await sign_in_everyone(
        await build_county(system=shipped_system("station-1000-pools").read_text("utf-8"))
    )
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    purchaser = await api.post(
        f"/rounds/{r.id}/assignments",
        token=world.tokens["lead"],
        json={"username": "bureau", "role": "evaluator", "rater_role": "purchaser"},
    )
    assert purchaser.status_code == 201 and purchaser.json()["rater_role"] == "purchaser"
    for body, says in (
        ({"username": "agency_a", "role": "evaluator", "rater_role": "purchaser"}, "buying bureau"),
        ({"username": "evaluator2", "role": "evaluator", "rater_role": "landlord"}, "rater_role"),
        (
            {"username": "evaluator2", "role": "lead_evaluator", "rater_role": "supervisor"},
            "third party",
        ),
    ):
        refused = await api.post(
            f"/rounds/{r.id}/assignments", token=world.tokens["lead"], json=body
        )
        assert_problem(refused, 422)
        assert says in refused.text, body

    wrong = await api.put(
        f"/rounds/{r.id}/scores/ST01/P2.1", token=world.tokens["evaluator"], json={"value": 4}
    )
    assert_problem(wrong, 403)
    assert "P2.1 is scored by the Purchaser" in wrong.text and "购买方" in wrong.text
    right = await api.put(
        f"/rounds/{r.id}/scores/ST01/P2.1", token=world.tokens["bureau"], json={"value": 4}
    )
    assert right.status_code == 201, right.text
    assert_problem(
        await api.put(
            f"/rounds/{r.id}/scores/ST01/P1.2.1", token=world.tokens["bureau"], json={"value": 4}
        ),
        403,
    )
    # the scoring page shows each rater their own pool only
    page = await api.client.get(
        f"/rounds/{r.id}/stations/ST01",
        headers={"Authorization": f"Bearer {world.tokens['bureau']}"},
    )
    assert 'id="leaf-P2.1"' in page.text and 'id="leaf-P1.2.1"' not in page.text
    page = await api.client.get(
        f"/rounds/{r.id}/stations/ST01",
        headers={"Authorization": f"Bearer {world.tokens['evaluator']}"},
    )
    assert 'id="leaf-P1.2.1"' in page.text and 'id="leaf-P2.1"' not in page.text


async def test_the_system_sets_how_far_apart_is_too_far(api, db, evidence_dir):
    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county
    from test_http_reliability import PANEL_SYSTEM

    wider = PANEL_SYSTEM.replace("grades:", "disagreement: {levels: 2, share: 0.5}\ngrades:", 1)
    world = await sign_in_everyone(await build_county(system=wider))
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    for leaf, item, (a, b) in (("R1", "", (1, 4)), ("R2", "", (1, 3)), ("C1", "a", (0, 1))):
        await record_score(world.actors["lead"], r.id, "ST01", leaf, a, item=item)
        await record_score(world.actors["evaluator"], r.id, "ST01", leaf, b, item=item)
    body = (await api.get(f"/rounds/{r.id}/disagreements", token=world.tokens["lead"])).json()
    blocking = {d["leaf"]: d["blocking"] for d in body["items"]}
    # three levels apart blocks; two do not; an item worth half the leaf is within 50%
    assert blocking == {"R1": True, "R2": False, "C1": False}
    r1 = next(d for d in body["items"] if d["leaf"] == "R1")
    assert r1["limit"] == 2 and r1["why"] == "more than 2 rubric level(s) apart"


async def test_the_lead_assigns_the_purchaser_on_the_round_page(api, db, evidence_dir):
    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county

    from evaluator.shipped import shipped_system
    from evaluator.store.rounds import RoundAssignment

    world = await sign_in_everyone(
        await build_county(system=shipped_system("station-1000-pools").read_text("utf-8"))
    )
    r = await fresh_round(world, "draft", assign=("lead",))
    lead = {"Authorization": f"Bearer {world.tokens['lead']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    section = page.text.split('id="staff"', 1)[1].split("</section>", 1)[0]
    assert 'id="assign-rater-role"' in section and 'value="purchaser"' in section
    assert 'value="bureau"' in section and "购买方" in section
    form = {"username": "bureau", "role": "evaluator", "rater_role": "purchaser"}
    done = await api.client.post(f"/rounds/{r.id}/assignments", headers=lead, data=form)
    assert done.status_code == 302
    assert (
        await RoundAssignment.get(round_id=r.id, user__username="bureau")
    ).rater_role == "purchaser"
    wrong = {"username": "bureau", "role": "evaluator", "rater_role": "third_party"}
    other = await fresh_round(world, "draft", assign=("lead",))
    refused = await api.client.post(f"/rounds/{other.id}/assignments", headers=lead, data=wrong)
    assert refused.status_code == 422  # the bureau's officer never scores for the third party
