"""POST /spot-checks with a sample: the sample in the answer and in the comparison, and bad
samples located in both languages."""

from __future__ import annotations

from api_fixtures import PASSWORD, assert_problem
from services.test_spot_checks import city_officer

from evaluator.analysis.spot_sample import draw
from evaluator.services import auth
from evaluator.services.actors import Actor

V = "/api/v1"


async def _city_token(world) -> str:
    await city_officer(world.county)
    await auth.set_password(Actor.system(), "city", PASSWORD)
    return (await auth.login("city", PASSWORD, "198.51.100.1")).token


def _body(world, sample) -> dict:
    county = world.county
    return {
        "contract_code": "C-A",
        "evaluation_agency": str(county.evaluators.id),
        "system": str(county.round_a.system_id),
        "as_of": "2026-06-30",
        "sample": sample,
    }


async def test_a_city_commissions_a_drawn_sample(api, world):
    token = await _city_token(world)
    response = await api.post(f"{V}/spot-checks", json=_body(world, {"count": 1}), token=token)
    assert response.status_code == 201, response.text
    found = response.json()
    sample = found["sample"]
    assert sample["method"] == "count" and sample["seed"] == found["id"]
    assert sample["population"] == 2 and sample["stations"] == draw(
        ["ST01", "ST02"], 1, found["id"]
    )

    named = await api.post(
        f"{V}/spot-checks", json=_body(world, {"stations": ["st02"]}), token=token
    )
    assert named.status_code == 201 and named.json()["sample"]["stations"] == ["ST02"]
    whole = await api.post(f"{V}/spot-checks", json=_body(world, None), token=token)
    assert whole.json()["sample"]["method"] == "all"


async def test_bad_samples_answer_422_located_in_both_languages(api, world):
    token = await _city_token(world)
    for sample, path, zh in (
        ({"stations": ["ST01", "ST09"]}, "sample.stations[1]", "不是合同 C-A"),
        ({"share": 0.5, "count": 1}, "sample", "只能选一种"),
        ({"count": 3}, "sample.count", "1 至 2"),
        ({"share": -1}, "sample.share", "抽样比例"),
        ({"size": 2}, "body.sample.size", ""),
    ):
        response = await api.post(f"{V}/spot-checks", json=_body(world, sample), token=token)
        problem = assert_problem(response, 422)
        assert [p["path"] for p in problem["problems"]] == [path], problem
        assert zh in problem["problems"][0]["zh"]
    # the buying bureau samples its own spot check through POST /rounds alike
    county = world.county
    body = {
        "contract": str(county.contract_a.id),
        "evaluation_agency": str(county.evaluators.id),
        "system": str(county.round_a.system_id),
        "kind": "spot_check",
        "as_of": "2026-06-30",
        "sample": {"stations": ["ST01"]},
    }
    response = await api.post(f"{V}/rounds", json=body, token=world.tokens["bureau"])
    assert response.status_code == 201, response.text
    response = await api.post(
        f"{V}/rounds", json=body | {"kind": "final"}, token=world.tokens["bureau"]
    )
    assert assert_problem(response, 422)["problems"][0]["path"] == "sample"
