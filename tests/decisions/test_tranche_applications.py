"""Tranches counted from the agency's payment application (``due_from: application``), every
status in combination with an application, hand-computed due dates on the official 2026
calendar, and the validation of vouchers."""

import datetime as dt
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.decisions.calendar import WorkingCalendar
from evaluator.decisions.payment_applications import (
    VOUCHER_KINDS,
    check_note,
    live_key,
    vouchers_from,
)
from evaluator.decisions.schedules import package_schedule
from evaluator.decisions.tranches import (
    DEFAULT_SCHEDULE,
    Event,
    TrancheTerm,
    schedule_tranches,
    terms_from_schedule,
)
from evaluator.decisions.words import TRANCHE_ZH, VOUCHER_ZH
from evaluator.errors import InvalidInput
from evaluator.server.api.tranches import VoucherIn

D = dt.date
CAL = WorkingCalendar.from_schedules(package_schedule(y) for y in range(2004, 2027))
ON_APPLICATION = [
    {"code": "T1", "share_bp": 5000, "trigger": "signed", "due_working_days": 15},
    {
        "code": "T2",
        "share_bp": 5000,
        "trigger": "mid_term_passed",
        "due_working_days": 15,
        "due_from": "application",
    },
]
TERMS = terms_from_schedule(ON_APPLICATION)
SIGNED, MID = D(2026, 9, 1), D(2026, 9, 16)


def table(events, today, **kw):
    return schedule_tranches(1_000_001, TERMS, events, today=today, calendar=CAL, **kw)


def test_the_default_counts_from_the_trigger():
    assert [t.due_from for t in terms_from_schedule(DEFAULT_SCHEDULE)] == ["trigger"] * 3
    assert [t.due_from for t in TERMS] == ["trigger", "application"]


def test_due_from_is_validated_with_its_path():
    with pytest.raises(InvalidInput) as exc:
        terms_from_schedule([{"share_bp": 10_000, "trigger": "signed", "due_from": "invoice"}])
    (problem,) = exc.value.problems
    assert problem.path == "schedule[0].due_from"
    assert "trigger, application" in problem.en and "承接机构申请之日" in problem.zh


def test_counting_from_the_trigger_across_the_mid_autumn_working_sunday():
    # signed Tue 1 Sep 2026: 2 3 4 7 8 9 10 11 14 15 16 17 18, Sun 20 (a working day
    # before National Day), Mon 21 → 15 working days
    t1 = table([Event("signed", SIGNED)], D(2026, 9, 2))[0]
    assert (t1.status, t1.due_on, t1.applied_on) == ("due", D(2026, 9, 21), None)


def test_awaiting_application_until_the_agency_applies():
    before = table([Event("signed", SIGNED)], D(2026, 9, 10))[1]
    assert before.status == "scheduled" and before.due_on is None
    assert before.date_label() == "after 待 mid-term passed 中期评估通过"

    waiting = table([Event("signed", SIGNED), Event("mid_term_passed", MID)], D(2026, 9, 17))[1]
    assert waiting.status == "awaiting_application" and TRANCHE_ZH[waiting.status] == "待申请"
    assert waiting.due_on is None and not waiting.overdue and waiting.awaits_application
    assert waiting.date_label() == "awaiting the agency's application 待承接机构申请"


def test_due_from_the_application_across_mid_autumn_and_national_day():
    # applied Wed 23 Sep 2026: Thu 24 (1); 25–27 Mid-Autumn; Mon 28 (2), 29 (3), 30 (4);
    # 1–7 Oct National Day; Thu 8 (5), Fri 9 (6), Sat 10 (a working day, 7), Mon 12 (8)
    # … Fri 16 (12), Mon 19 (13), Tue 20 (14), Wed 21 Oct (15)
    events = [Event("signed", SIGNED), Event("mid_term_passed", MID)]
    t2 = table(events, D(2026, 9, 23), applications={"T2": D(2026, 9, 23)})[1]
    assert (t2.status, t2.due_on, t2.due_basis) == ("due", D(2026, 10, 21), "official")
    assert t2.applied_on == D(2026, 9, 23) and not t2.awaits_application
    late = table(events, D(2026, 10, 22), applications={"T2": D(2026, 9, 23)})[1]
    assert late.overdue and late.date_label() == "2026-10-21 overdue 逾期"
    # a tranche counted from its trigger keeps its date when the agency applies as well
    t1 = table(events, D(2026, 9, 23), applications={"T1": D(2026, 9, 23)})[0]
    assert (t1.due_on, t1.applied_on) == (D(2026, 9, 21), D(2026, 9, 23))


def test_due_from_an_application_made_on_a_friday():
    # applied Fri 6 Nov 2026, 3 working days: Mon 9, Tue 10, Wed 11
    terms = [TrancheTerm("T1", 10_000, "signed", 3, "application")]
    out = schedule_tranches(
        500,
        terms,
        [Event("signed", D(2026, 11, 2))],
        applications={"T1": D(2026, 11, 6)},
        today=D(2026, 11, 6),
        calendar=CAL,
    )
    assert (out[0].status, out[0].due_on) == ("due", D(2026, 11, 11))


def test_withheld_with_and_without_an_application():
    events = [Event("signed", SIGNED), Event("mid_term_passed", MID)]
    blocks = {"*": ["suspension V1 @ ST01"]}
    bare = table(events, D(2026, 9, 23), blocks=blocks)[1]
    assert bare.status == "withheld" and bare.due_on is None and bare.awaits_application
    assert bare.date_label() == "awaiting the agency's application 待承接机构申请"
    applied = table(events, D(2026, 9, 23), blocks=blocks, applications={"T2": D(2026, 9, 23)})[1]
    assert applied.status == "withheld" and applied.due_on == D(2026, 10, 21)
    failed = table(
        [Event("signed", SIGNED), Event("mid_term_passed", MID, passed=False)],
        D(2026, 9, 23),
        applications={"T2": D(2026, 9, 23)},
    )[1]
    assert failed.status == "withheld" and failed.blocked_by == ("mid_term_passed:failed",)


def test_released_and_forfeited_whatever_the_application():
    events = [Event("signed", SIGNED), Event("mid_term_passed", MID)]
    paid = table(
        events,
        D(2026, 11, 30),
        applications={"T2": D(2026, 9, 23)},
        releases={"T2": D(2026, 10, 9)},
    )[1]
    assert (paid.status, paid.released_on, paid.applied_on) == (
        "released",
        D(2026, 10, 9),
        D(2026, 9, 23),
    )
    ended = table([Event("signed", SIGNED)], D(2026, 11, 30), ended_on=D(2026, 9, 10))[1]
    assert ended.status == "forfeited" and not ended.awaits_application


def test_a_recheck_after_the_application_counts_from_the_recheck():
    # applied Wed 23 Sep while the mid-term had failed; the re-check passed Mon 12 Oct:
    # 13 14 15 16, 19 … 23, 26 … 30, Nov 2 … Nov 2 is the 15th working day
    out = table(
        [
            Event("signed", SIGNED),
            Event("mid_term_passed", MID, passed=False),
            Event("mid_term_passed", D(2026, 10, 12)),
        ],
        D(2026, 10, 12),
        applications={"T2": D(2026, 9, 23)},
    )[1]
    assert (out.status, out.due_on) == ("due", D(2026, 11, 2))


@given(
    trigger=st.dates(D(2025, 1, 1), D(2026, 6, 30)),
    wait=st.integers(0, 120),
    days=st.integers(1, 30),
)
def test_counting_from_the_application_never_comes_earlier(trigger, wait, days):
    applied = trigger + dt.timedelta(days=wait)
    kw = {"today": D(2026, 12, 31), "calendar": CAL}
    by_trigger = schedule_tranches(
        9, [TrancheTerm("T", 10_000, "signed", days)], [Event("signed", trigger)], **kw
    )
    by_application = schedule_tranches(
        9,
        [TrancheTerm("T", 10_000, "signed", days, "application")],
        [Event("signed", trigger)],
        applications={"T": applied},
        **kw,
    )
    assert by_application[0].due_on >= by_trigger[0].due_on
    assert by_application[0].due_on == CAL.deadline(applied, days).on


def test_vouchers_every_problem_with_its_path():
    with pytest.raises(InvalidInput) as exc:
        vouchers_from([])
    assert exc.value.problems[0].path == "vouchers" and "凭证" in exc.value.problems[0].zh
    with pytest.raises(InvalidInput) as exc:
        vouchers_from(
            [
                {"kind": "receipt", "reference": "NO. 1"},
                {"kind": "invoice", "reference": "  "},
                {"kind": "invoice", "reference": "a\x00b", "evidence": 7},
                "invoice",
            ]
        )
    assert sorted(p.path for p in exc.value.problems) == [
        "vouchers[0].kind",
        "vouchers[1].reference",
        "vouchers[2].evidence",
        "vouchers[2].reference",
        "vouchers[3]",
    ]
    kind = next(p for p in exc.value.problems if p.path == "vouchers[0].kind")
    assert "发票" in kind.zh and "invoice" in kind.en
    ok = vouchers_from([{"kind": "invoice", "reference": " 增值税发票 No. 0012 "}])
    assert ok[0].as_dict() == {
        "kind": "invoice",
        "reference": "增值税发票 No. 0012",
        "evidence": None,
    }


def test_notes_and_reasons():
    assert check_note(" 首期 ") == "首期"
    with pytest.raises(InvalidInput) as exc:
        check_note("", "reason", required=True)
    assert exc.value.problems[0].path == "reason" and "理由" in exc.value.problems[0].zh
    with pytest.raises(InvalidInput):
        check_note("x" * 4001)
    assert live_key("c", "T2") == "c:T2"


def test_every_voucher_kind_has_its_word_and_the_api_knows_them_all():
    assert set(VOUCHER_KINDS) == set(VOUCHER_ZH)
    assert set(typing.get_args(VoucherIn.model_fields["kind"].annotation)) == set(VOUCHER_KINDS)
