"""Roll-ups, pure: periods, what counts in a period, and that every region's figures are
its own plus the sum of its children's (hand-computed cases and a property)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.decisions.rollup import (
    MONEY,
    UNRELEASED,
    DecisionFact,
    Facts,
    FindingFact,
    GradeFact,
    MoneyFact,
    RegionNode,
    figure_keys,
    figure_label,
    own_figures,
    parse_period,
    roll_up,
)
from evaluator.decisions.words import TRANCHE_ZH
from evaluator.errors import InvalidInput

D = dt.date
PROVINCE = RegionNode("340000", "安徽省", "province", None)
CITY_A = RegionNode("341500", "六安市", "city", "340000")
CITY_B = RegionNode("341000", "黄山市", "city", "340000")
COUNTY_1 = RegionNode("341521", "甲县", "county", "341500")
COUNTY_2 = RegionNode("341522", "乙县", "county", "341500")
COUNTY_3 = RegionNode("341021", "丙县", "county", "341000")
TOWNSHIP = RegionNode("341521001", "安乐乡", "township", "341521")
REGIONS = [PROVINCE, CITY_A, CITY_B, COUNTY_1, COUNTY_2, COUNTY_3, TOWNSHIP]


@pytest.mark.parametrize(
    ("text", "label", "start", "end", "zh"),
    [
        ("2026-Q1", "2026-Q1", D(2026, 1, 1), D(2026, 3, 31), "2026年第一季度"),
        ("2026-q2", "2026-Q2", D(2026, 4, 1), D(2026, 6, 30), "2026年第二季度"),
        ("2026-Q3", "2026-Q3", D(2026, 7, 1), D(2026, 9, 30), "2026年第三季度"),
        (" 2026-Q4 ", "2026-Q4", D(2026, 10, 1), D(2026, 12, 31), "2026年第四季度"),
        ("2028-Q1", "2028-Q1", D(2028, 1, 1), D(2028, 3, 31), "2028年第一季度"),
        ("2026-H1", "2026-H1", D(2026, 1, 1), D(2026, 6, 30), "2026年上半年"),
        ("2027-H2", "2027-H2", D(2027, 7, 1), D(2027, 12, 31), "2027年下半年"),
        ("2027", "2027", D(2027, 1, 1), D(2027, 12, 31), "2027年"),
    ],
)
def test_periods(text, label, start, end, zh):
    period = parse_period(text)
    assert (period.label, period.start, period.end, period.label_zh) == (label, start, end, zh)
    assert period.holds(start) and period.holds(end)
    assert not period.holds(start - dt.timedelta(days=1)) and not period.holds(None)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-H3", "26-Q1", "2026Q1", "1999", "", "Q1"])
def test_a_bad_period_says_what_it_must_be(text):
    with pytest.raises(InvalidInput) as caught:
        parse_period(text)
    problem = caught.value.problems[0]
    assert problem.path == "period" and "2026-Q3" in problem.en and "季度" in problem.zh


def _facts() -> Facts:
    q3 = [(100_00, D(2026, 7, 15)), (50_00, D(2026, 3, 1))]
    return Facts(
        grades=[
            GradeFact("341521", "mid_term", "good"),
            GradeFact("341521", "mid_term", "fail"),
            GradeFact("341522", "mid_term", "good"),
            GradeFact("341021", "final", "excellent"),
        ],
        decisions=[
            DecisionFact("341521", "renew", None),
            DecisionFact("341522", "rebid", "conditional"),
        ],
        findings=[
            FindingFact("341521", "correction", True, True),
            FindingFact("341521", "suspension", True, False),
            FindingFact("341021", "observation", False, False),
        ],
        money=[
            # 1,000 yuan: 150 released (100 in Q3, 50 in Q1), 300 due (overdue), 550 withheld
            MoneyFact("341521", 1000_00, q3, [("due", 300_00, True), ("withheld", 550_00, False)]),
            # 200 yuan, nothing released: 120 not yet due, 80 no longer payable
            MoneyFact(
                "341021", 200_00, [], [("scheduled", 120_00, False), ("forfeited", 80_00, False)]
            ),
        ],
    )


def test_a_city_is_the_sum_of_its_counties_and_the_province_of_its_cities():
    rows = roll_up(REGIONS, "340000", _facts(), parse_period("2026-Q3"))
    assert [(r.region.code, r.depth) for r in rows] == [
        ("340000", 0),
        ("341000", 1),
        ("341021", 2),
        ("341500", 1),
        ("341521", 2),
        ("341522", 2),
    ]  # townships are not reporting levels
    by = {r.region.code: r.figures for r in rows}
    assert by["341521"] == {
        "stations_graded": 2,
        "grade.mid_term.good": 1,
        "grade.mid_term.fail": 1,
        "recommendations": 1,
        "recommended.renew": 1,
        "outcome.pending": 1,
        "findings_opened": 2,
        "findings.correction": 1,
        "findings.suspension": 1,
        "findings_open_now": 2,
        "findings_overdue_now": 1,
        "contracts": 1,
        "contract_value_fen": 100000,
        "released_in_period_fen": 10000,
        "released_to_period_end_fen": 15000,
        "due_now_fen": 30000,
        "overdue_now_fen": 30000,
        "withheld_now_fen": 55000,
    }
    city = by["341500"]
    assert city["stations_graded"] == 3 and city["grade.mid_term.good"] == 2
    assert city["recommended.rebid"] == 1 and city["outcome.conditional"] == 1
    assert by["340000"]["stations_graded"] == 4 and by["340000"]["grade.final.excellent"] == 1
    assert by["340000"]["contract_value_fen"] == 120000
    assert by["341000"]["forfeited_now_fen"] == 8000 and by["341000"]["scheduled_now_fen"] == 12000
    # a county reads itself only
    assert [r.region.code for r in roll_up(REGIONS, "341521", _facts(), parse_period("2026"))] == [
        "341521"
    ]


def test_the_year_counts_both_releases():
    rows = roll_up(REGIONS, "341521", _facts(), parse_period("2026"))
    assert rows[0].figures["released_in_period_fen"] == 15000
    before = roll_up(REGIONS, "341521", _facts(), parse_period("2026-Q1"))[0].figures
    assert before["released_in_period_fen"] == 5000 == before["released_to_period_end_fen"]


def test_every_unreleased_status_has_its_money_figure():
    assert set(UNRELEASED) == set(TRANCHE_ZH) - {"released"}
    assert set(UNRELEASED.values()) <= set(MONEY)


def test_figure_order_and_words():
    rows = roll_up(REGIONS, "340000", _facts(), parse_period("2026-Q3"))
    keys = figure_keys(rows, ["excellent", "good", "pass", "fail"])
    assert keys[:5] == [
        "stations_graded",
        "grade.final.excellent",
        "grade.mid_term.good",
        "grade.mid_term.fail",
        "recommendations",
    ]
    assert keys.index("findings.observation") < keys.index("findings.correction")
    assert keys[-len([k for k in MONEY if k in keys]) :] == [k for k in MONEY if k in keys]
    names = {"good": ("Good", "良好")}
    assert figure_label("grade.mid_term.good", names) == ("mid-term: Good", "中期评估：良好")
    assert figure_label("outcome.pending", names)[1] == "民政局待决定"
    assert figure_label("recommended.rebid", names)[1] == "建议重新招标"
    assert figure_label("findings.suspension", names)[1] == "暂缓类问题"
    for key in keys:
        en, zh = figure_label(key, names)
        assert not any(code in zh for code in ("mid_term", "rebid", "suspension", "_fen"))


# -- the property: every row is its own facts plus its children's, and money adds up ------
counties = st.sampled_from(["341521", "341522", "341021", "341500", "341521001"])
day = st.dates(D(2025, 1, 1), D(2027, 12, 31))
fen = st.integers(0, 10**11)
facts_strategy = st.builds(
    Facts,
    grades=st.lists(
        st.builds(
            GradeFact,
            counties,
            st.sampled_from(["mid_term", "final", "spot_check"]),
            st.sampled_from(["excellent", "good", "pass", "fail"]),
        ),
        max_size=30,
    ),
    decisions=st.lists(
        st.builds(
            DecisionFact,
            counties,
            st.sampled_from(["renew", "conditional", "rebid"]),
            st.sampled_from([None, "renew", "conditional", "rebid"]),
        ),
        max_size=10,
    ),
    findings=st.lists(
        st.builds(
            FindingFact,
            counties,
            st.sampled_from(["observation", "correction", "suspension", "termination"]),
            st.booleans(),
            st.booleans(),
        ),
        max_size=20,
    ),
    money=st.lists(
        st.builds(
            MoneyFact,
            counties,
            st.just(0),
            st.lists(st.tuples(fen, day), max_size=3),
            st.lists(
                st.tuples(
                    st.sampled_from(
                        ["due", "awaiting_application", "withheld", "scheduled", "forfeited"]
                    ),
                    fen,
                    st.booleans(),
                ),
                max_size=3,
            ),
        ),
        max_size=8,
    ),
)


@given(facts_strategy, st.sampled_from(["2026-Q1", "2026-Q3", "2026-H2", "2026", "2027-H1"]))
def test_every_region_is_its_own_plus_the_sum_of_its_children(facts, period_text):
    period = parse_period(period_text)
    # give each contract a value equal to everything it will ever pay or not pay
    facts.money = [
        MoneyFact(
            m.region,
            sum(f for f, _ in m.released) + sum(f for _, f, _ in m.unreleased),
            m.released,
            m.unreleased,
        )
        for m in facts.money
    ]
    rows = roll_up(REGIONS, "340000", facts, period)
    by = {r.region.code: r.figures for r in rows}
    own = own_figures(facts, period)
    keys = figure_keys(rows)
    parents = {r.code: r.parent for r in REGIONS}
    for row in rows:
        code = row.region.code
        # a county's own townships are not rows: their facts are the county's
        kids = [c for c, p in parents.items() if p == code]
        below = [by[c] if c in by else own.get(c, {}) for c in kids]
        for key in keys:
            expected = own.get(code, {}).get(key, 0) + sum(k.get(key, 0) for k in below)
            assert by[code].get(key, 0) == expected, (code, key)
    total = by["340000"]
    # grades and outcomes partition their counts; money: released + unreleased = value
    assert total.get("stations_graded", 0) == len(facts.grades)
    assert sum(v for k, v in total.items() if k.startswith("grade.")) == len(facts.grades)
    assert sum(v for k, v in total.items() if k.startswith("outcome.")) == len(facts.decisions)
    assert total.get("findings_overdue_now", 0) <= len(facts.findings)
    released_all = sum(f for m in facts.money for f, _ in m.released)
    unreleased = sum(
        total.get(k, 0)
        for k in (
            "due_now_fen",
            "awaiting_application_now_fen",
            "withheld_now_fen",
            "scheduled_now_fen",
            "forfeited_now_fen",
        )
    )
    assert total.get("contract_value_fen", 0) == released_all + unreleased
    assert total.get("released_in_period_fen", 0) <= total.get("released_to_period_end_fen", 0)
    assert total.get("overdue_now_fen", 0) <= total.get("due_now_fen", 0)
