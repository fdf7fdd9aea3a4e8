"""Metrics on hand-computed registers (each figure below is worked out in the comment)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.decisions.report_schedule import reports_due
from evaluator.evidence.metrics import METRICS, Period
from evaluator.evidence.metrics.surveys import mean_interval, t975
from evaluator.evidence.parse import parse_register

YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
HALF = Period(dt.date(2025, 1, 1), dt.date(2025, 6, 30))


def frame(tmp_path, kind, text):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return parse_register(kind, path).frame


def run(name, df, stations=("S1", "S2"), period=YEAR, **params):
    return METRICS[name].run(df, list(stations), period, params)


STAFF = """
人员编号,所属站点,入职日期,离职日期,是否专职,职业资格等级,取得资格日期,培训时数,督导时数
P1,S1,2020-01-01,,是,社会工作师,2019-06-01,60,20
P2,S1,2024-03-01,,是,无,,40,10
P3,S1,2022-01-10,2025-06-30,是,无,,20,6
P4,S1,2025-07-01,,是,助理社会工作师,2025-09-01,30,4
P5,S1,2021-01-01,,否,无,,0,0
P6,S2,2021-05-01,,是,无,,10,2
"""


def test_headcount(tmp_path):
    df = frame(tmp_path, "staff", STAFF)
    out = run("fulltime_headcount", df)
    # S1 full-time: P1 12 months, P2 12, P3 Jan–Jun (on duty 30 June) 6, P4 Jul–Dec 6 → 36/12 = 3
    assert out.loc["S1", "value"] == pytest.approx(3.0)
    assert out.loc["S2", "value"] == pytest.approx(1.0)
    # half year: P1, P2, P3 six months each → 3
    assert run("fulltime_headcount", df, period=HALF).loc["S1", "value"] == pytest.approx(3.0)


def test_qualified_share_counts_the_deadline_from_hiring(tmp_path):
    df = frame(tmp_path, "staff", STAFF)
    out = run("qualified_share", df)
    # on duty 31 Dec at S1: P1 (qualified), P2 (hired 2024-03, deadline 2026-03: within), P4 (qualified)
    assert out.loc["S1", "value"] == pytest.approx(1.0) and out.loc["S1", "n"] == 3
    # S2: P6 hired 2021-05, unqualified past 2023-05 → 0/1
    assert out.loc["S2", "value"] == 0.0
    assert out.loc["S2", "detail"]["overdue"] == ["P6"]
    # a one-year grace makes P2 overdue at S1: 2/3
    assert run("qualified_share", df, grace_years=1).loc["S1", "value"] == pytest.approx(2 / 3)


def test_the_contract_s_years_to_qualify_win_over_the_system_s(tmp_path):
    df = frame(tmp_path, "staff", STAFF)
    # P2 hired 2024-03-01, unqualified; at the end of 2025: 1 year 10 months since hiring.
    # A contract of 1 year: overdue (2/3 at S1), whatever the system says (grace_years 2)
    one = Period(YEAR.start, YEAR.end, qualification_years=1)
    out = run("qualified_share", df, period=one, grace_years=2)
    assert out.loc["S1", "value"] == pytest.approx(2 / 3)
    assert out.loc["S1", "detail"]["overdue"] == ["P2"]
    assert (
        out.loc["S1", "detail"]["deadline_years"],
        out.loc["S1", "detail"]["deadline_from"],
    ) == (
        1,
        "contract",
    )
    # P6 (S2) hired 2021-05-01: overdue after 2 years (2023-05) and after 3 (2024-05) alike;
    # at 30 June 2023 it is overdue under 2 years (deadline 1 May 2023), within under 3
    mid_2023 = (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    two = run("qualified_share", df, period=Period(*mid_2023))
    three = run("qualified_share", df, period=Period(*mid_2023, qualification_years=3))
    assert two.loc["S2", "value"] == 0.0 and two.loc["S2", "detail"]["deadline_from"] == "system"
    assert three.loc["S2", "value"] == 1.0 and three.loc["S2", "detail"]["overdue"] == []


def test_hours_per_worker_and_retention(tmp_path):
    df = frame(tmp_path, "staff", STAFF)
    # training: P1 60 + P2 40 + P3 20 + P4 30 = 150 over average headcount 3 → 50
    assert run("training_hours_per_worker", df).loc["S1", "value"] == pytest.approx(50.0)
    # supervision: 20 + 10 + 6 + 4 = 40 / 3
    assert run("supervision_hours_per_worker", df).loc["S1", "value"] == pytest.approx(40 / 3)
    # one departure (P3) over 3 → 1 − 1/3
    assert run("retention", df).loc["S1", "value"] == pytest.approx(2 / 3)
    assert run("retention", df).loc["S2", "value"] == pytest.approx(1.0)


def test_training_hours_met_share_counts_each_worker_pro_rata(tmp_path):
    df = frame(tmp_path, "staff", STAFF)
    out = run("training_hours_met_share", df)
    # 2025, full-time workers who served at S1, owing 60 h × days served ÷ 365:
    # P1 365 d → 60, has 60: met · P2 365 d → 60, has 40: below
    # P3 1 Jan–30 Jun 181 d → 29.75, has 20: below · P4 1 Jul–31 Dec 184 d → 30.25, has 30: below
    assert out.loc["S1", "value"] == pytest.approx(1 / 4) and out.loc["S1", "n"] == 4
    below = out.loc["S1", "detail"]["below"]
    assert [b["person"] for b in below] == ["P2", "P3", "P4"]
    assert below[1] == {"person": "P3", "hours": 20.0, "owed": 29.75}
    assert below[2]["owed"] == 30.25
    assert out.loc["S2", "value"] == 0.0  # P6: 10 h of 60
    # the first half (181 days): P1 and P2 owe 29.75 and have 60 and 40; P3 20; P4 not yet hired
    half = run("training_hours_met_share", df, period=HALF)
    assert half.loc["S1", "value"] == pytest.approx(2 / 3) and half.loc["S1", "n"] == 3
    # 40 hours a year: P2 (40 of 40) and P4 (30 of 20.16) now meet it; P3 20 of 19.84 too
    assert run("training_hours_met_share", df, min_hours=40).loc["S1", "value"] == 1.0


def test_staffed_in_time_finds_the_first_day_with_enough_workers(tmp_path):
    late = STAFF.strip() + "\nP7,S3,2025-01-10,,是,无,,0,0\nP8,S3,2025-03-01,,是,无,,0,0\n"
    df = frame(tmp_path, "staff", late)
    out = run("staffed_in_time", df, stations=("S1", "S2", "S3"))
    # 2025, deadline 1 Feb: S1 has P1, P2, P3 on duty on 1 January → staffed on day one
    assert out.loc["S1", "value"] == 1.0
    assert out.loc["S1", "detail"] == {
        "staffed_on": "2025-01-01",
        "deadline": "2025-02-01",
        "min_staff": 2,
    }
    # S2: P6 alone, never two → 0 once the deadline has passed
    assert out.loc["S2", "value"] == 0.0 and out.loc["S2", "detail"]["staffed_on"] is None
    # S3: the second worker came on 1 March, a month late; with two months it is in time
    assert out.loc["S3", "value"] == 0.0 and out.loc["S3", "detail"]["staffed_on"] == "2025-03-01"
    two = run("staffed_in_time", df, stations=("S3",), setup_months=2)
    assert two.loc["S3", "value"] == 1.0 and two.loc["S3", "detail"]["deadline"] == "2025-03-01"
    # four workers at S1: 3 on 1 January; P3 left 30 June before P4 came 1 July → never
    assert run("staffed_in_time", df, stations=("S1",), min_staff=4).loc["S1", "value"] == 0.0
    # a contract from 15 June: P1, P2, P3 on duty that day (P3 leaves 30 June) → in time
    june = Period(dt.date(2025, 6, 15), dt.date(2025, 12, 31))
    assert run("staffed_in_time", df, stations=("S1",), period=june).loc["S1", "value"] == 1.0
    # a round before the deadline, the station not yet staffed: too early to tell
    early = Period(dt.date(2025, 6, 20), dt.date(2025, 7, 5))
    unknown = run("staffed_in_time", df, stations=("S1",), period=early, min_staff=4)
    assert math.isnan(unknown.loc["S1", "value"])


SUPERVISORS = """
人员编号,所属站点,入职日期,离职日期,是否专职,职业资格等级,取得资格日期,培训时数,督导时数,岗位,社会工作相关专业学历
Q1,S1,2020-01-01,,是,社会工作师,2019-06-01,60,20,督导,否
Q2,S1,2021-01-01,,是,助理社会工作师,2021-06-01,70,10,督导,是
Q3,S1,2022-01-01,,是,无,,20,6,社工,否
Q4,S2,2020-01-01,2025-03-31,是,高级社会工作师,2015-01-01,10,2,督导,否
Q5,S2,2021-01-01,,是,社会工作师,2026-01-01,10,2,督导,否
"""


def test_supervisor_qualified_and_the_equivalences_a_province_allows(tmp_path):
    df = frame(tmp_path, "staff", SUPERVISORS)
    out = run("supervisor_qualified", df, stations=("S1", "S2", "S3"))
    # S1: supervisors Q1 (社会工作师: intermediate) and Q2 (助理: assistant) → 1/2; Q3 is a worker
    assert out.loc["S1", "value"] == 0.5 and out.loc["S1", "n"] == 2
    assert out.loc["S1", "detail"]["not_qualified"] == ["Q2"]
    # S2 on 31 December: Q4 left in March; Q5's certificate is dated 2026 → 0/1
    assert out.loc["S2", "value"] == 0.0 and out.loc["S2", "detail"]["not_qualified"] == ["Q5"]
    # S3 has no supervisor: missing, not zero
    assert math.isnan(out.loc["S3", "value"])
    # one province: 60 hours of training (Q2 has 70), or a relevant degree (Q2 has one)
    hours = run("supervisor_qualified", df, stations=("S1",), equivalent_hours=60)
    assert hours.loc["S1", "value"] == 1.0
    assert (
        run("supervisor_qualified", df, stations=("S1",), equivalent_hours=80).loc["S1", "value"]
        == 0.5
    )
    degree = run("supervisor_qualified", df, stations=("S1",), degree_counts="yes")
    assert degree.loc["S1", "value"] == 1.0
    # a roster without the position column has no supervisor anywhere
    plain = run("supervisor_qualified", frame(tmp_path, "staff", STAFF))
    assert plain["value"].isna().all()


@settings(max_examples=60, deadline=None)
@given(
    hours=st.lists(st.integers(0, 120), min_size=1, max_size=8),
    low=st.integers(0, 90),
    extra=st.integers(0, 60),
)
def test_training_hours_met_share_falls_as_the_duty_rises(tmp_path_factory, hours, low, extra):
    rows = "\n".join(f"P{i},S1,2024-0{1 + i % 9}-01,,是,无,,{h},0" for i, h in enumerate(hours))
    df = frame(tmp_path_factory.mktemp("t"), "staff", STAFF.strip().split("\n")[0] + "\n" + rows)
    lower = run("training_hours_met_share", df, stations=("S1",), min_hours=low)
    higher = run("training_hours_met_share", df, stations=("S1",), min_hours=low + extra)
    a, b = lower.loc["S1", "value"], higher.loc["S1", "value"]
    assert 0.0 <= b <= a <= 1.0
    met = lower.loc["S1", "detail"]["met"]
    assert met + len(lower.loc["S1", "detail"]["below"]) == len(hours)


SERVICES = """
所属站点,服务日期,服务类型,个案/小组编号,节次/跟进次数,参与人数,服务时数,服务地点
S1,2025-01-05,个案,C1,3,1,1,入户
S1,2025-02-05,个案,C1,3,1,1,入户
S1,2025-03-05,个案,C2,5,1,1,站内
S1,2025-03-06,个案,,6,1,1,站内
S1,2025-04-01,小组,G1,3,24,2,社区
S1,2025-04-08,小组,G1,3,18,2,社区
S1,2025-05-01,小组,G2,6,30,2,站内
S1,2025-06-01,社区活动,A1,,25,3,社区
S1,2025-06-02,社区活动,,,24,3,社区
S1,2024-12-31,个案,C9,9,1,9,站内
S2,2025-07-01,社区活动,,,300,4,社区
"""


def test_quality_gated_services(tmp_path):
    df = frame(tmp_path, "service_log", SERVICES)
    cases = run("cases_qualified", df)
    # C1 3+3 = 6 ✓, C2 5 ✗, unnamed row 6 ✓; C9 is dated before the period
    assert cases.loc["S1", "value"] == 2 and cases.loc["S1", "n"] == 3
    assert cases.loc["S2", "value"] == 0
    groups = run("groups_qualified", df)
    # G1: 6 sessions, 42 person-times ✓; G2: 6 sessions but 30 person-times ✗
    assert groups.loc["S1", "value"] == 1
    assert run("groups_qualified", df, min_person_times=30).loc["S1", "value"] == 2
    acts = run("activities_qualified", df)
    assert acts.loc["S1", "value"] == 1 and acts.loc["S2", "value"] == 1  # 25 ✓, 24 ✗, 300 ✓


def test_community_hours_share(tmp_path):
    df = frame(tmp_path, "service_log", SERVICES)
    out = run("community_hours_share", df)
    # S1 in 2025: household 1+1, community 2+2+3+3 = 12 of 1+1+1+1+2+2+2+3+3 = 16
    assert out.loc["S1", "value"] == pytest.approx(12 / 16)
    assert out.loc["S2", "value"] == pytest.approx(1.0)
    assert run("service_hours", df).loc["S1", "value"] == pytest.approx(16)


REPORTS = """
所属站点,报告类型,报告期,应交日期,提交日期
S1,月度简报,2025-01,2025-02-10,2025-02-08
S1,月度简报,2025-02,2025-03-10,2025-03-12
S1,月度简报,2025-03,2025-04-10,
,月度简报,2025-04,2025-05-10,2025-05-10
S1,季度报告,2025-Q1,2025-04-15,2025-04-01
S2,月度简报,2025-12,2026-01-10,2026-01-05
"""


def test_reports_on_time(tmp_path):
    df = frame(tmp_path, "reports", REPORTS)
    out = run("reports_on_time", df)
    # S1 monthly due in 2025: Jan ✓, Feb late, Mar missing, Apr (contract-level, on the day) ✓
    assert out.loc["S1", "value"] == 2 and out.loc["S1", "n"] == 4
    assert out.loc["S1", "detail"]["late"] == ["2025-02"] and out.loc["S1", "detail"][
        "missing"
    ] == ["2025-03"]
    # S2: its December brief is due in 2026 → only the shared April one
    assert out.loc["S2", "value"] == 1 and out.loc["S2", "n"] == 1
    assert run("reports_on_time", df, report_type="quarterly").loc["S1", "value"] == 1
    assert run("reports_on_time_share", df).loc["S1", "value"] == pytest.approx(0.5)


FINANCE = """
日期,所属站点,支出类别,金额（元）,凭证齐全
2025-01-05,S1,人员经费,"10,000.10",是
2025-02-05,S1,活动经费,2000.05,否
2025-03-05,,行政办公,999.85,是
2026-01-05,S1,人员经费,5000,是
"""


def test_finance_in_fen(tmp_path):
    df = frame(tmp_path, "finance", FINANCE)
    share = run("spending_share", df)
    # S1: 1000010 of 1000010 + 200005 + 99985 = 1300000 fen
    assert share.loc["S1", "detail"] == {
        "category_fen": 1000010,
        "total_fen": 1300000,
        "category": "personnel",
    }
    assert share.loc["S1", "value"] == pytest.approx(1000010 / 1300000)
    assert run("spending", df).loc["S1", "value"] == 13000.00
    assert run("spending", df).loc["S2", "detail"] == {"total_fen": 99985}
    assert run("vouchers_complete_share", df).loc["S1", "value"] == pytest.approx(2 / 3)


VOLUNTEERS = """
志愿者编号,所属站点,已在全国志愿服务信息系统注册,志愿服务时数,加入日期
V1,S1,是,10.5,2024-01-01
V2,S1,否,20,2024-01-01
V3,S1,是,4,2026-02-01
V4,S2,是,7,
"""


def test_volunteers(tmp_path):
    df = frame(tmp_path, "volunteers", VOLUNTEERS)
    assert (
        run("volunteers_registered", df).loc["S1", "value"] == 1
    )  # V2 unregistered, V3 joins later
    assert run("volunteer_hours", df).loc["S1", "value"] == pytest.approx(10.5)
    assert run("volunteer_hours", df).loc["S2", "value"] == pytest.approx(7)


SURVEY_HEAD = "所属站点,受访者类型,调查方式,总体满意度,服务态度,专业能力,服务及时性,服务效果,知晓站点地址,知晓服务内容,知晓驻站社工,知晓求助方式,知晓资金来源\n"
SURVEY = (
    SURVEY_HEAD
    + """
S1,服务对象,电话,5,5,5,5,5,是,是,是,否,否
S1,服务对象,电话,4,4,4,4,,是,否,否,否,否
S1,服务对象,现场,3,3,,,,是,是,是,是,是
S1,服务对象,现场,4,5,4,5,4,,,,,
S1,购买方,现场,2,2,2,2,2,,,,,
"""
)


def test_satisfaction_mean_interval_and_quota(tmp_path):
    df = frame(tmp_path, "satisfaction", SURVEY)
    out = run("satisfaction_mean", df)
    d = out.loc["S1", "detail"]
    # valid (≥ 4 of 5 items): rows 1 (5.0), 2 (4.0), 4 (4.4); row 3 answers 2 items
    assert d["valid"] == 3 and d["phone"] == 2 and d["on_site"] == 1
    assert out.loc["S1", "value"] == pytest.approx((5 + 4 + 4.4) / 3)
    sd = np.std([5, 4, 4.4], ddof=1)
    half = 4.302652729911275 * sd / math.sqrt(3)
    assert d["ci95"] == pytest.approx([4.4667 - half, 4.4667 + half], abs=1e-3)
    assert out.loc["S1", "flags"] == ("insufficient_sample",)  # 2 < 50 phone, 1 < 10 on site
    met = run("satisfaction_mean", df, phone_quota=2, on_site_quota=1)
    assert met.loc["S1", "flags"] == ()
    buyer = run("satisfaction_mean", df, respondent="purchaser")
    assert (
        buyer.loc["S1", "value"] == 2.0 and buyer.loc["S1", "flags"] == ()
    )  # no quota for purchasers
    assert math.isnan(out.loc["S2", "value"]) and out.loc["S2", "n"] == 0


def test_awareness(tmp_path):
    df = frame(tmp_path, "satisfaction", SURVEY)
    out = run("awareness_rate", df)
    # valid and asked: row 1 (3 known ✓), row 2 (1 ✗); row 4 not asked, row 3 not valid
    assert out.loc["S1", "value"] == pytest.approx(0.5) and out.loc["S1", "n"] == 2


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.7062),
        (2, 4.3027),
        (3, 3.1824),
        (5, 2.5706),
        (9, 2.2622),
        (29, 2.0452),
        (59, 2.0010),
        (200, 1.9719),
        (201, 1.9718),
        (1000, 1.9623),
    ],
)
def test_t_quantile_matches_tables(df, expected):
    assert t975(df) == pytest.approx(expected, abs=1e-4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=200))
def test_interval_contains_the_mean_and_shrinks_with_n(scores):
    arr = np.array(scores, dtype=float)
    mean, sd, low, high = mean_interval(arr)
    assert low <= mean <= high and 1 <= mean <= 5
    _, _, low2, high2 = mean_interval(np.concatenate([arr, arr]))
    assert high2 - low2 <= high - low + 1e-12


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["S1", "S2", "S3"]),
            st.integers(1, 10),
            st.sampled_from(["社区", "入户", "站内"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_hours_share_is_a_share_of_the_total(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("h") / "log.csv"
    lines = ["所属站点,服务日期,服务类型,服务时数,服务地点"] + [
        f"{s},2025-05-01,探访,{h},{p}" for s, h, p in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    df = parse_register("service_log", path).frame
    share = run("community_hours_share", df, stations=("S1", "S2", "S3"))
    total = run("service_hours", df, stations=("S1", "S2", "S3"))
    for s in ("S1", "S2", "S3"):
        hours = sum(h for st_, h, _ in rows if st_ == s)
        assert total.loc[s, "value"] == pytest.approx(hours)
        if hours:
            assert 0 <= share.loc[s, "value"] <= 1
        else:
            assert math.isnan(share.loc[s, "value"])


@pytest.mark.parametrize("df", [201, 350, 1000, 5000])
def test_t_expansion_beyond_200_matches_the_exact_distribution(df):
    from evaluator.evidence.metrics.surveys import central_t

    assert central_t(t975(df), df) == pytest.approx(0.95, abs=1e-10)


# -- the report log against the contract's report schedule -----------------------------------
# The contract year 2025; its schedule: monthly briefs due 10 days after each month, quarterly
# reports 15 days after each quarter, the mid-term report on 2025-07-02.
SCHEDULED = tuple(
    reports_due(
        [
            {"kind": "monthly", "due_days": 10},
            {"kind": "quarterly", "due_days": 15},
            {"kind": "midterm", "due": "2025-07-02"},
        ],
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
)
TO_JULY = Period(dt.date(2025, 1, 1), dt.date(2025, 7, 15), SCHEDULED)
LOG = """
站点编码,报告类型,报告期,应交日期,提交日期
S1,月度简报,2025-01,2025-02-10,2025-02-08
S1,月度简报,2025-02,2025-03-31,2025-03-12
S1,月度简报,2025-03,2025-04-10,
,月度简报,2025-04,2025-05-10,2025-05-10
S1,季度报告,2025-Q1,2025-04-15,2025-04-01
,中期报告,2025-H1,2025-07-02,2025-07-03
S1,中期报告,2025,2025-07-02,2025-06-30
S1,末期报告,2025,2025-06-15,2025-06-15
S2,季度报告,2024-Q4,2025-01-15,2025-01-15
S2,月度简报,2025-06,2025-07-10,2025-07-11
"""


def test_scheduled_reports_are_matched_by_kind_and_period(tmp_path):
    df = frame(tmp_path, "reports", LOG)
    out = run("reports_scheduled_on_time_share", df, period=TO_JULY)
    # due by 15 July: briefs 2025-01 … 2025-06 (due 10 Feb … 10 Jul), 2025-Q1 (15 Apr),
    # 2025-Q2 (15 Jul), the mid-term report (2 Jul) → 9 for every station
    s1 = out.loc["S1", "detail"]
    # S1: Jan ✓; Feb submitted 12 Mar after the schedule's 10 Mar → late (the row's own due
    # date, 31 Mar, is not read); Mar listed without a date → missing; Apr contract-level ✓;
    # May and Jun not in the log → missing (unlisted); Q1 ✓; Q2 unlisted → missing; mid-term
    # S1's own 30 Jun ✓ (the earliest of its own and the contract-level row) → 4 of 9
    assert out.loc["S1", "n"] == 9 and s1["on_time"] == 4
    assert out.loc["S1", "value"] == pytest.approx(4 / 9)
    assert s1["late"] == ["2025-02"]
    assert s1["missing"] == ["2025-03", "2025-05", "2025-06", "2025-Q2"]
    assert s1["unlisted"] == ["2025-05", "2025-06", "2025-Q2"]
    # a final report the schedule does not ask for neither counts nor costs: named
    assert s1["unscheduled"] == ["final"]
    s2 = out.loc["S2", "detail"]
    # S2: Apr ✓ (contract-level) and the mid-term report, contract-level, 3 Jul: late; its
    # June brief 11 Jul: late; 2024-Q4 is before the contract year: unscheduled → 1 of 9
    assert s2["on_time"] == 1 and s2["late"] == ["midterm", "2025-06"]
    assert s2["unscheduled"] == ["2024-Q4"]
    assert len(s2["missing"]) == 6


def test_scheduled_reports_of_one_kind_and_nothing_due(tmp_path):
    df = frame(tmp_path, "reports", LOG)
    quarterly = run("reports_scheduled_on_time_share", df, period=TO_JULY, report_type="quarterly")
    assert quarterly.loc["S1", "n"] == 2 and quarterly.loc["S1", "value"] == pytest.approx(0.5)
    assert quarterly.loc["S1", "detail"]["unscheduled"] == []  # other kinds are not read
    # before the first report is due (a round dated 1 Feb) nothing is due: no value
    early = Period(dt.date(2025, 1, 1), dt.date(2025, 2, 1), SCHEDULED)
    none = run("reports_scheduled_on_time_share", df, period=early)
    assert math.isnan(none.loc["S1", "value"]) and none.loc["S1", "n"] == 0
    # no contract known (reports_due None): nothing due either
    assert math.isnan(run("reports_scheduled_on_time_share", df).loc["S1", "value"])


def test_a_report_never_listed_is_missing_for_the_scheduled_metric_only(tmp_path):
    df = frame(tmp_path, "reports", LOG)
    listed = run("reports_on_time_share", df, period=TO_JULY).loc["S1"]
    scheduled = run("reports_scheduled_on_time_share", df, period=TO_JULY).loc["S1"]
    assert "2025-05" not in listed["detail"]["missing"]  # the log's own view: not seen
    assert "2025-05" in scheduled["detail"]["missing"]
