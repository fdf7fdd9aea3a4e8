"""Synthetic cohorts for the benchmarks: N stations evaluated in one mid-term round by a
panel of third-party raters, with the registers their agency keeps, stored through the
services into SQLite or PostgreSQL.

A cohort is plain data drawn from a seed (numpy ``Generator``s; one seed, one cohort, row
for row):

- **stations** (codes ``S00001`` …) spread over counties and townships, each with a latent
  quality in [0, 1] (mostly good, a weak tail: Beta(5, 1.8)) varied per family of the
  system (±0.07), and contract targets drawn as the demo county's are (staff 2–5, cases,
  groups, activities, visits, volunteers and their hours, ¥300,000–600,000 a year);
- the shipped **system** ``station-annual`` (44 leaves, 17 measured from the registers, 27
  scored by the panel: with the checklists' items, two bonus leaves and five vetoes, about
  56 input slots a station), each leaf with a **difficulty** (a shift of the quality scale,
  N(0, 0.07));
- the panel's **consensus** values of every slot (``evaluator.demo.scoring.synthetic_inputs``:
  each method's value from the station's quality on the leaf's family, less its
  difficulty, plus noise); bonus points for the best 3% of stations, a confirmed veto at a
  few of the weakest; **gaps**: 0.2% of (station, leaf) pairs have no value from anyone;
- **R raters** (default 3), each with a **severity** (N(0, 0.3) rubric levels; a quarter of
  it on Likert means) and noise: rubric levels and Likert means moved by severity + noise
  (kept on the scale), checklist items flipped now and then (harsh raters untick, lenient
  ones tick), counts misread at 1% of slots; each rater leaves 1% of slots empty;
- the six **registers** of the period (contract start → round date), generated for all
  stations at once (vectorised): staff roster (departures and replacements, workers past
  the qualification deadline at weaker stations), service log (cases with follow-ups,
  group sessions, activities, visits, consultations: about 150 rows a station), report
  log (late briefs at weaker stations), finance ledger, volunteer register and
  satisfaction survey (69 responses a station; one invalid), in the Chinese headers
  agencies use.

:func:`load_cohort` stores a cohort in an open, migrated database **through the services**,
as its people would: the administrator creates the regions, organisations, users and
stations (``station_svc.create_station``) and registers the system; the bureau signs one
contract for all the stations (``contracts.create_contract``) and creates the round; the
lead staffs it (``panel_staff.assign``) and opens it (``rounds.open_round``); the agency
imports its five registers and the first rater the survey
(``registers.import_register``); each rater records their values
(``scoring.record_scores``, 1,000 stations a call). The round stays open.

Presets: ``county`` (15 stations), ``province`` (2,500), ``national`` (30,000);
``--stations``, ``--raters`` and ``--system`` (a shipped system or a YAML file) override
them. A national service log is a 260 MB file: the loader raises ``REGISTER_MAX_BYTES`` to
1 GB unless it is set.

    python benchmarks/cohort.py --preset province --db sqlite:///tmp/province.sqlite3
    python benchmarks/cohort.py --preset province --create \\
        --db postgres://postgres@127.0.0.1:5432/evaluator_bench_province
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.demo.county import COUNTIES, TOWN_HEADS, TOWN_TAILS, TOWNS, uscc_check
from evaluator.demo.registers import write_registers
from evaluator.demo.scoring import TARGET_NAMES, synthetic_inputs
from evaluator.evidence.measure import measured_leaves
from evaluator.services import stations as station_svc
from evaluator.shipped import shipped_system
from evaluator.systems import IndicatorSystem, load_system
from evaluator.systems.bounds import value_bounds

SYSTEM = "station-annual"  # the default system: shipped


def system_path(system: str | Path) -> Path:
    """A shipped system's name (``station-annual``) or a YAML file's path."""
    return (
        shipped_system(str(system)) if not str(system).endswith((".yaml", ".yml")) else Path(system)
    )


YEAR = 2026
START, END = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
ELAPSED = 0.5  # a mid-term round
KINDS = ("staff", "service_log", "reports", "finance", "volunteers", "satisfaction")
COLUMNS = ["unit", "leaf", "item", "value", "target", "n"]
CHUNK = 1000  # stations per record_scores call of one rater


@dataclass(frozen=True)
class Preset:
    name: str
    stations: int
    counties: int  # the stations spread over this many counties
    raters: int = 3


PRESETS = {
    "county": Preset("county", 15, 1),
    "province": Preset("province", 2_500, 110),
    "national": Preset("national", 30_000, 1_300),
}


def as_of(elapsed: float = ELAPSED) -> dt.date:
    """The round's date: ``elapsed`` of the contract year after its start."""
    return START + dt.timedelta(days=int((END - START).days * elapsed))


@dataclass(frozen=True)
class Cohort:
    """A synthetic cohort (see the module docstring). Arrays are per station, in ``codes``
    order; :meth:`ratings` and :meth:`registers` are drawn on demand, each from a generator
    of its own, so that they do not depend on what was drawn before."""

    name: str
    seed: int
    system: IndicatorSystem
    system_file: Path  # the YAML the round is pinned to
    codes: list[str]
    township: list[str]  # each station's township name
    county: np.ndarray  # each station's county (index into ``counties``)
    counties: list[str]
    quality: np.ndarray  # (stations, families) in [0, 1]
    targets: pd.DataFrame  # per station (index: code): the contract's targets
    difficulty: dict[str, float]  # leaf → shift of the quality scale
    severity: np.ndarray  # (raters,): rubric levels added by each rater
    consensus: pd.DataFrame  # the panel's values of every slot (COLUMNS)
    elapsed: float = ELAPSED
    missing_rate: float = 0.01  # each rater's empty slots

    @property
    def stations(self) -> int:
        return len(self.codes)

    @property
    def raters(self) -> int:
        return len(self.severity)

    @property
    def as_of(self) -> dt.date:
        return as_of(self.elapsed)

    def family_quality(self, code: str) -> np.ndarray:
        """Each station's quality on family ``code`` (A … E of station-annual: the registers
        follow the family they evidence); its mean quality in a system without that family."""
        families = [f.code for f in self.system.families if not f.is_bonus]
        if code not in families:
            return self.quality.mean(axis=1)
        return self.quality[:, families.index(code)]

    def ratings(self, rater: int) -> pd.DataFrame:
        """Rater ``rater``'s (0-based) rows: the consensus seen with their severity and
        noise, 1% of slots left empty (rows absent)."""
        return rater_rows(self, rater)

    def registers(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """(kind, register) for the six kinds, each drawn when asked for."""
        for kind in KINDS:
            yield kind, REGISTER_MAKERS[kind](self)


def rng_for(seed: int, *tags: int) -> np.random.Generator:
    return np.random.default_rng([seed, *tags])


def make_cohort(
    stations: int,
    *,
    raters: int = 3,
    seed: int = 2026,
    counties: int | None = None,
    elapsed: float = ELAPSED,
    name: str = "custom",
    system: str | Path = SYSTEM,
) -> Cohort:
    """A cohort of ``stations`` stations and ``raters`` raters (module docstring), on
    ``system`` (a shipped system's name or a YAML file: its leaves with a ``measure`` are
    filled from the registers, the third party's other leaves by the panel)."""
    if stations < 1 or raters < 1:
        raise ValueError("need at least one station and one rater")
    system_file = system_path(system)
    spec = load_system(system_file)
    rng = rng_for(seed, 1)
    n = stations
    counties = counties or max(1, round(n / 23))
    width = max(4, len(str(n)))
    codes = [f"S{i:0{width}d}" for i in range(1, n + 1)]
    county = np.sort(rng.integers(0, counties, n))
    heads = [h + t for h in TOWN_HEADS for t in TOWN_TAILS]
    county_names = [
        (COUNTIES[k] if k < len(COUNTIES) else f"{heads[k % len(heads)]}县")
        + ("" if k < len(heads) else f"（{k // len(heads)}）")
        for k in range(counties)
    ]
    towns = list(TOWNS) + [h + "镇" for h in heads if h + "镇" not in TOWNS]
    township = [towns[i % len(towns)] for i in range(n)]

    families = [f for f in spec.families if not f.is_bonus]
    base = np.clip(rng.beta(5.0, 1.8, n), 0.15, 0.99)
    quality = np.clip(base[:, None] + rng.normal(0, 0.07, (n, len(families))), 0.05, 1.0)
    yuan = rng.integers(30, 61, n) * 10_000
    staff = np.clip(np.round(yuan / 120_000), 2, 5).astype(int)
    volunteers = rng.integers(5, 13, n) * 10
    targets = pd.DataFrame(
        {
            "staff": staff,
            "cases": staff * rng.integers(6, 11, n),
            "groups": rng.integers(4, 9, n),
            "activities": rng.integers(12, 25, n),
            "visits": rng.integers(12, 49, n) * 10,
            "volunteers": volunteers,
            "volunteer_hours": volunteers * rng.integers(8, 16, n),
            "budget": yuan,
            "amount_fen": yuan * 100,
        },
        index=pd.Index(codes, name="station"),
    )
    difficulty = {leaf.code: float(rng.normal(0, 0.07)) for leaf in spec.leaves}
    severity = rng_for(seed, 2).normal(0, 0.3, raters)
    consensus = _consensus(spec, codes, quality, targets, difficulty, seed, elapsed)
    return Cohort(
        name=name,
        seed=seed,
        system=spec,
        system_file=system_file,
        codes=codes,
        township=township,
        county=county,
        counties=county_names,
        quality=quality,
        targets=targets,
        difficulty=difficulty,
        severity=severity,
        consensus=consensus,
        elapsed=elapsed,
    )


def preset_cohort(
    preset: str,
    *,
    seed: int = 2026,
    stations: int | None = None,
    raters: int | None = None,
    system: str | Path = SYSTEM,
) -> Cohort:
    """The cohort of a preset (``stations``, ``raters``, ``system`` override its own)."""
    p = PRESETS[preset]
    n = stations or p.stations
    counties = max(1, round(p.counties * n / p.stations))
    return make_cohort(
        n, raters=raters or p.raters, seed=seed, counties=counties, name=preset, system=system
    )


def rated_leaves(system: IndicatorSystem) -> list[str]:
    """Leaves the third-party panel scores: not measured from a register."""
    measured = set(measured_leaves(system))
    return [
        leaf.code
        for leaf in system.leaves
        if leaf.code not in measured and leaf.rater_role == "third_party"
    ]


def _consensus(system, codes, quality, targets, difficulty, seed, elapsed) -> pd.DataFrame:
    rng = rng_for(seed, 3)
    n = len(codes)
    tg = {
        name: targets["budget" if name == "budget_yuan" else name].to_numpy(dtype=float)
        for name in TARGET_NAMES
    }
    frame = synthetic_inputs(system, codes, quality, rng, tg, elapsed, difficulty)
    keep = set(rated_leaves(system)) | {v.code for v in system.spec.vetoes}
    keep |= {b.code for b in system.bonus_leaves}
    frame = frame[frame["leaf"].isin(keep)].reset_index(drop=True)
    station = frame["unit"].map({c: i for i, c in enumerate(codes)}).to_numpy()
    mean_q = quality.mean(axis=1)
    # bonus: the best 3% of stations have an award or two and some press
    best = mean_q >= np.quantile(mean_q, 0.97) if n >= 30 else mean_q >= mean_q.max()
    for k, bonus in enumerate(system.bonus_leaves):
        hit = (frame["leaf"] == bonus.code).to_numpy() & best[station]
        frame.loc[hit, "value"] = rng.integers(1, 3 - k, int(hit.sum())).astype(float)
    # a confirmed veto at a few of the weakest stations
    vetoes = [v.code for v in system.spec.vetoes]
    vetoed = (mean_q < 0.35) & (rng.random(n) < 0.15)
    which = rng.integers(0, len(vetoes), n)
    for i in np.flatnonzero(vetoed):
        frame.loc[(station == i) & (frame["leaf"] == vetoes[which[i]]).to_numpy(), "value"] = 1.0
    # gaps: (station, leaf) pairs for which no rater has a value
    leaves = sorted(keep)
    leaf_ix = frame["leaf"].map({c: j for j, c in enumerate(leaves)}).to_numpy()
    gap = rng.random((n, len(leaves))) < 0.002
    frame = frame[~gap[station, leaf_ix]].reset_index(drop=True)
    return frame[COLUMNS]


def rater_rows(cohort: Cohort, rater: int) -> pd.DataFrame:
    """The consensus as rater ``rater`` records it (see :class:`Cohort`)."""
    system, frame = cohort.system, cohort.consensus
    rng = rng_for(cohort.seed, 4, rater)
    severity = float(cohort.severity[rater])
    values = frame["value"].to_numpy(dtype=float).copy()
    leaf = frame["leaf"].to_numpy()
    noise = rng.normal(0, 1, len(values))
    draw = rng.random(len(values))
    for code in np.unique(leaf):
        node = system.nodes.get(code)
        if node is None or not node.is_leaf:
            continue  # a veto: recorded as confirmed
        at = leaf == code
        bounds = value_bounds(system, node)
        v = values[at]
        if node.method == "rubric":
            v = np.clip(np.round(v + severity + 0.35 * noise[at]), bounds.low, bounds.high)
        elif node.method == "likert":
            v = np.clip(
                np.round(v + 0.25 * severity + 0.08 * noise[at], 2), bounds.low, bounds.high
            )
        elif node.method == "checklist":
            untick = draw[at] < 0.02 + max(0.0, -severity) * 0.05
            tick = draw[at] > 1 - (0.02 + max(0.0, severity) * 0.05)
            v = np.where((v == 1) & untick, 0.0, np.where((v == 0) & tick, 1.0, v))
        elif node.method in ("ratio", "count"):
            misread = draw[at] < 0.01
            whole = np.all(v[~np.isnan(v)] == np.round(v[~np.isnan(v)]))
            lower = np.round(v * 0.9) if whole else np.round(v * 0.9, 3)
            v = np.where(misread, np.maximum(lower, bounds.low), v)
        values[at] = v
    out = frame.assign(value=values)
    kept = rng.random(len(out)) >= cohort.missing_rate
    return out[kept].reset_index(drop=True)


# --- the registers (vectorised over all stations) ---------------------------------------------


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(station of each row, the row's number within its station) for ``counts`` rows each."""
    counts = np.asarray(counts, dtype=int)
    station = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return station, np.arange(len(station)) - first


def _dates(rng: np.random.Generator, lo: dt.date, hi: dt.date, size: int) -> np.ndarray:
    days = np.datetime64(lo) + rng.integers(0, (hi - lo).days + 1, size).astype("timedelta64[D]")
    return np.datetime_as_string(days, unit="D").astype(object)


def _iso(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def _ids(codes: np.ndarray, mark: str, numbers: np.ndarray, width: int) -> list[str]:
    return [f"{c}-{mark}{k:0{width}d}" for c, k in zip(codes, numbers, strict=True)]


def _attainment(cohort: Cohort, family: str, rng: np.random.Generator) -> np.ndarray:
    """How far a station gets towards its targets on a family: 1 at quality 0.82."""
    q = cohort.family_quality(family)
    return np.clip(0.3 + 0.85 * q + rng.normal(0, 0.04, len(q)), 0.2, 1.15)


def staff_roster(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 10)
    codes = np.asarray(cohort.codes, dtype=object)
    n = len(codes)
    att = _attainment(cohort, "B", rng)
    qa = cohort.family_quality("A")
    staff = cohort.targets["staff"].to_numpy()
    churn = (rng.random(n) < 0.06 + 0.3 * (1 - cohort.family_quality("B"))).astype(int)
    station, k = _expand(staff + churn)
    size = len(station)
    hired = np.array(
        [
            f"{y}-{m:02d}-01"
            for y, m in zip(rng.integers(2018, 2025, size), rng.integers(1, 13, size), strict=True)
        ],
        dtype="datetime64[D]",
    )
    leave = np.full(size, "", dtype=object)
    gone = np.datetime64(START) + np.timedelta64(40, "D")
    leaver = (churn[station] == 1) & (k == staff[station] - 1)
    leave[leaver] = str(gone)
    replacement = k == staff[station]  # hired three months after the departure
    hired[replacement] = gone + np.timedelta64(90, "D")
    levels = np.array(
        ["助理社会工作师", "社会工作师", "社会工作师", "高级社会工作师"], dtype=object
    )
    level = levels[rng.integers(0, 4, size)]
    # weaker stations keep workers hired long ago who never qualified (past the deadline)
    unqualified = replacement | (rng.random(size) < 0.03 + 0.35 * (1 - qa[station]) ** 2)
    level[unqualified] = "无"
    qualified_on = _iso(hired + rng.integers(30, 600, size).astype("timedelta64[D]"))
    qualified_on[unqualified] = ""
    return pd.DataFrame(
        {
            "人员编号": _ids(codes[station], "P", k + 1, 2),
            "姓名": [f"社工{i}-{j + 1}" for i, j in zip(station, k, strict=True)],
            "站点编码": codes[station],
            "入职日期": _iso(hired),
            "离职日期": leave,
            "是否专职": "是",
            "职业资格等级": level,
            "取得资格日期": qualified_on,
            "出生年份": rng.integers(1975, 2000, size),
            "培训时数": np.round(np.maximum(60 * att[station] + rng.normal(0, 3, size), 0), 1),
            "督导时数": np.round(np.maximum(24 * att[station] + rng.normal(0, 1, size), 0), 1),
        }
    )


def service_log(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 11)
    codes = np.asarray(cohort.codes, dtype=object)
    n, e = len(codes), cohort.elapsed
    att = _attainment(cohort, "C", rng)
    t = cohort.targets
    parts: list[dict] = []

    def add(station, kind, record, sessions, people, hours, place, category):
        size = len(station)
        parts.append(
            {
                "station": station,
                "服务类型": np.full(size, kind, dtype=object),
                "个案/小组编号": record,
                "服务对象类别": category,
                "节次/跟进次数": sessions,
                "参与人数": people,
                "服务时数": np.full(size, hours),
                "服务地点": place,
            }
        )

    places = np.array(["入户", "站内", "社区"], dtype=object)
    # cases: the ones due, with 6–8 follow-ups; two more opened lately, with 3 so far
    cases = np.ceil(t["cases"].to_numpy() * e * att).astype(int) + 2
    case_station, case_k = _expand(cases)
    due = case_k < cases[case_station] - 2
    follow = np.where(due, rng.integers(6, 9, len(case_station)), 3)
    s, f = _expand(follow)
    station = case_station[s]
    case_place = places[rng.integers(0, 3, len(s))]
    add(
        station,
        "个案",
        _ids(codes[station], "C", case_k[s] + 1, 3),
        np.ones(len(s), int),
        np.ones(len(s), int),
        1.5,
        case_place,
        np.full(len(s), "低保", dtype=object),
    )
    # groups of 6 sessions (weaker stations run some short ones)
    groups = np.ceil(t["groups"].to_numpy() * e * att).astype(int)
    g_station, g_k = _expand(groups)
    short = rng.random(len(g_station)) < 0.3 * (1 - cohort.family_quality("C")[g_station])
    s, _ = _expand(np.where(short, 4, 6))
    station = g_station[s]
    add(
        station,
        "小组",
        _ids(codes[station], "G", g_k[s] + 1, 2),
        np.ones(len(s), int),
        rng.integers(8, 12, len(s)),
        2.0,
        np.full(len(s), "社区", dtype=object),
        np.full(len(s), "留守儿童", dtype=object),
    )
    # community activities: most above the 25-participant threshold
    acts = np.ceil(t["activities"].to_numpy() * e * att).astype(int)
    a_station, a_k = _expand(acts)
    small = rng.random(len(a_station)) < 0.1
    add(
        a_station,
        "社区活动",
        _ids(codes[a_station], "A", a_k + 1, 2),
        np.ones(len(a_station), int),
        np.where(small, rng.integers(10, 25, len(a_station)), rng.integers(26, 80, len(a_station))),
        3.0,
        np.full(len(a_station), "社区", dtype=object),
        np.full(len(a_station), "一般居民", dtype=object),
    )
    # consultations at the station
    consult = rng.integers(10, 20, n)
    c_station, _ = _expand(consult)
    add(
        c_station,
        "咨询",
        np.full(len(c_station), "", dtype=object),
        np.full(len(c_station), "", dtype=object),
        np.ones(len(c_station), int),
        0.5,
        np.full(len(c_station), "站内", dtype=object),
        np.full(len(c_station), "一般居民", dtype=object),
    )
    # home visits: as many as bring the community and household share of hours to its aim
    inside = np.zeros(n)
    total = np.zeros(n)
    for p in parts:
        hours = p["服务时数"]
        total += np.bincount(p["station"], weights=hours, minlength=n)
        inside += np.bincount(p["station"], weights=hours * (p["服务地点"] == "站内"), minlength=n)
    share = np.minimum(0.9, 0.6 * att)
    outside = total - inside
    visits = np.ceil(np.maximum(0.0, share * total - outside) / (1 - share)).astype(int)
    v_station, _ = _expand(visits)
    add(
        v_station,
        "探访",
        np.full(len(v_station), "", dtype=object),
        np.full(len(v_station), "", dtype=object),
        np.ones(len(v_station), int),
        1.0,
        np.full(len(v_station), "入户", dtype=object),
        np.full(len(v_station), "独居老人", dtype=object),
    )
    frame = pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True)
    frame = frame.sort_values("station", kind="stable").reset_index(drop=True)
    frame.insert(0, "站点编码", codes[frame.pop("station").to_numpy()])
    frame.insert(1, "服务日期", _dates(rng, START, cohort.as_of, len(frame)))
    return frame


def report_log(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 12)
    codes = np.asarray(cohort.codes, dtype=object)
    months = []  # (period, due) of the monthly briefs due by the round's date
    y, m = START.year, START.month
    while (due := dt.date(y + (m == 12), m % 12 + 1, 10)) <= cohort.as_of:
        months.append((f"{y}-{m:02d}", due))
        y, m = y + (m == 12), m % 12 + 1
    station, k = _expand(np.full(len(codes), len(months)))
    due = np.array([months[i][1] for i in k], dtype="datetime64[D]")
    late = rng.random(len(station)) < 0.45 * (1 - cohort.family_quality("A")[station]) ** 1.5
    early = rng.integers(0, 6, len(station)).astype("timedelta64[D]")
    overdue = rng.integers(1, 7, len(station)).astype("timedelta64[D]")
    submitted = np.where(late, due + overdue, due - early)
    return pd.DataFrame(
        {
            "站点编码": codes[station],
            "报告类型": "月度简报",
            "报告期": [months[i][0] for i in k],
            "应交日期": _iso(due),
            "提交日期": _iso(submitted),
        }
    )


def finance_ledger(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 13)
    codes = np.asarray(cohort.codes, dtype=object)
    n = len(codes)
    att = _attainment(cohort, "B", rng)
    budget = cohort.targets["amount_fen"].to_numpy() * cohort.elapsed * np.minimum(att, 1.05)
    shares = {"人员经费": 0.62, "活动经费": 0.25, "培训督导": 0.05, "行政办公": 0.08}
    frames = []
    for c, (category, share) in enumerate(shares.items()):
        station, k = _expand(rng.integers(3, 8, n))
        weight = rng.uniform(0.2, 1.0, len(station))
        total = np.bincount(station, weights=weight, minlength=n)
        fen = np.maximum(np.floor(budget[station] * share * weight / total[station]), 1).astype(
            np.int64
        )
        frames.append(
            pd.DataFrame(
                {
                    "station": station,
                    "凭证号": [f"记-{i}-{c}{j:02d}" for i, j in zip(station, k, strict=True)],
                    "支出类别": category,
                    "金额（元）": [f"{x // 100}.{x % 100:02d}" for x in fen],
                    "凭证齐全": np.where(rng.random(len(station)) < 0.97, "是", "否"),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True).sort_values("station", kind="stable")
    frame = frame.reset_index(drop=True)
    station = frame.pop("station").to_numpy()
    frame.insert(0, "日期", _dates(rng, START, cohort.as_of, len(frame)))
    frame.insert(2, "站点编码", codes[station])
    return frame


def volunteer_register(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 14)
    codes = np.asarray(cohort.codes, dtype=object)
    n = len(codes)
    att = _attainment(cohort, "D", rng)
    t = cohort.targets
    count = np.ceil(t["volunteers"].to_numpy() * np.minimum(att, 1.1)).astype(int)
    station, k = _expand(count + 1)  # and one who never registered
    registered = k < count[station]
    weight = rng.gamma(1.0, 1.0, len(station)) * registered
    total = np.bincount(station, weights=weight, minlength=n)
    hours = t["volunteer_hours"].to_numpy() * cohort.elapsed * att
    each = np.where(registered, np.round(hours[station] * weight / total[station], 1), 6.0)
    joined = _dates(rng, dt.date(2021, 1, 1), cohort.as_of, len(station))
    return pd.DataFrame(
        {
            "志愿者编号": _ids(codes[station], "V", k + 1, 3),
            "站点编码": codes[station],
            "已在全国志愿服务信息系统注册": np.where(registered, "是", "否"),
            "志愿服务时数": each,
            "加入日期": np.where(registered, joined, ""),
        }
    )


AWARE = ("知晓站点地址", "知晓服务内容", "知晓驻站社工", "知晓求助方式", "知晓资金来源")
ITEMS = ("总体满意度", "服务态度", "专业能力", "服务及时性", "服务效果")
# (respondent, channel, count): the service users' quotas (50 by phone, 10 on site) with a
# few spare, and the purchaser's and the communities' responses
SAMPLE = [
    ("服务对象", "电话", 52),
    ("服务对象", "现场", 11),
    ("购买方", "现场", 2),
    ("村（居）委会", "现场", 4),
]


def satisfaction_survey(cohort: Cohort) -> pd.DataFrame:
    rng = rng_for(cohort.seed, 15)
    codes = np.asarray(cohort.codes, dtype=object)
    kinds = np.array([k for k, _, c in SAMPLE for _ in range(c)], dtype=object)
    channels = np.array([ch for _, ch, c in SAMPLE for _ in range(c)], dtype=object)
    station, k = _expand(np.full(len(codes), len(kinds)))
    q = cohort.family_quality("E")[station]
    mean = 3.0 + 1.5 * np.minimum(1.0, 0.35 + 0.75 * q)
    size = len(station)
    scores = np.clip(np.round(rng.normal(mean[:, None], 0.45, (size, 5))), 1, 5).astype(int)
    cells = scores.astype(object)
    cells[k == 0, 1:3] = ""  # each station's first response answers 3 of 5 items: not valid
    knows = rng.random((size, 5)) < (0.55 + 0.4 * q)[:, None]
    first = max(START, cohort.as_of - dt.timedelta(days=30))
    frame = pd.DataFrame(
        {
            "站点编码": codes[station],
            "问卷编号": _ids(codes[station], "Q", k + 1, 3),
            "调查日期": _dates(rng, first, cohort.as_of, size),
            "受访者类型": kinds[k],
            "调查方式": channels[k],
        }
    )
    for j, name in enumerate(ITEMS):
        frame[name] = cells[:, j]
    for j, name in enumerate(AWARE):
        frame[name] = np.where(knows[:, j], "是", "否")
    return frame


REGISTER_MAKERS: dict[str, Callable[[Cohort], pd.DataFrame]] = {
    "staff": staff_roster,
    "service_log": service_log,
    "reports": report_log,
    "finance": finance_ledger,
    "volunteers": volunteer_register,
    "satisfaction": satisfaction_survey,
}


# --- stored through the services ------------------------------------------------------------


@dataclass
class Loaded:
    """What :func:`load_cohort` stored: ids, row counts and the seconds of each step."""

    round_id: str
    contract_id: str
    stations: int
    raters: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def document(self) -> dict:
        return {
            "round_id": self.round_id,
            "contract_id": self.contract_id,
            "stations": self.stations,
            "raters": self.raters,
            "rows": self.rows,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def contract_code(preset: str) -> str:
    """The code of the contract a cohort is stored under."""
    return f"BENCH-{preset.upper()}-{YEAR}"


def _credit_code(n: int) -> str:
    """A valid unified social credit code (5 = civil affairs, 2 = social organisation)."""
    first17 = f"52340000MJ{n:07d}"
    return first17 + uscc_check(first17)


async def load_cohort(cohort: Cohort, *, say: Callable[[str], None] = print) -> Loaded:
    """Store ``cohort`` in the open, migrated database through the services (module
    docstring). Refuses a database that already holds a contract of the same code."""
    from evaluator.errors import AlreadyExists, Problem
    from evaluator.services import contracts as cs
    from evaluator.services import organisations as org_svc
    from evaluator.services import panel_staff
    from evaluator.services import rounds as rs
    from evaluator.services.actors import Actor, actor_for
    from evaluator.services.registers import import_register
    from evaluator.services.scoring import record_scores
    from evaluator.services.systems import register_system
    from evaluator.store.base import OrgKind, RegionLevel, Role, RoundKind
    from evaluator.store.contracts import Contract

    code = contract_code(cohort.name)
    if await Contract.filter(code=code).exists():
        raise AlreadyExists(
            Problem(f"this database already holds cohort {code}", f"数据库中已有 {code}")
        )
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}

    @contextmanager
    def step(name: str):
        t0 = time.perf_counter()
        yield
        seconds[name] = time.perf_counter() - t0
        say(f"  {name}: {seconds[name]:.1f} s")

    admin = Actor.system()
    n = cohort.stations
    with step("regions, organisations, users"):
        provinces = max(1, len(cohort.counties) // 45)
        province_regions = [
            await org_svc.ensure_region(f"{11 + p:02d}0000", f"第{p + 1}省", RegionLevel.PROVINCE)
            for p in range(provinces)
        ]
        county_regions = [
            await org_svc.ensure_region(
                f"{11 + k % provinces:02d}{k // provinces + 1:04d}",
                name,
                RegionLevel.COUNTY,
                province_regions[k % provinces],
            )
            for k, name in enumerate(cohort.counties)
        ]
        bureau_name = {"county": "安平县民政局", "province": "省民政厅"}.get(
            cohort.name, "民政部门（基准测试）"
        )
        bureau = await org_svc.create_organisation(
            admin, OrgKind.BUREAU, bureau_name, region=province_regions[0]
        )
        evaluators = await org_svc.create_organisation(
            admin, OrgKind.EVALUATION_AGENCY, "明远社会服务评估中心"
        )
        agency = await org_svc.create_organisation(
            admin, OrgKind.SERVICE_AGENCY, "阳光社会工作服务中心", credit_code=_credit_code(1)
        )
        users = {}
        cast = [("bureau", bureau, Role.BUREAU_OFFICER), ("lead", evaluators, Role.LEAD_EVALUATOR)]
        cast += [(f"rater{r + 1}", evaluators, Role.EVALUATOR) for r in range(cohort.raters)]
        cast += [("agency", agency, Role.AGENCY_USER)]
        for username, org, role in cast:
            users[username] = await org_svc.create_user(admin, username, username)
            await org_svc.grant(admin, users[username], org, role)
        actors = {name: await actor_for(user) for name, user in users.items()}
    with step(f"{n:,} stations (create_station, one audit event each)"):
        per_county: dict[int, int] = {}
        stations = []
        for i, station_code in enumerate(cohort.codes):
            k = int(cohort.county[i])
            per_county[k] = per_county.get(k, 0) + 1
            county = county_regions[k]
            township = await org_svc.ensure_region(
                f"{county.code}{per_county[k]:03d}",
                cohort.township[i],
                RegionLevel.TOWNSHIP,
                county,
            )
            stations.append(
                await station_svc.create_station(
                    admin, bureau, station_code, f"{cohort.township[i]}社会工作服务站", township
                )
            )
    with step("system, contract, round, panel, opened"):
        text = cohort.system_file.read_text(encoding="utf-8")
        version = await register_system(admin, text, cohort.system_file.name)
        targets = cohort.targets.to_dict(orient="index")
        terms = [
            cs.StationTerms(s, {k: int(v) for k, v in targets[s.code].items()}) for s in stations
        ]
        contract = await cs.create_contract(
            actors["bureau"],
            code=code,
            buyer=bureau,
            agency=agency,
            period_start=START,
            period_end=END,
            amount_fen=int(cohort.targets["amount_fen"].sum()),
            stations=terms,
            title=f"社工站服务项目（{cohort.name}，{n} 个站点）",
        )
        round_ = await rs.create_round(
            actors["bureau"],
            contract=contract,
            evaluation_agency=evaluators,
            kind=RoundKind.MID_TERM,
            system=version,
            as_of=cohort.as_of,
            elapsed=cohort.elapsed,
        )
        await panel_staff.assign(admin, round_, users["lead"], Role.LEAD_EVALUATOR)
        for r in range(cohort.raters):
            await panel_staff.assign(admin, round_, users[f"rater{r + 1}"], Role.EVALUATOR)
        round_ = await rs.open_round(actors["lead"], round_, round_.version)
    with tempfile.TemporaryDirectory(prefix="cohort-registers-") as folder:
        for kind in KINDS:
            with step(f"register {kind} (generate, write, import)"):
                frame = REGISTER_MAKERS[kind](cohort)
                path = write_registers({kind: frame}, Path(folder))[kind]
                rows[kind] = len(frame)
                del frame
                who = actors["rater1"] if kind == "satisfaction" else actors["agency"]
                await import_register(who, round_.id, kind, path, name=path.name)
                path.unlink()
            say(f"    {rows[kind]:,} rows")
    chunk_ix = {c: i // CHUNK for i, c in enumerate(cohort.codes)}
    for r in range(cohort.raters):
        ratings = cohort.ratings(r)
        rows[f"rater{r + 1}"] = len(ratings)
        with step(f"rater{r + 1}: {len(ratings):,} values (record_scores)"):
            chunks = ratings["unit"].map(chunk_ix).to_numpy()
            for c in np.unique(chunks):
                part = ratings[chunks == c].reset_index(drop=True)
                await record_scores(actors[f"rater{r + 1}"], round_.id, part)
    return Loaded(
        str(round_.id),
        str(contract.id),
        n,
        [f"rater{r + 1}" for r in range(cohort.raters)],
        rows,
        seconds,
    )


async def create_postgres(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names unless it exists (True: created)."""
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    conn = await asyncpg.connect(admin)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        return True
    finally:
        await conn.close()


async def drop_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


async def load_into(url: str, cohort: Cohort, *, say: Callable[[str], None] = print) -> Loaded:
    """Migrate the database ``url``, store ``cohort`` in it, close it."""
    from evaluator.store.db import close_database, migrate, open_database

    await migrate(url)
    await open_database(url)
    try:
        return await load_cohort(cohort, say=say)
    finally:
        await close_database()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="county")
    ap.add_argument("--db", required=True, help="database URL (sqlite:///path or postgres://…)")
    ap.add_argument("--stations", type=int, help="override the preset's number of stations")
    ap.add_argument("--raters", type=int, help="override the preset's number of raters (3)")
    ap.add_argument(
        "--system",
        default=SYSTEM,
        help="a shipped system's name or an indicator-system YAML (default station-annual)",
    )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--create", action="store_true", help="create the PostgreSQL database")
    ap.add_argument("--json", metavar="OUT", help="write what was stored and timings as JSON")
    ap.add_argument(
        "--evidence",
        metavar="DIR",
        help="where register files are kept (default: EVIDENCE_DIR, else a temporary folder "
        "removed at the end: a benchmark database needs no files)",
    )
    args = ap.parse_args(argv)
    if args.db.startswith(("postgres://", "postgresql://")) and args.create:
        asyncio.run(create_postgres(args.db))
    t0 = time.perf_counter()
    cohort = preset_cohort(
        args.preset,
        seed=args.seed,
        stations=args.stations,
        raters=args.raters,
        system=args.system,
    )
    t_make = time.perf_counter() - t0
    print(
        f"cohort {cohort.name}: {cohort.stations:,} stations, {len(cohort.counties):,} counties, "
        f"{cohort.raters} raters (severity {', '.join(f'{s:+.2f}' for s in cohort.severity)}), "
        f"{len(cohort.consensus):,} slots; drawn in {t_make:.1f} s",
        flush=True,
    )
    # a national service log (4.5 million rows) is a 260 MB file: above the 200 MB a
    # deployment accepts by default (REGISTER_MAX_BYTES), which a benchmark may raise
    os.environ.setdefault("REGISTER_MAX_BYTES", str(2**30))
    with tempfile.TemporaryDirectory(prefix="cohort-evidence-") as tmp:
        if args.evidence or "EVIDENCE_DIR" not in os.environ:
            os.environ["EVIDENCE_DIR"] = args.evidence or tmp
        t0 = time.perf_counter()
        loaded = asyncio.run(load_into(args.db, cohort, say=lambda s: print(s, flush=True)))
        total = time.perf_counter() - t0
    print(f"stored in {total:.1f} s (migrations included); peak RSS {peak_mb():,.0f} MB")
    if args.json:
        doc = loaded.document() | {
            "preset": cohort.name,
            "seed": cohort.seed,
            "draw_seconds": round(t_make, 3),
            "load_seconds": round(total, 3),
            "peak_rss_mb": round(peak_mb(), 1),
        }
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- an approved round for the API load test (benchmarks/bench_api.py) -------------------------
BENCH_PASSWORD = "bench-password-2026"
# the accounts bench_api signs in with: the bureau reads, rater1 writes, all sign in
BENCH_PASSWORDS = {name: BENCH_PASSWORD for name in ("bureau", "lead", "rater1", "agency")}


async def load_for_api(preset: str, *, say: Callable[[str], None] = print) -> Loaded:
    """Store the preset's cohort with one rater (no disagreements to adjudicate) in the open,
    migrated database, give its accounts :data:`BENCH_PASSWORD`, let the lead accept every
    gap, submit, and approve the round: an approved round of the preset's size."""
    from evaluator.services import auth, completeness
    from evaluator.services import rounds as rs
    from evaluator.services.actors import Actor, actor_for
    from evaluator.store.orgs import User
    from evaluator.store.rounds import Round

    loaded = await load_cohort(preset_cohort(preset, raters=1), say=say)
    for name, password in BENCH_PASSWORDS.items():
        await auth.set_password(Actor.system(), name, password)
    lead = await actor_for(await User.get(username="lead"))
    bureau = await actor_for(await User.get(username="bureau"))
    t0 = time.perf_counter()
    _, gaps = await completeness.list_gaps(lead, loaded.round_id)
    open_ = [g for g in gaps if g.decision is None]
    for g in open_:
        await completeness.decide_gap(
            lead, loaded.round_id, g.unit, g.leaf, "accepted_missing", "基准测试：按缺失处理"
        )
    say(f"  {len(open_):,} gaps accepted: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    round_ = await Round.get(id=loaded.round_id)
    round_ = await rs.submit_round(lead, round_, round_.version)
    await rs.approve_round(bureau, round_, round_.version)
    say(f"  submitted and approved: {time.perf_counter() - t0:.1f} s")
    return loaded
