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
