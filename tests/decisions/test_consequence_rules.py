"""Deviation rules and the renew-or-rebid rules on hand-made results: each condition kind,
each recommendation rule, the explanations; and their checks in the system language."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluator.decisions.deviations import find_deviations, worst
from evaluator.decisions.recommend import OpenFinding, grade_sets, recommend
from evaluator.engine import score
from evaluator.errors import SystemInvalid
from evaluator.systems import parse_system

BASE = """
system: {id: t, version: '1', name: {zh: 测试, en: Test}, unit: station, total_points: 20}
grades:
  - {code: excellent, zh: 优秀, en: Excellent, min: 18}
  - {code: good, zh: 良好, en: Good, min: 16}
  - {code: pass, zh: 合格, en: Pass, min: 12}
  - {code: fail, zh: 不合格, en: Fail, min: 0}
vetoes:
  - {code: V1, name: {zh: 转包, en: Subcontracting}}
tree:
  - code: A
    name: {zh: 甲, en: A}
    points: 10
    children:
      - {code: A1, name: {zh: 个案, en: Cases}, points: 5, method: ratio, linear: {floor: 0, cap: 1}}
      - {code: A2, name: {zh: 满意度, en: Satisfaction}, points: 5, method: likert, min_n: 10}
  - code: B
    name: {zh: 乙, en: B}
    points: 10
    children:
      - {code: B1, name: {zh: 制度, en: Rules}, points: 10, method: rubric, rubric: level-0-4}
"""
RULES = """
deviations:
  - {code: D1, name: {zh: 家族低, en: Family low}, when: {level: 1, below: 0.5}, severity: correction}
  - {code: D2, name: {zh: 达成低, en: Attainment low}, when: {nodes: [A1], attainment_below: 0.6}, severity: correction, deadline_working_days: 5}
  - {code: D3, name: {zh: 总分低, en: Total low}, when: {total_below: 12}, severity: suspension}
  - {code: D4, name: {zh: 样本, en: Sample}, when: {nodes: [A2], flag: insufficient_sample}, severity: observation}
  - {code: D5, name: {zh: 否决, en: Veto}, when: {veto: [V1]}, severity: termination}
recommendation: {renew_min: 16}   # points of this 20-point system
"""


def system(extra: str = RULES):
    return parse_system(BASE + extra, "t.yaml")


def result(sys, rows):
    return score(sys, pd.DataFrame(rows, columns=["unit", "leaf", "value", "target", "n"]))


def rows(unit, a1, a2, n, b1, veto=0):
    return [
        (unit, "A1", a1, 10, None),
        (unit, "A2", a2, None, n),
        (unit, "B1", b1, None, None),
        (unit, "V1", veto, None, None),
    ]


def test_each_condition_kind():
    sys = system()
    res = result(
        sys,
        rows("S1", 10, 5.0, 12, 4) + rows("S2", 4, 1.0, 3, 1) + rows("S3", 10, 5, 20, 4, veto=1),
    )
    got = {(f.unit, f.rule): f for f in find_deviations(sys, res)}
    # S2: A1 4/10 = 0.4 < 0.6; A = 2 + 0 (n below min_n → 0) = 2/10 < 0.5; B = 2.5/10; total 4.5 < 12; sample
    assert set(got) == {("S2", "D1"), ("S2", "D2"), ("S2", "D3"), ("S2", "D4"), ("S3", "D5")}
    fam = got[("S2", "D1")]
    assert [c["code"] for c in fam.causes] == [
        "A",
        "B",
    ] and fam.deadline_working_days == 20  # the default
    assert (
        got[("S2", "D2")].causes[0]["attainment"] == pytest.approx(0.4)
        and got[("S2", "D2")].deadline_working_days == 5
    )
    assert (
        got[("S2", "D3")].escalation == "termination"
        and got[("S2", "D1")].escalation == "suspension"
    )
    assert "A1 Cases attained 40.0% of its target (< 60.0%)" in got[("S2", "D2")].en
    assert (
        "否决项 V1 转包 成立" in got[("S3", "D5")].zh
        and got[("S3", "D5")].deadline_working_days is None
    )
    assert worst([f.severity for f in got.values()]) == "termination" and worst([]) is None


def test_recommendation_rules_in_order():
    sys = system()
    good = rows("S1", 10, 5.0, 20, 4) + rows("S2", 10, 5.0, 20, 4)
    rec = recommend(sys, result(sys, good))
    assert rec.outcome == "renew" and rec.reasons[-1]["rule"] == "renew"
    rec = recommend(sys, result(sys, good), [OpenFinding("S1", "D2", "correction")])
    assert rec.outcome == "conditional" and [r["rule"] for r in rec.reasons] == ["open_findings"]
    assert "D2 (correction) at S1" in rec.en and "整改" in rec.zh
    rec = recommend(sys, result(sys, good), [OpenFinding("S1", "D1", "observation")])
    assert rec.outcome == "renew"  # nothing above an observation
    one_pass = rows("S1", 10, 5.0, 20, 4) + rows(
        "S2", 10, 3.0, 20, 2
    )  # S2: 5 + 2.5 + 5 = 12.5 → pass
    rec = recommend(sys, result(sys, one_pass))
    assert (
        rec.outcome == "conditional" and rec.reasons[0]["rule"] == "weak_units" and "S2" in rec.en
    )
    half_fail = rows("S1", 10, 5.0, 20, 4) + rows(
        "S2", 6, 3.0, 20, 2
    )  # S2: 3 + 2.5 + 5 = 10.5 → fail
    rec = recommend(sys, result(sys, half_fail))  # mean 15.25 is a pass, but half the units fail
    assert rec.outcome == "rebid" and rec.reasons[0]["rule"] == "failing_share"
    low_mean = rows("S1", 10, 5.0, 20, 4) + rows("S2", 1, 1.0, 20, 0) + rows("S3", 1, 1.0, 20, 0)
    rec = recommend(sys, result(sys, low_mean))
    assert rec.outcome == "rebid" and rec.reasons[0]["rule"] == "mean_grade"
    vetoed = rows("S1", 10, 5.0, 20, 4, veto=1) + rows("S2", 10, 5.0, 20, 4)
    rec = recommend(sys, result(sys, vetoed))
    assert rec.outcome == "rebid" and rec.reasons[0]["rule"] == "veto" and "V1 at S1" in rec.en
    rec = recommend(sys, result(sys, good), [OpenFinding("S2", "D5", "termination")])
    assert rec.outcome == "rebid" and rec.reasons[0]["rule"] == "termination"
    assert rec.losses["families"][0]["lost"] >= 0 and "重新招标" in rec.zh


def test_recommendation_is_configurable():
    sys = system(
        RULES.replace(
            "{renew_min: 16}",
            "{renew_min: 19, rebid_on_veto: false, rebid_station_share: 0.6, conditional_grades: [good, pass]}",
        )
    )
    assert grade_sets(sys) == (["fail"], ["good", "pass"])
    vetoed = rows("S1", 10, 5.0, 20, 4, veto=1) + rows("S2", 10, 5.0, 20, 4)
    rec = recommend(sys, result(sys, vetoed))
    assert (
        rec.outcome == "conditional"
    )  # the veto grades S1 fail (not rebid by itself); mean 20 ≥ 19


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {below: 0.5}, severity: correction}\n",
            "below needs nodes or level",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {nodes: [A1], below: 0.5, total_below: 3}, severity: correction}\n",
            "exactly one of",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {nodes: [ZZ], below: 0.5}, severity: correction}\n",
            "unknown node ZZ",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {nodes: [B1], attainment_below: 0.5}, severity: correction}\n",
            "attainment applies to ratio leaves",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {veto: [V9]}, severity: termination}\n",
            "unknown veto V9",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {total_below: 3}, severity: correction, escalate_to: observation}\n",
            "escalate_to must be more severe",
        ),
        (
            "deviations:\n  - {code: X, name: {zh: x, en: x}, when: {total_below: 3}, severity: observation, deadline_working_days: 5}\n",
            "has no deadline",
        ),
        ("recommendation: {rebid_grades: [awful]}\n", "unknown grade awful"),
    ],
)
def test_rule_checks_are_located(extra, fragment):
    with pytest.raises(SystemInvalid) as caught:
        system(extra)
    problems = caught.value.problems
    assert any(fragment in p.en for p in problems), [p.en for p in problems]
    assert all(p.line for p in problems)
