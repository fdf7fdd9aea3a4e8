"""The staffing and de-administration rules of the plans (docs/domain-rules.md), each on a
worked case from the demo county's registers: the supervisor's qualification (A1.5,
DV-SUPERVISOR), the set-up deadline (A1.6, DV-SETUP), each worker's training hours (B3.2,
DV-TRAINING), township administrative work within the contract's limit (C1.7,
DV-DIVERSION) and the equivalences one province allows (a relevant degree, 60 hours)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.demo.county import cast, make_county
from evaluator.demo.registers import demo_registers, round_date, write_registers
from evaluator.demo.scoring import run_demo
from evaluator.evidence.metrics import METRICS, Period
from evaluator.evidence.parse import parse_register
from evaluator.shipped import shipped_system
from evaluator.systems import load_system


@pytest.fixture(scope="module")
def demo():
    return run_demo(None)


@pytest.fixture(scope="module")
def county():
    return make_county(2026)


def _registers(county, station, tmp_path, edit=None):
    """The parsed registers of ``station``'s contract (``edit`` changes the raw frames
    first), the contract and the mid-term round's period."""
    contract = county.contract_of(station)
    frames = demo_registers(county, contract, cast(county), 2026, 0.5, True)
    if edit:
        edit(frames)
    paths = write_registers(frames, tmp_path)
    parsed = {kind: parse_register(kind, path).frame for kind, path in paths.items()}
    return parsed, contract, Period(contract.start, round_date(contract, 0.5))


def _finding(demo, station, rule):
    return next(f for f in demo.consequences.findings if f.unit == station and f.rule == rule)


def test_shipped_system_reads_the_rules():
    system = load_system(shipped_system("station-annual"))
    leaves = {lf.code: lf for lf in system.leaves}
    assert system.version == "2026.5"
    measured = {c: leaves[c].spec.measure.metric for c in ("A1.5", "A1.6", "B3.2", "C1.7")}
    assert measured == {
        "A1.5": "supervisor_qualified",
        "A1.6": "staffed_in_time",
        "B3.2": "training_hours_met_share",
        "C1.7": "township_work_within_limit",
    }
    items = leaves["A3.1"].spec.items
    assert [i.code for i in items] == ["a", "b", "c", "d", "e"] and "12 平方米" in items[3].text
    rules = {d.code: d for d in system.spec.deviations}
    assert rules["DV-SUPERVISOR"].severity == "correction"
    assert rules["DV-SUPERVISOR"].deadline_working_days == 30
    assert rules["DV-DIVERSION"].severity == "correction"
    assert rules["DV-SETUP"].severity == rules["DV-TRAINING"].severity == "observation"
    assert sum(leaves[c].points for c in ("A1.1", "A1.2", "A1.3", "A1.4", "A1.5", "A1.6")) == 5


def test_the_weak_station_s_supervisor_is_unqualified(demo):
    """ST10's supervisor (its last listed worker, P03) left 40 days into the contract; the
    assistant hired 90 days later without a certificate (P04) took the post. On the round's
    date the one supervisor on duty lacks 社会工作师: A1.5 = 0 of 0.5, and the correction
    DV-SUPERVISOR names the leaf, qualify or replace within 30 working days."""
    station = cast(demo.county)["weak"][0]
    note = demo.notes[(station, "A1.5")]
    assert note["value"] == 0.0
    assert note["detail"] == {"supervisors": 1, "qualified": 0, "not_qualified": [f"{station}-P04"]}
    assert float(demo.result.node_points.loc[station, "A1.5"]) == 0.0
    finding = _finding(demo, station, "DV-SUPERVISOR")
    assert finding.severity == "correction" and "A1.5" in finding.zh and "30 个工作日" in finding.zh
    # every other station's supervisor holds the intermediate qualification or above
    others = [u for u in demo.result.units if u != station]
    assert all(demo.notes[(u, "A1.5")]["value"] == 1.0 for u in others)


def test_the_diverted_station_spends_a_sixth_of_its_hours_on_township_work(demo, tmp_path):
    """ST06 logs a four-hour half day of township administrative work each week: 11 half
    days, 44 of its 261.5 logged hours = 16.826 % > the shipped 10 % → C1.7 = 0 and the
    correction DV-DIVERSION; with a contract allowing 20 % it is within. Its service hours
    (C1.5's denominator) leave the township work out: 217.5 = 261.5 − 44."""
    station = cast(demo.county)["diverted"][0]
    note = demo.notes[(station, "C1.7")]
    assert note["value"] == 0.0
    assert note["detail"] == {
        "township_hours": 44.0,
        "total_hours": 261.5,
        "share": 0.1683,
        "limit": 0.1,
        "limit_from": "system",
    }
    assert demo.notes[(station, "C1.5")]["detail"]["total_hours"] == 217.5
    finding = _finding(demo, station, "DV-DIVERSION")
    assert finding.severity == "correction" and "C1.7" in finding.zh
    assert not any(
        f.rule == "DV-DIVERSION" for f in demo.consequences.findings if f.unit != station
    )
    parsed, contract, period = _registers(demo.county, station, tmp_path)
    log = parsed["service_log"]
    mine = log[np.asarray(log["station"] == station)]
    admin = mine[np.asarray(mine["service_type"] == "township_admin")]
    assert len(admin) == 11 and float(admin["hours"].sum()) == 44.0
    run = METRICS["township_work_within_limit"].run
    for limit, within in ((0.2, 1.0), (0.16, 0.0), (0.168, 0.0), (0.1683, 1.0)):
        allowed = Period(period.start, period.end, township_share_limit=limit)
        out = run(log, [station], allowed)
        assert out.loc[station, "value"] == within, limit
        assert out.loc[station, "detail"]["limit_from"] == "contract"


def test_a_worker_short_of_training_hours_is_named(county, tmp_path):
    """ST01's P02 logged 20 training hours by the round's date; a full period of
    2026-04-01 – 2026-09-30 (183 days) owes 60 × 183 / 365 = 30.08 h, so P02 is below and
    B3.2's share is 2/3 < 0.75 → 0 points, DV-TRAINING's observation; the station average
    (what B3.2 read before 2026.5) would still be above 40 h."""
    station = "ST01"

    def short(frames):
        staff = frames["staff"]
        staff.loc[staff["人员编号"] == f"{station}-P02", "培训时数"] = 20

    parsed, _, period = _registers(county, station, tmp_path, short)
    roster = parsed["staff"]
    out = METRICS["training_hours_met_share"].run(roster, [station], period)
    detail = out.loc[station, "detail"]
    owed = round(60 * ((period.end - period.start).days + 1) / 365, 2)
    assert detail["below"] == [{"person": f"{station}-P02", "hours": 20.0, "owed": owed}]
    assert out.loc[station, "value"] == pytest.approx(2 / 3)
    average = METRICS["training_hours_per_worker"].run(roster, [station], period)
    assert average.loc[station, "value"] > 40


def test_a_station_staffed_after_a_month_misses_its_set_up(county, tmp_path):
    """ST01's contract starts 2026-04-01: set-up is due 2026-05-01. Hire its workers from
    2026-05-15 instead and the second full-time worker arrives 2026-05-15: A1.6's metric is
    0 and names the day and the deadline; hired 2026-04-20 they are in time."""
    station = "ST01"

    def hired(day):
        def edit(frames):
            staff = frames["staff"]
            staff.loc[staff["站点编码"] == station, "入职日期"] = day
            staff.loc[staff["站点编码"] == station, "取得资格日期"] = day

        return edit

    for day, value in (("2026-05-15", 0.0), ("2026-04-20", 1.0)):
        parsed, _, period = _registers(county, station, tmp_path / day, hired(day))
        out = METRICS["staffed_in_time"].run(parsed["staff"], [station], period)
        assert out.loc[station, "value"] == value
        assert out.loc[station, "detail"] == {
            "staffed_on": day,
            "deadline": "2026-05-01",
            "min_staff": 2,
        }


def test_a_relevant_degree_or_60_hours_count_where_the_system_allows(county, tmp_path):
    """The flawed station's P01 (hired 2022-03-01, no certificate) is overdue under the
    national rule; a province counting a relevant degree (degree_counts: yes) or 60 hours of
    training (equivalent_hours: 60) counts them qualified, so A1.4's share rises to 1."""
    station = cast(county)["flawed"][0]
    person = f"{station}-P01"

    def degree(frames):
        staff = frames["staff"]
        staff["社会工作相关专业学历"] = np.where(staff["人员编号"] == person, "是", "否")

    parsed, _, period = _registers(county, station, tmp_path, degree)
    roster = parsed["staff"]
    run = METRICS["qualified_share"].run
    national = run(roster, [station], period)
    assert national.loc[station, "detail"]["overdue"] == [person]
    by_degree = run(roster, [station], period, {"degree_counts": "yes"})
    assert by_degree.loc[station, "value"] == 1.0 > national.loc[station, "value"]
    assert by_degree.loc[station, "detail"]["equivalent"] == 1
    hours = float(roster.loc[roster["person_id"] == person, "training_hours"].iloc[0])
    assert hours >= 60  # the demo's good stations train 60 h or more
    by_hours = run(roster, [station], period, {"equivalent_hours": 60})
    assert by_hours.loc[station, "value"] == 1.0
    beyond = run(roster, [station], period, {"equivalent_hours": hours + 1})
    assert beyond.loc[station, "detail"]["overdue"] == [person]


# -- properties ---------------------------------------------------------------------------

_DAY = dt.date(2026, 6, 30)
_PERIOD = Period(dt.date(2026, 1, 1), _DAY)


def _log(rows):
    return pd.DataFrame(
        {
            "station": ["S"] * len(rows),
            "date": pd.to_datetime([_DAY] * len(rows)),
            "service_type": [kind for kind, _ in rows],
            "hours": [h for _, h in rows],
            "place": ["community"] * len(rows),
        }
    )


_ROWS = st.lists(
    st.tuples(st.sampled_from(["case", "visit", "township_admin"]), st.floats(0.5, 8)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(_ROWS, st.floats(0, 1), st.floats(0, 1), st.floats(0.5, 8))
def test_township_work_is_monotone(rows, low, high, more):
    """A higher limit never turns within into above; more township hours never turn above
    into within; a station within the limit has a share at most the limit."""
    low, high = sorted((low, high))
    run = METRICS["township_work_within_limit"].run
    frame = _log(rows)

    def within(f, limit):
        out = run(f, ["S"], Period(_PERIOD.start, _PERIOD.end, township_share_limit=limit))
        return out.loc["S", "value"], out.loc["S", "detail"]

    at_low, detail = within(frame, low)
    at_high, _ = within(frame, high)
    assert at_high >= at_low
    if at_low == 1.0:
        assert detail["township_hours"] <= low * detail["total_hours"] + 1e-6
    busier, _ = within(_log([*rows, ("township_admin", more)]), low)
    assert busier <= at_low


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.floats(0, 120), st.integers(2015, 2026)),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 120),
)
def test_equivalences_never_lower_the_qualified_share(workers, hours):
    """Allowing a degree or training hours to count never lowers qualified_share, and
    both never count less than either alone."""
    roster = pd.DataFrame(
        {
            "station": ["S"] * len(workers),
            "person_id": [f"P{i}" for i in range(len(workers))],
            "hire_date": pd.to_datetime([dt.date(y, 3, 1) for *_, y in workers]),
            "leave_date": pd.to_datetime([None] * len(workers)),
            "full_time": [True] * len(workers),
            "qualification": ["assistant" if q else "none" for q, *_ in workers],
            "qualification_date": pd.to_datetime(
                [dt.date(y, 6, 1) if q and y < 2026 else None for q, _, _, y in workers]
            ),
            "relevant_degree": [d for _, d, *_ in workers],
            "training_hours": [h for _, _, h, _ in workers],
        }
    )
    run = METRICS["qualified_share"].run

    def share(**params):
        return float(run(roster, ["S"], _PERIOD, params).loc["S", "value"])

    none = share()
    degree = share(degree_counts="yes")
    by_hours = share(equivalent_hours=hours)
    both = share(degree_counts="yes", equivalent_hours=hours)
    assert none <= degree <= both and none <= by_hours <= both


def test_a_system_s_limit_above_one_is_refused_where_it_is_written():
    """max_share is a share: a system setting 1.5 is refused, in both languages, with the
    file, line and path."""
    from evaluator.errors import SystemInvalid
    from evaluator.systems.loader import parse_system

    text = shipped_system("station-annual").read_text(encoding="utf-8")
    bad = text.replace(
        "measure: {metric: township_work_within_limit}",
        "measure: {metric: township_work_within_limit, params: {max_share: 1.5}}",
    )
    assert bad != text
    with pytest.raises(SystemInvalid) as caught:
        parse_system(bad, "station.yaml")
    message = str(caught.value)
    assert "station.yaml:" in message and "measure.params.max_share" in message
    assert "must be at most 1, got 1.5" in message and "不得大于 1" in message
