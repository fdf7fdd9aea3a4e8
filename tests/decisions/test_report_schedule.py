"""The contract's report schedule (decisions/report_schedule.py): hand-computed expansions,
the default, and every validation problem at its path in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.decisions.report_schedule import (
    DueReport,
    check_schedule,
    contract_reports_due,
    default_schedule,
    reports_due,
)
from evaluator.decisions.timing import earliest_approval
from evaluator.errors import InvalidInput

D = dt.date


def test_monthly_briefs_of_a_calendar_year_are_due_the_tenth_of_the_next_month():
    due = reports_due([{"kind": "monthly", "due_days": 10}], D(2026, 1, 1), D(2026, 12, 31))
    assert len(due) == 12
    assert due[0] == DueReport("monthly", "2026-01", D(2026, 2, 10))
    assert due[1] == DueReport("monthly", "2026-02", D(2026, 3, 10))  # 28 Feb + 10 days
    # December's brief is due after the contract year: due, but no round of it reads it
    assert due[-1] == DueReport("monthly", "2026-12", D(2027, 1, 10))


def test_month_ends_of_every_length():
    due = reports_due([{"kind": "monthly", "due_days": 1}], D(2028, 1, 1), D(2028, 4, 30))
    # 31 Jan + 1, 29 Feb (2028 is a leap year) + 1, 31 Mar + 1, 30 Apr + 1
    assert [r.due for r in due] == [D(2028, 2, 1), D(2028, 3, 1), D(2028, 4, 1), D(2028, 5, 1)]


def test_a_contract_year_from_july_crosses_the_year_end():
    start, end = D(2026, 7, 1), D(2027, 6, 30)
    due = reports_due([{"kind": "quarterly", "due_days": 15}], start, end)
    # Q3 ends 30 Sep (+15 = 15 Oct), Q4 ends 31 Dec (+15 = 15 Jan of the next year) …
    assert due == [
        DueReport("quarterly", "2026-Q3", D(2026, 10, 15)),
        DueReport("quarterly", "2026-Q4", D(2027, 1, 15)),
        DueReport("quarterly", "2027-Q1", D(2027, 4, 15)),
        DueReport("quarterly", "2027-Q2", D(2027, 7, 15)),
    ]
    monthly = reports_due([{"kind": "monthly", "due_days": 10}], start, end)
    assert [r.period for r in monthly][5:7] == ["2026-12", "2027-01"]
    assert monthly[5].due == D(2027, 1, 10)  # December's brief, due in the next year


def test_partial_first_and_last_periods_still_owe_a_report():
    # 15 Mar – 14 Sep: March and September are partial months, Q1 and Q3 partial quarters
    start, end = D(2026, 3, 15), D(2026, 9, 14)
    months = reports_due([{"kind": "monthly", "due_days": 5}], start, end)
    assert [r.period for r in months] == [f"2026-{m:02d}" for m in range(3, 10)]
    assert months[0].due == D(2026, 4, 5) and months[-1].due == D(2026, 10, 5)
    quarters = reports_due([{"kind": "quarterly", "due_days": 0}], start, end)
    assert [(r.period, r.due) for r in quarters] == [
        ("2026-Q1", D(2026, 3, 31)),
        ("2026-Q2", D(2026, 6, 30)),
        ("2026-Q3", D(2026, 9, 30)),
    ]


def test_the_default_is_monthly_briefs_a_mid_term_and_a_final_report():
    start, end = D(2026, 7, 1), D(2027, 6, 30)  # 365 days
    assert default_schedule(start, end) == [
        {"kind": "monthly", "due_days": 10},
        {"kind": "midterm", "due": "2026-12-30"},  # 1 Jul + ⌊365 / 2⌋ = 182 days
        {"kind": "final", "due": "2027-05-31"},  # the day after 30 Jun − 1 month
    ]
    due = contract_reports_due(None, start, end)
    assert len(due) == 12 + 2
    assert [r for r in due if r.kind != "monthly"] == [
        DueReport("midterm", "midterm", D(2026, 12, 30)),
        DueReport("final", "final", D(2027, 5, 31)),
    ]
    # the days a mid-term and a final round may first be approved (decisions/timing.py)
    assert earliest_approval("mid_term", start, end, start).on == D(2026, 12, 30)
    assert earliest_approval("final", start, end, start).on == D(2027, 5, 31)


def test_due_reports_come_by_due_date_then_kind():
    start, end = D(2026, 1, 1), D(2026, 12, 31)
    schedule = [
        {"kind": "quarterly", "due_days": 10},
        {"kind": "monthly", "due_days": 10},
        {"kind": "final", "due": "2026-04-10"},
    ]
    due = reports_due(schedule, start, end)
    april = [r for r in due if r.due == D(2026, 4, 10)]
    assert [r.kind for r in april] == ["monthly", "quarterly", "final"]


def test_a_stored_schedule_is_what_check_returns():
    start, end = D(2026, 1, 1), D(2026, 12, 31)
    got = check_schedule(
        [{"kind": "midterm", "due": D(2026, 6, 30)}, {"kind": "monthly", "due_days": 10}],
        start,
        end,
    )
    assert got == [{"kind": "midterm", "due": "2026-06-30"}, {"kind": "monthly", "due_days": 10}]


@pytest.mark.parametrize(
    ("data", "path", "en", "zh"),
    [
        ("monthly", "report_schedule", "must be a list", "须为报送事项的列表"),
        ([], "report_schedule", "at least one", "至少列出一项"),
        ([3], "report_schedule[0]", "mapping", "映射"),
        ([{"due_days": 3}], "report_schedule[0].kind", "missing", "缺少报告类型"),
        ([{"kind": "weekly"}], "report_schedule[0].kind", "unknown report kind", "未知的报告类型"),
        (
            [
                {"kind": "monthly", "due_days": 10},
                {"kind": "final", "due": "2026-12-01"},
                {"kind": "monthly", "due_days": 5},
            ],
            "report_schedule[2].kind",
            "already asked for at report_schedule[0]",
            "已在 report_schedule[0] 列出",
        ),
        ([{"kind": "monthly"}], "report_schedule[0].due_days", "needs due_days", "须给出 due_days"),
        (
            [{"kind": "monthly", "due_days": -1}],
            "report_schedule[0].due_days",
            "0 to 92",
            "0 至 92",
        ),
        (
            [{"kind": "monthly", "due_days": 93}],
            "report_schedule[0].due_days",
            "0 to 92",
            "0 至 92",
        ),
        ([{"kind": "monthly", "due_days": 1.5}], "report_schedule[0].due_days", "whole", "整数"),
        ([{"kind": "monthly", "due_days": True}], "report_schedule[0].due_days", "whole", "整数"),
        (
            [{"kind": "quarterly", "due_days": 5, "due": "2026-03-01"}],
            "report_schedule[0].due",
            "not on one date",
            "不设单一日期",
        ),
        ([{"kind": "final"}], "report_schedule[0].due", "needs due", "须给出 due"),
        ([{"kind": "final", "due": "01/12/2026"}], "report_schedule[0].due", "YYYY-MM-DD", "日期"),
        ([{"kind": "final", "due": "2026-02-30"}], "report_schedule[0].due", "YYYY-MM-DD", "日期"),
        (
            [{"kind": "midterm", "due": "2027-01-01"}],
            "report_schedule[0].due",
            "outside the contract year",
            "不在合同服务期",
        ),
        (
            [{"kind": "midterm", "due": "2026-06-30", "due_days": 3}],
            "report_schedule[0].due_days",
            "one date",
            "某一日期",
        ),
        (
            [{"kind": "midterm", "due": "2026-06-30", "when": 3}],
            "report_schedule[0].when",
            "unknown field",
            "未知字段",
        ),
    ],
)
def test_every_problem_is_located_in_both_languages(data, path, en, zh):
    with pytest.raises(InvalidInput) as caught:
        check_schedule(data, D(2026, 1, 1), D(2026, 12, 31))
    problems = {p.path: p for p in caught.value.problems}
    assert path in problems, problems
    assert en in problems[path].en and zh in problems[path].zh


def test_all_problems_at_once():
    with pytest.raises(InvalidInput) as caught:
        check_schedule(
            [{"kind": "weekly"}, {"kind": "final"}, {"kind": "monthly", "due_days": "ten"}],
            D(2026, 1, 1),
            D(2026, 12, 31),
        )
    assert [p.path for p in caught.value.problems] == [
        "report_schedule[0].kind",
        "report_schedule[1].due",
        "report_schedule[2].due_days",
    ]


starts = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(20, 800), st.integers(0, 92))
def test_one_report_a_month_or_quarter_touched_by_due_date(start, days, due_days):
    end = start + dt.timedelta(days=days)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    quarters = (end.year - start.year) * 4 + (end.month - 1) // 3 - (start.month - 1) // 3 + 1
    schedule = [
        {"kind": "monthly", "due_days": due_days},
        {"kind": "quarterly", "due_days": due_days},
        *default_schedule(start, end)[1:],
    ]
    due = reports_due(check_schedule(schedule, start, end), start, end)
    assert sum(r.kind == "monthly" for r in due) == months
    assert sum(r.kind == "quarterly" for r in due) == quarters
    assert [r.due for r in due] == sorted(r.due for r in due)
    labels = [(r.kind, r.period) for r in due]
    assert len(set(labels)) == len(labels)
    for r in due:
        if r.kind in ("monthly", "quarterly"):
            assert r.due >= start  # due on or after its period ends, inside or after the year
        else:
            assert start <= r.due <= end
