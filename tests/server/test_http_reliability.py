"""A round's reliability over HTTP and the command line: the ICCs on leaf shares and alpha
per level of measurement computed from the stored scores (the same figures as the pure
functions on the hand-built shares), the lenient rater named, unbounded leaves left out
and counted; seen by the lead, the bureau and administrators, never by agencies or by the
other evaluators."""

from __future__ import annotations

import numpy as np
from api_fixtures import fresh_round, sign_in_everyone
from services.workflow_fixtures import build_county

from evaluator.analysis.reliability import icc, krippendorff_alpha
from evaluator.services.scoring import record_score

PANEL_SYSTEM = """
system: {id: panel, version: '1', name: {zh: 合议, en: Panel}, unit: station, total_points: 100}
grades:
  - {code: pass, zh: 合格, en: Pass, min: 60}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 100
    children:
      - {code: R1, name: {zh: 制度一, en: Rule 1}, points: 10, method: rubric, rubric: level-0-4}
      - {code: R2, name: {zh: 制度二, en: Rule 2}, points: 10, method: rubric, rubric: level-0-4}
      - {code: R3, name: {zh: 制度三, en: Rule 3}, points: 10, method: rubric, rubric: level-0-4}
      - code: C1
        name: {zh: 清单, en: Checklist}
        points: 20
        method: checklist
        items:
          - {code: a, text: 台账, points: 10}
          - {code: b, text: 公示, points: 10}
      - {code: N1, name: {zh: 个案, en: Cases}, points: 50, method: ratio, target: 10, linear: {floor: 0, cap: 1}}
"""
# (unit, leaf, item) → levels of the lead, evaluator (one level lenient), evaluator2
LEVELS = {
    ("ST01", "R1"): (3, 4, 3),
    ("ST01", "R2"): (2, 3, 2),
    ("ST01", "R3"): (1, 2, 1),
    ("ST02", "R1"): (4, 4, 3),
    ("ST02", "R2"): (0, 1, 0),
    ("ST02", "R3"): (2, 3, 3),
}
ITEMS = {("ST01", "a"): (1, 1, 1), ("ST01", "b"): (0, 1, 0), ("ST02", "a"): (1, 1, 0)}
RATERS = ("lead", "evaluator", "evaluator2")


async def scored_panel(world):
    r = await fresh_round(world, "open", assign=RATERS)
    for (unit, leaf), values in LEVELS.items():
        for rater, v in zip(RATERS, values, strict=True):
            await record_score(world.actors[rater], r.id, unit, leaf, v)
    for (unit, item), values in ITEMS.items():
        for rater, v in zip(RATERS, values, strict=True):
            await record_score(world.actors[rater], r.id, unit, "C1", v, item=item)
    for rater, v in zip(RATERS, (7, 9, 6), strict=True):
        await record_score(world.actors[rater], r.id, "ST01", "N1", v)
    return r


async def test_the_round_reliability_is_the_pure_figures_on_the_shares(api, db, evidence_dir):
    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await scored_panel(world)
    got = await api.get(f"/rounds/{r.id}/reliability", token=world.tokens["bureau"])
    assert got.status_code == 200, got.text
    body = got.json()

    rubric = np.array(list(LEVELS.values()), dtype=float) / 4  # shares of a 0–4 scale
    items = np.array(list(ITEMS.values()), dtype=float)
    expected = icc(np.vstack([rubric, items]))
    for form, e in expected.forms.items():
        assert abs(body["icc"][form]["value"] - e.value) < 1e-12, form
        assert abs(body["icc"][form]["low"] - e.low) < 1e-12, form
    assert (body["icc_units"], body["icc_raters"]) == (9, 3)
    ordinal = krippendorff_alpha(rubric, "ordinal").value
    nominal = krippendorff_alpha(items, "nominal").value
    assert abs(body["alpha"]["ordinal"]["value"] - ordinal) < 1e-12
    assert abs(body["alpha"]["nominal"]["value"] - nominal) < 1e-12
    assert body["alpha"]["interval"]["value"] is None  # the only other leaf is unbounded
    assert (body["slots"], body["ratings"], body["left_out"]) == (10, 30, 3)

    lenient = body["raters"][0]
    assert lenient["rater"] == "evaluator" and lenient["severity"] > 0.1
    assert lenient["slots"] == 9
    assert {x["rater"] for x in body["raters"]} == set(RATERS)


async def test_who_sees_how_the_raters_agree(api, db, evidence_dir):
    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await scored_panel(world)
    for who, status in (
        ("lead", 200),
        ("bureau", 200),
        ("admin", 200),
        ("auditor", 200),
        ("evaluator", 403),
        ("agency_a", 403),
        ("agency_b", 404),
        ("other_bureau", 404),
    ):
        got = await api.get(f"/rounds/{r.id}/reliability", token=world.tokens[who])
        assert got.status_code == status, (who, got.text)
        if status != 200:
            assert "icc" not in got.text


async def test_agreement_over_a_system_version_and_a_raters_drift(api, db, evidence_dir):
    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    first = await scored_panel(world)
    second = await scored_panel(world)
    system_id = first.system_id
    assert second.system_id == system_id

    pooled = await api.get(f"/systems/{system_id}/reliability", token=world.tokens["bureau"])
    assert pooled.status_code == 200, pooled.text
    body = pooled.json()
    # the two scored rounds, and the county's own two (not scored: no slots)
    assert (body["rounds"], body["icc_units"], body["icc_raters"]) == (4, 18, 3)
    one = (await api.get(f"/rounds/{first.id}/reliability", token=world.tokens["bureau"])).json()
    # the same ratings twice: the same agreement, on twice the slots
    assert abs(body["alpha"]["ordinal"]["value"] - one["alpha"]["ordinal"]["value"]) < 0.05

    drift = await api.get("/users/evaluator/severity", token=world.tokens["bureau"])
    rows = drift.json()["rounds"]
    assert [r["round"] for r in rows] == [str(first.id), str(second.id)]
    assert all(r["severity"] > 0.1 for r in rows)  # lenient in both rounds

    for who in ("agency_a", "evaluator", "other_bureau"):
        blind = await api.get(f"/systems/{system_id}/reliability", token=world.tokens[who])
        assert blind.status_code == 200 and blind.json()["rounds"] == 0, who
        assert (await api.get("/users/evaluator/severity", token=world.tokens[who])).json()[
            "rounds"
        ] == [], who
    missing = await api.get("/users/nobody/severity", token=world.tokens["bureau"])
    assert missing.status_code == 404
