"""Values over HTTP: finite numbers within the leaf's range (NaN, Infinity and numbers too
large are 422 with the field's path, never a 500 and never stored); evidence cited only on
its station; station codes unique regardless of case and width, names not blank."""

from __future__ import annotations

import pytest
from api_fixtures import assert_problem, upload

from evaluator.services import audit
from evaluator.services.evidence import attach_evidence
from evaluator.store.audit import AuditEvent
from evaluator.store.contracts import Station
from evaluator.store.registers import Citation
from evaluator.store.rounds import Score

JSON = {"Content-Type": "application/json"}


async def _nothing_written(before_events: int) -> None:
    assert await Score.all().count() == 0
    assert await Citation.all().count() == 0
    assert await AuditEvent.all().count() == before_events
    assert (await audit.verify()).ok


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"value": NaN}', "body.value"),
        (b'{"value": Infinity}', "body.value"),
        (b'{"value": -Infinity}', "body.value"),
        (b'{"value": 1e400}', "body.value"),  # beyond a double: decoded as infinity
        (b'{"value": 3, "target": NaN}', "body.target"),
        (b'{"value": 3, "n": 1e400}', "body.n"),
        (b'{"value": "NaN"}', "body.value"),  # a string pydantic would read as NaN
        (b'{"value": "-inf"}', "body.value"),
        # a target of 0 is refused by the leaf's zero_target rule (error, the default)
        (b'{"value": 3, "target": 0}', "target"),
        (b'{"value": 3, "target": -5}', "body.target"),
        (b'{"value": 3, "n": -1}', "body.n"),
        (b'{"value": 3, "n": 100000000000000000000}', "body.n"),  # beyond the column
        (b'{"value": 3, "version": 100000000000000000000}', "body.version"),
        (b'{"value": ' + b"9" * 5000 + b"}", "body"),  # more digits than Python converts
        (b'{"value": -1}', "value"),  # a ratio leaf's actual is ≥ 0 (the leaf's range)
    ],
)
async def test_a_value_that_is_not_a_finite_number_in_range_is_422_with_its_path(
    api, world, body, path
):
    events = await AuditEvent.all().count()
    r = world.county.round_a
    response = await api.put(
        f"/rounds/{r.id}/scores/ST01/L00",
        token=world.tokens["evaluator"],
        content=body,
        headers=JSON,
    )
    problem = assert_problem(response, 422, "invalid-input")
    assert path in [p["path"] for p in problem["problems"]], problem
    await _nothing_written(events)


async def test_every_non_finite_number_of_a_body_is_named(api, world):
    r = world.county.round_a
    response = await api.put(
        f"/rounds/{r.id}/scores/ST01/L00",
        token=world.tokens["evaluator"],
        content=b'{"value": NaN, "target": -Infinity, "comment": "x", "evidence": []}',
        headers=JSON,
    )
    problem = assert_problem(response, 422)
    assert [p["path"] for p in problem["problems"]] == ["body.target", "body.value"]
    assert "NaN" in problem["problems"][1]["en"] and problem["problems"][1]["zh"]


async def test_nesting_too_deep_is_422_not_500(api, world):
    response = await api.post(
        "/stations",
        token=world.tokens["bureau"],
        content=b"[" * 100_000 + b"]" * 100_000,
        headers=JSON,
    )
    assert_problem(response, 422)


async def test_a_score_out_of_the_leaf_range_names_the_range(api, world):
    r = world.county.round_a
    response = await api.put(
        f"/rounds/{r.id}/scores/ST01/V1", token=world.tokens["evaluator"], json={"value": 2}
    )
    problem = assert_problem(response, 422)
    assert problem["problems"][0]["path"] == "value"
    assert "one of 0, 1" in problem["problems"][0]["en"]


async def test_a_score_is_written_with_finite_values(api, world):
    r = world.county.round_a
    response = await api.put(
        f"/rounds/{r.id}/scores/st01/L00",  # the code in another case names the same station
        token=world.tokens["evaluator"],
        json={"value": 7.5, "target": 10, "n": 0},
    )
    assert response.status_code == 201, response.text
    assert response.json()["unit"] == "ST01"


async def test_evidence_of_another_station_is_refused_and_nothing_is_written(api, world):
    c = world.county
    r = c.round_a
    other = await attach_evidence(
        world.actors["evaluator"],
        r.id,
        "ST02记录.pdf",
        "application/pdf",
        b"%PDF st02",
        station=c.stations["ST02"],
    )
    general = await upload(world, r.id)  # no station: citable on any unit of the contract
    events = await AuditEvent.all().count()
    response = await api.put(
        f"/rounds/{r.id}/scores/ST01/L00",
        token=world.tokens["evaluator"],
        json={"value": 5, "evidence": [str(general.id), str(other.id)]},
    )
    problem = assert_problem(response, 422)
    (p,) = problem["problems"]
    assert p["path"] == "evidence[1]" and "ST02" in p["en"] and "ST02" in p["zh"]
    await _nothing_written(events)
    cited = await api.post(
        f"/rounds/{r.id}/citations",
        token=world.tokens["agency_a"],
        json={"unit": "ST01", "leaf": "L00", "evidence": str(other.id)},
    )
    assert assert_problem(cited, 422)["problems"][0]["path"] == "evidence"
    ok = await api.put(
        f"/rounds/{r.id}/scores/ST01/L00",
        token=world.tokens["evaluator"],
        json={"value": 5, "evidence": [str(general.id)]},
    )
    assert ok.status_code == 201, ok.text
    assert await Citation.filter(unit="ST01", leaf="L00", evidence_id=general.id).count() == 1


async def test_a_score_citing_evidence_on_a_veto_is_refused_whole(api, world):
    """The issue's half-written score: 422, and neither the score nor its event is kept."""
    r = world.county.round_a
    file = await upload(world, r.id)
    events = await AuditEvent.all().count()
    response = await api.put(
        f"/rounds/{r.id}/scores/ST01/V1",
        token=world.tokens["evaluator"],
        json={"value": 1, "evidence": [str(file.id)]},
    )
    assert assert_problem(response, 422)["problems"][0]["path"] == "evidence"
    await _nothing_written(events)


@pytest.mark.parametrize("code", ["ＳＴ０１", "st01", " ST01 ", "St01"])
async def test_a_station_code_taken_under_another_case_or_width_is_409(api, world, code):
    c = world.county
    response = await api.post(
        "/stations",
        token=world.tokens["bureau"],
        json={"bureau": str(c.bureau.id), "code": code, "name": "重复站"},
    )
    assert_problem(response, 409, "already-exists")
    assert await Station.filter(name="重复站").count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "   "), ("name", "\u3000"), ("name", "站\x00"), ("code", "站 01"), ("code", "  ")],
)
async def test_a_blank_name_or_a_code_off_the_rule_is_422(api, world, field, value):
    body = {"bureau": str(world.county.bureau.id), "code": "ST77", "name": "七七站"} | {
        field: value
    }
    response = await api.post("/stations", token=world.tokens["bureau"], json=body)
    # a control character is refused at the input boundary, before the service's own rule
    where = f"body.{field}" if "\x00" in value else field
    assert assert_problem(response, 422)["problems"][0]["path"] == where


async def test_a_full_width_code_is_stored_folded(api, world):
    response = await api.post(
        "/stations",
        token=world.tokens["bureau"],
        json={"bureau": str(world.county.bureau.id), "code": " ＳＴ０９ ", "name": " 九号站 "},
    )
    assert response.status_code == 201, response.text
    assert (response.json()["code"], response.json()["name"]) == ("ST09", "九号站")
    assert (await Station.get(code="ST09")).code_key == "st09"
