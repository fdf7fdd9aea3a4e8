"""Conflicts of interest over HTTP: an evaluator declares a tie with an agency; they are
never assigned to a round of that agency's contracts (409), a round they already score
leaves their values out from then on; declarations are append-only, audited, and seen by
the person, their agency's lead and administrators — not by the agencies."""

from __future__ import annotations

from api_fixtures import assert_problem, fresh_round

from evaluator.services import panel_staff
from evaluator.services.actors import Actor
from evaluator.services.scorecards import compute_round
from evaluator.services.scoring import record_score
from evaluator.store.audit import AuditEvent
from evaluator.store.base import Role


async def test_a_declared_tie_refuses_the_assignment_and_takes_late_values_out(api, world):
    county = world.county
    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    await record_score(world.actors["evaluator"], r.id, "ST01", "L00", 8)
    await record_score(world.actors["evaluator2"], r.id, "ST01", "L00", 2)

    def value() -> float:
        return float(done.inputs.query("unit == 'ST01' and leaf == 'L00'")["value"].iloc[0])

    done = await compute_round(r)
    assert value() == 5  # two raters: their mean

    declared = await api.post(
        "/declarations",
        token=world.tokens["evaluator2"],
        json={
            "organisation": str(county.agency_a.id),
            "kind": "family",
            "note": "配偶在该机构任职",
        },
    )
    assert declared.status_code == 201, declared.text
    body = declared.json()
    assert body["declaration"]["username"] == "evaluator2" and str(r.id) in body["rounds_excluded"]
    done = await compute_round(r)
    assert value() == 8  # the late declaration takes evaluator2's value out

    other = await fresh_round(world, "draft", assign=("lead",))
    refused = await api.post(
        f"/rounds/{other.id}/assignments",
        token=world.tokens["lead"],
        json={"username": "evaluator2", "role": "evaluator"},
    )
    problem = assert_problem(refused, 409)
    assert "declared a tie (family)" in refused.text and "应回避" in refused.text
    assert problem["problems"][0]["where"] == "username"
    # the service refuses it for an administrator too
    try:
        await panel_staff.assign(Actor.system(), other, county.users["evaluator2"], Role.EVALUATOR)
    except Exception as exc:  # noqa: BLE001 - the type is asserted below
        assert type(exc).__name__ == "ConflictError"
    else:
        raise AssertionError("a conflicted evaluator was assigned")

    again = await api.post(
        "/declarations",
        token=world.tokens["evaluator2"],
        json={"organisation": str(county.agency_a.id), "kind": "family"},
    )
    assert_problem(again, 409)
    assert_problem(
        await api.post(
            "/declarations",
            token=world.tokens["evaluator2"],
            json={"organisation": str(county.agency_a.id), "kind": "friendship"},
        ),
        422,
    )
    assert_problem(
        await api.post(
            "/declarations",
            token=world.tokens["evaluator2"],
            json={"organisation": "00000000-0000-0000-0000-000000000000", "kind": "other"},
        ),
        404,
    )
    assert_problem(
        await api.post(
            "/declarations",
            token=world.tokens["evaluator"],
            json={
                "organisation": str(county.agency_a.id),
                "kind": "other",
                "username": "evaluator2",
            },
        ),
        403,
    )
    events = await AuditEvent.filter(action="declaration.add").count()
    assert events == 1

    def names(who: str):
        return api.get("/declarations", token=world.tokens[who])

    for who, sees in (
        ("evaluator2", True),
        ("lead", True),
        ("admin", True),
        ("auditor", True),
        ("evaluator", False),
        ("agency_a", False),
        ("bureau", False),
    ):
        got = await names(who)
        assert got.status_code == 200
        assert ("配偶在该机构任职" in got.text) is sees, who
