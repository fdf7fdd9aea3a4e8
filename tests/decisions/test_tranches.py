"""Tranches: exact fen amounts, every status, due dates in working days."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.decisions.calendar import WorkingCalendar
from evaluator.decisions.schedules import package_schedule
from evaluator.decisions.tranches import (
    Event,
    TrancheTerm,
    schedule_tranches,
    split_amount,
    terms_from_schedule,
)
from evaluator.errors import InvalidInput

D = dt.date
CAL = WorkingCalendar.from_schedules(package_schedule(y) for y in range(2004, 2027))
LATER = D(2026, 11, 30)
SCHEDULE = [
    {"code": "T1", "share_bp": 5000, "trigger": "signed", "due_working_days": 15},
    {"code": "T2", "share_bp": 3000, "trigger": "mid_term_passed", "due_working_days": 15},
    {"code": "T3", "share_bp": 2000, "trigger": "final_passed", "due_working_days": 15},
]
TERMS = terms_from_schedule(SCHEDULE)


def test_amounts_floor_and_remainder_in_the_last_tranche():
    assert split_amount(100_001, [5000, 3000, 2000]) == [50_000, 30_000, 20_001]
    assert split_amount(1, [3333, 3333, 3334]) == [0, 0, 1]
    assert split_amount(539_000_000, [5000, 3000, 2000]) == [269_500_000, 161_700_000, 107_800_000]


@given(
    amount=st.integers(0, 10**12),
    cuts=st.lists(st.integers(1, 9999), min_size=0, max_size=6, unique=True),
)
def test_amounts_always_sum_to_the_contract(amount, cuts):
    points = sorted(cuts)
    shares = [b - a for a, b in zip([0, *points], [*points, 10_000], strict=True)]
    parts = split_amount(amount, shares)
    assert sum(parts) == amount and all(p >= 0 for p in parts)


def test_every_status():
    signed, mid = D(2026, 2, 10), D(2026, 7, 15)
    out = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("signed", signed), Event("mid_term_passed", mid)],
        today=D(2026, 8, 1),
        calendar=CAL,
    )
    t1, t2, t3 = out
    assert (t1.status, t1.due_on) == ("due", D(2026, 3, 9))  # across Spring Festival 2026
    assert t1.overdue
    assert t2.status == "due" and t2.due_on == D(2026, 8, 5) and not t2.overdue
    assert t3.status == "scheduled" and t3.due_on is None
    assert [t.amount_fen for t in out] == [300_000_00, 180_000_00, 120_000_00]

    released = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("signed", signed)],
        releases={"T1": D(2026, 3, 2)},
        today=LATER,
        calendar=CAL,
    )
    assert released[0].status == "released" and released[0].released_on == D(2026, 3, 2)

    failed = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("signed", signed), Event("mid_term_passed", mid, passed=False)],
        today=LATER,
        calendar=CAL,
    )
    assert failed[1].status == "withheld" and failed[1].blocked_by == ("mid_term_passed:failed",)

    recheck = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("mid_term_passed", mid, passed=False), Event("mid_term_passed", D(2026, 9, 1))],
        today=LATER,
        calendar=CAL,
    )
    assert recheck[1].status == "due"  # the re-check that passed replaces the failure

    blocked = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("signed", signed), Event("mid_term_passed", mid)],
        blocks={"T2": ["F-12 暂缓"]},
        today=LATER,
        calendar=CAL,
    )
    assert blocked[1].status == "withheld" and blocked[1].blocked_by == ("F-12 暂缓",)
    assert blocked[0].status == "due"

    ended = schedule_tranches(
        600_000_00,
        TERMS,
        [Event("signed", signed), Event("mid_term_passed", mid, passed=False)],
        ended_on=D(2026, 10, 1),
        today=LATER,
        calendar=CAL,
    )
    assert [t.status for t in ended] == ["due", "forfeited", "forfeited"]


def test_schedule_validation_lists_every_problem():
    with pytest.raises(InvalidInput) as exc:
        terms_from_schedule(
            [
                {"share_bp": 0, "trigger": "whenever"},
                {"share_bp": 5000.5, "trigger": "signed", "due_working_days": 0},
            ]
        )
    paths = sorted(p.path for p in exc.value.problems)
    assert paths == [
        "schedule[0].share_bp",
        "schedule[0].trigger",
        "schedule[1].due_working_days",
        "schedule[1].share_bp",
    ]
    with pytest.raises(InvalidInput) as exc:
        terms_from_schedule(
            [{"share_bp": 5000, "trigger": "signed"}, {"share_bp": 4000, "trigger": "final_passed"}]
        )
    assert "90%" in str(exc.value)


def test_a_trigger_whose_date_has_not_come_is_not_due():
    # a contract that takes effect on 1 April 2027, seen on 4 December 2026
    out = schedule_tranches(
        600_000_00, TERMS, [Event("signed", D(2027, 4, 1))], today=D(2026, 12, 4), calendar=CAL
    )
    assert out[0].status == "scheduled" and out[0].due_on is None
    assert "2027-04-01" in out[0].due_note and out[0].trigger_on == D(2027, 4, 1)
    assert out[0].date_label() == "from 自 2027-04-01"
    # on the day itself it is due, counted on the provisional 2027 calendar
    due = schedule_tranches(
        600_000_00, TERMS, [Event("signed", D(2027, 4, 1))], today=D(2027, 4, 1), calendar=CAL
    )[0]
    assert due.status == "due" and due.due_basis == "provisional" and "2027" in due.due_note
    # 2, 6 (5 Apr 清明, law), 7, 8, 9, 12 … 15 working days: 23 April
    assert due.due_on == D(2027, 4, 23)
    assert due.date_label() == "2027-04-23 暂定 provisional"


def test_a_withheld_tranche_still_shows_its_date():
    out = schedule_tranches(
        600_000_00,
        [TrancheTerm("T1", 10_000, "signed", 15)],
        [Event("signed", D(2026, 2, 10))],
        blocks={"*": ["suspension DV-FAIL @ ST10"]},
        today=LATER,
        calendar=CAL,
    )
    assert out[0].status == "withheld" and out[0].due_on == D(2026, 3, 9)
