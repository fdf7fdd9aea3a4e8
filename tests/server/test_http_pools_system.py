"""The shipped 1000-point evaluator-pool system (indicators/station-1000-pools.yaml) scores
the same small cohort to the same totals and grades through `evaluator score`, the API
scorecard and `evaluator sensitivity` (issue 14), against hand-computed figures.

ST01 loses 110 base points (P1.2.1 level 0: −40, P1.2.5 four incidents: −40, P1.4.3 level 0:
−30): base 890 and bonus 20 (one award, two reports): total 910 — 优秀 on the total, but the
system grades on the base (加分不计入等级): 良好.
ST02 is full everywhere but the purchaser pool P2: 差/差 on P2.1 and P2.2 (40% of 80 and 60),
one item of three on P2.3: 32 + 24 + 20 = 76 of 200 (38% < 60%); base 876, band 良好, capped at
合格 by the pool floor, flagged floor:P2. Its contract sets no group target (target 0), so
P1.3.2 is skipped (zero_target: skip) and P1.3 is judged on its other outputs.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from api_fixtures import sign_in_everyone
from services.workflow_fixtures import build_county, settle_gaps

from evaluator.cli import main
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services.actors import Actor
from evaluator.services.scoring import record_scores
from evaluator.shipped import shipped_system
from evaluator.store.base import Role
from evaluator.store.rounds import Round, RoundAssignment
from evaluator.systems import parse_system

SYSTEM = shipped_system("station-1000-pools")
ELAPSED = 0.5  # the workflow county's mid-term round


def full_marks(unit: str) -> list[dict]:
    """Every leaf of the system at its best value for ``unit`` (targets as a rater gives them)."""
    rows = [{"leaf": "P1.1.1", "item": i, "value": 1} for i in "abc"]
    rows += [
        {"leaf": "P1.1.2", "value": 3, "target": 3},
        {"leaf": "P1.1.3", "value": 1},
        {"leaf": "P1.2.1", "value": 4},
        {"leaf": "P1.2.2", "value": 4},
        {"leaf": "P1.2.3", "value": 1},
        {"leaf": "P1.2.4", "value": 24},
        {"leaf": "P1.2.5", "value": 0},
        {"leaf": "P1.3.1", "value": 10, "target": 20},  # pro-rated: 20 × 0.5
        {"leaf": "P1.3.2", "value": 4, "target": 8},
        {"leaf": "P1.3.3", "value": 6, "target": 12},
        {"leaf": "P1.3.4", "value": 0.8},
        {"leaf": "P1.3.5", "value": 5},
        {"leaf": "P1.3.6", "value": 4.6, "n": 40},
        {"leaf": "P1.4.1", "value": 50, "target": 50},
        {"leaf": "P1.4.2", "value": 3},
        {"leaf": "P1.4.3", "value": 4},
        {"leaf": "P2.1", "value": 4},
        {"leaf": "P2.2", "value": 4},
        *[{"leaf": "P2.3", "item": i, "value": 1} for i in "abc"],
        {"leaf": "P3.1", "value": 5},
        *[{"leaf": "P3.2", "item": i, "value": 1} for i in "ab"],
        {"leaf": "X1", "value": 0},
        {"leaf": "X2", "value": 0},
        *[{"leaf": v, "value": 0} for v in ("V1", "V2", "V3")],
    ]
    return [{"unit": unit, **row} for row in rows]


def cohort() -> pd.DataFrame:
    changes = {
        ("ST01", "P1.2.1", None): {"value": 0},
        ("ST01", "P1.2.5", None): {"value": 4},
        ("ST01", "P1.4.3", None): {"value": 0},
        ("ST01", "X1", None): {"value": 1},
        ("ST01", "X2", None): {"value": 2},
        ("ST02", "P2.1", None): {"value": 1},
        ("ST02", "P2.2", None): {"value": 1},
        ("ST02", "P2.3", "b"): {"value": 0},
        ("ST02", "P2.3", "c"): {"value": 0},
        ("ST02", "P1.3.2", None): {"value": 0, "target": 0},
    }
    rows = []
    for row in full_marks("ST01") + full_marks("ST02"):
        rows.append(row | changes.get((row["unit"], row["leaf"], row.get("item")), {}))
    frame = pd.DataFrame(rows, columns=["unit", "leaf", "item", "value", "target", "n"])
    return frame.astype({"value": float, "target": float, "n": float})


EXPECTED = {  # unit: (base, bonus, total, graded, grade before caps, final grade)
    "ST01": (890.0, 20.0, 910.0, 890.0, "good", "good"),
    "ST02": (876.0, 0.0, 876.0, 876.0, "good", "pass"),
}


async def record_scores_refused(world, round_id, rows) -> str:
    """The third party's evaluator trying the purchaser's leaves: refused, every leaf named."""
    from evaluator.errors import PermissionDenied

    try:
        await record_scores(world.actors["evaluator"], round_id, rows)
    except PermissionDenied as exc:
        return " ".join(p.en for p in exc.problems)
    raise AssertionError("a rater scored another role's leaves")


def test_the_system_checks(capsys):
    assert main(["check-system", str(SYSTEM)]) == 0
    out = capsys.readouterr().out
    assert "families 一级指标: 3" in out and "base 基础分" in out


@pytest.fixture
def raw_csv(tmp_path):
    path = tmp_path / "raw.csv"
    cohort().assign(elapsed=ELAPSED).to_csv(path, index=False)
    return path


def test_evaluator_score(raw_csv, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    argv = ["score", "--system", str(SYSTEM), "--input", str(raw_csv), "--output", str(out)]
    assert main([*argv, "--explain", "ST02"]) == 0
    printed = capsys.readouterr().out
    assert "890.0" in printed and "910.0" in printed  # one decimal, as the system says
    assert "P2.3" in printed and "floor" in printed  # the tree, groups included
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    for unit, (base, bonus, total, graded, uncapped, grade) in EXPECTED.items():
        row = table.loc[unit]
        assert (row["base"], row["bonus"], row["total"], row["graded"]) == (
            base,
            bonus,
            total,
            graded,
        )
        assert (row["grade_uncapped"], row["grade"]) == (uncapped, grade)
    assert table.loc["ST02", "floor"] == "P2" and table.loc["ST01", "floor"] == ""
    assert table.loc["ST02", "P2"] == 76.0 and table.loc["ST02", "P1.3.2"] == ""
    assert table.loc["ST02", "zero_target"] == "P1.3.2"
    assert (table["grade_on"] == "base").all()


def test_evaluator_sensitivity_same_totals_and_grades(raw_csv, tmp_path, capsys):
    out = tmp_path / "report.json"
    argv = ["sensitivity", "--system", str(SYSTEM), "--input", str(raw_csv), "--samples", "64"]
    assert main([*argv, "--no-attribution", "--output", str(out)]) == 0
    units = {u["unit"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}
    for unit, (_, _, total, _, _, grade) in EXPECTED.items():
        assert (units[unit]["total"], units[unit]["grade"]) == (total, grade)


async def test_api_scorecard_same_totals_and_grades(api, db):
    world = await sign_in_everyone(await build_county(system=SYSTEM.read_text(encoding="utf-8")))
    county = world.county
    round_ = county.round_a
    # each pool scored by its rater role: the third party, the purchaser (the buying bureau's
    # officer), the supervisor (a second evaluator of the evaluation agency)
    await panel_staff.assign(
        Actor.system(), round_, county.users["bureau"], Role.EVALUATOR, "purchaser"
    )
    await RoundAssignment.filter(round_id=round_.id, user_id=county.users["evaluator2"].id).update(
        rater_role="supervisor"
    )
    system = parse_system(SYSTEM.read_text(encoding="utf-8"), SYSTEM.name)
    rows = cohort()
    role = rows["leaf"].map(
        lambda c: (
            getattr(system.nodes[c].spec, "role", "third_party")
            if c in system.nodes
            else "third_party"
        )
    )
    for who, part in (
        ("evaluator", "third_party"),
        ("bureau", "purchaser"),
        ("evaluator2", "supervisor"),
    ):
        mine = rows[role == part]
        assert await record_scores(world.actors[who], round_.id, mine) == len(mine) > 0, part
    refused = await record_scores_refused(world, round_.id, rows[role == "purchaser"])
    assert "P2.1 is scored by the Purchaser" in refused
    # the lead's round page names each rater's role in words, not codes
    page = await api.client.get(
        f"/rounds/{round_.id}", headers={"Authorization": f"Bearer {world.tokens['lead']}"}
    )
    assert (
        "bureau · 评估员 · 购买方（民政局、镇街）" in page.text and "评估员 · 督导方" in page.text
    )
    assert "· purchaser" not in page.text
    await settle_gaps(round_, world.actors["lead"])
    round_ = await rs.submit_round(world.actors["lead"], round_, round_.version)
    await rs.approve_round(world.actors["bureau"], round_, round_.version)
    round_ = await Round.get(id=round_.id)
    for unit, (base, bonus, total, graded, uncapped, grade) in EXPECTED.items():
        response = await api.get(
            f"/rounds/{round_.id}/stations/{county.stations[unit].id}/scorecard",
            token=world.tokens["bureau"],
        )
        assert response.status_code == 200, response.text
        card = response.json()
        assert (card["base"], card["bonus"], card["total"], card["graded"]) == (
            base,
            bonus,
            total,
            graded,
        )
        assert card["grade_on"] == "base"
        assert (card["grade_uncapped"]["code"], card["grade"]["code"]) == (uncapped, grade)
        assert card["capped"] == (uncapped != grade)
    card = response.json()  # ST02
    assert "floor:P2" in card["flags"] and "P1.3.2:zero_target" in card["flags"]
    pools = {f["code"]: f["points"] for f in card["families"]}
    assert pools == {"P1": 700.0, "P2": 76.0, "P3": 100.0}
