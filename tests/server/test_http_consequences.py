"""Consequences over HTTP: the decision and its override, the tranche table in fen."""

from __future__ import annotations

from api_fixtures import assert_problem, fresh_round


async def test_decision_override_needs_a_reason_and_tranches_add_up(api, world):
    r = await fresh_round(world, "approved")
    bureau = world.tokens["bureau"]
    got = await api.get(f"/rounds/{r.id}/decision", token=bureau)
    assert got.status_code == 200 and got.json()["status"] == "proposed"
    assert got.json()["recommended"] in ("renew", "conditional", "rebid") and got.json()[
        "explanation_zh"
    ].startswith("建议")
    other = "renew" if got.json()["recommended"] != "renew" else "rebid"
    body = assert_problem(
        await api.post(
            f"/rounds/{r.id}/decision",
            token=bureau,
            json={"accept": False, "outcome": other, "version": 1},
        ),
        422,
    )
    assert body["problems"][0]["path"] == "reason"
    done = await api.post(
        f"/rounds/{r.id}/decision",
        token=bureau,
        json={"accept": False, "outcome": other, "reason": "复核后改判", "version": 1},
    )
    assert (
        done.status_code == 200
        and done.json()["outcome"] == other
        and done.json()["status"] == "overridden"
    )
    table = await api.get(
        f"/contracts/{world.county.contract_a.id}/tranches", token=world.tokens["agency_a"]
    )
    assert table.status_code == 200
    doc = table.json()
    assert sum(t["amount_fen"] for t in doc["items"]) == doc["amount_fen"]
    assert [t["code"] for t in doc["items"]] == ["T1", "T2", "T3"]


async def test_scorecards_carry_robustness_and_the_round_has_a_sensitivity_report(api, world):
    from services.workflow_fixtures import SYSTEM  # noqa: F401  (the fixture county's system)

    from evaluator.services.scoring import record_score

    r = await fresh_round(world, "open")
    for i in range(50):
        await record_score(world.actors["evaluator"], r.id, "ST01", f"L{i:02d}", 6 + (i % 5))
        await record_score(world.actors["evaluator"], r.id, "ST02", f"L{i:02d}", 10 - (i % 7))
    card = await api.get(
        f"/rounds/{r.id}/stations/{world.county.stations['ST01'].id}/scorecard",
        token=world.tokens["bureau"],
    )
    assert card.status_code == 200, card.text
    robust = card.json()["robustness"]
    assert (
        0 <= robust["grade_flip"] <= 1
        and robust["samples"] == 1000
        and robust["total_p5"] <= robust["total_p95"]
    )
    agency = (
        await api.get(f"/rounds/{r.id}/agency-scorecard", token=world.tokens["bureau"])
    ).json()
    assert all("robustness" in s for s in agency["stations"])
    assert agency["recommendation_robustness"]["recommendation"] in (
        "renew",
        "conditional",
        "rebid",
    )
    report = await api.get(
        f"/rounds/{r.id}/sensitivity?samples=200&attribution=false", token=world.tokens["lead"]
    )
    assert (
        report.status_code == 200
        and report.json()["settings"]["samples"] == 200
        and report.json()["attribution"] is None
    )
    assert_problem(
        await api.get(f"/rounds/{r.id}/sensitivity?spread=2", token=world.tokens["lead"]), 422
    )
