"""Benchmark (issue 5): import a 1,000,000-row service log and compute all metrics for
1,000 stations, through the service layer, on a fresh SQLite database.

Set-up (not timed): a temporary SQLite database, migrated; one county with N stations
(default 1,000, codes S0001 …) under one 2025 contract with per-station targets; the shipped
``station-annual`` system; a final round (as of 2025-12-31), opened. A child process writes
the registers as UTF-8 CSV (so that its memory is not this process's peak): a valid service
log of R rows (default 1,000,000; cases and groups with IDs and sessions, activities,
visits …, mixed date formats) and, for the same stations, a staff roster, report log,
finance ledger, volunteer register and satisfaction survey (a few to ~66 rows a station).

Timed, in this process:

- ``import_register(actor, round, "service_log", path)``: hash, parse and validate every
  cell, check every station, compute every metric, keep the file, store the import — the
  headline figure (seconds, rows/s, peak RSS from ``getrusage``);
- the imports of the five other registers;
- ``compute_round(round)``: the scorecard inputs and results of every station;
- the baseline, measured in the same run: a plain-Python loop (``csv`` module, dicts) over
  the same service log computing one metric (community + household share of hours per
  station) with no validation at all — far less work than the import. Its figures are
  checked against the import's ``community_hours_share``.

Prints the figures and whether the targets (≤ 15 s, ≤ 2 GB) are met; does not fail on them.
Exits 1 only if an import stores the wrong number of rows or the baseline's shares differ.

    python benchmarks/bench_register_import.py [--rows 1000000] [--stations 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

YEAR = 2025
TARGET_SECONDS = 15.0
TARGET_MB = 2048.0
KINDS = ("staff", "reports", "finance", "volunteers", "satisfaction")  # after the service log


def station_codes(n: int) -> list[str]:
    return [f"S{i:04d}" for i in range(1, n + 1)]


def peak_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the registers (written by a child process) ----------------------------------------


def write_service_log(path: Path, rows: int, stations: list[str], rng: np.random.Generator) -> None:
    """One row per service: cases and groups are several rows sharing an ID at a station."""

    def pick(values, p=None) -> np.ndarray:
        return np.asarray(values, dtype=object)[rng.choice(len(values), rows, p=p)]

    types = ["个案", "小组", "社区活动", "探访", "转介", "咨询", "协助事项", "其他"]
    t = rng.choice(len(types), rows, p=[0.34, 0.22, 0.08, 0.2, 0.03, 0.08, 0.03, 0.02])
    per_station = max(rows // len(stations), 1)
    # about 9 follow-up rows a case and 8 sessions a group, at each station
    n_cases, n_groups = max(per_station * 34 // 900, 1), max(per_station * 22 // 800, 1)
    case_ids = np.array([f"C{YEAR}-{i:04d}" for i in range(1, n_cases + 1)], dtype=object)
    group_ids = np.array([f"G{YEAR}-{i:04d}" for i in range(1, n_groups + 1)], dtype=object)
    record = np.full(rows, "", dtype=object)
    record[t == 0] = case_ids[rng.integers(0, n_cases, int((t == 0).sum()))]
    record[t == 1] = group_ids[rng.integers(0, n_groups, int((t == 1).sum()))]
    act = np.flatnonzero(t == 2)
    record[act] = np.array([f"A{i:07d}" for i in range(len(act))], dtype=object)
    record[act[rng.random(len(act)) < 0.3]] = ""  # some activities without an ID
    sessions = np.where((t == 0) | (t == 1), "1", "").astype(object)
    sessions[(t == 0) & (rng.random(rows) < 0.05)] = "2"
    participants = (
        np.select(
            [t == 0, t == 1, t == 2, t == 3],
            [
                np.ones(rows, int),
                rng.integers(4, 16, rows),
                rng.integers(10, 300, rows),
                rng.integers(1, 4, rows),
            ],
            rng.integers(1, 3, rows),
        )
        .astype(str)
        .astype(object)
    )
    participants[(t >= 4) & (rng.random(rows) < 0.5)] = ""
    place = np.select(
        [t == 0, t == 1, t == 2, t == 3],
        [
            pick(["入户", "站内"], [0.7, 0.3]),
            pick(["站内", "社区"]),
            np.full(rows, "社区", dtype=object),
            np.full(rows, "入户", dtype=object),
        ],
        pick(["站内", "社区", "入户"]),
    )
    days = pd.date_range(f"{YEAR}-01-01", f"{YEAR}-12-31")  # mostly ISO dates, some typed otherwise
    formats = np.array(
        [days.strftime("%Y-%m-%d"), days.strftime("%Y/%-m/%-d"), days.strftime("%Y年%-m月%-d日")],
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "站点编码": pick(stations),
            "服务日期": formats[
                rng.choice(3, rows, p=[0.8, 0.1, 0.1]), rng.integers(0, len(days), rows)
            ],
            "服务类型": np.asarray(types, dtype=object)[t],
            "个案/小组编号": record,
            "服务对象类别": pick(
                [
                    "低保",
                    "特困",
                    "留守儿童",
                    "困境儿童",
                    "独居老人",
                    "留守老人",
                    "残疾人",
                    "一般居民",
                    "",
                ]
            ),
            "节次/跟进次数": sessions,
            "参与人数": participants,
            "服务时数": pick(["0.5", "1", "1.5", "2", "2.5", "3", "4"]),
            "服务地点": place,
            "服务社工": pick([f"P{i:03d}" for i in range(1, 200)]),
            "备注": pick(["", "", "", "", "电话跟进", "家访", "第1节"]),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8", chunksize=200_000)


def write_small_registers(
    folder: Path, stations: list[str], rng: np.random.Generator
) -> dict[str, int]:
    """Staff, reports, finance, volunteers, satisfaction for every station; returns rows."""

    def ymd(day: dt.date) -> str:
        return day.strftime("%Y-%m-%d")

    days = [ymd(dt.date(YEAR, 1, 1) + dt.timedelta(days=i)) for i in range(365)]
    autumn = days.index(f"{YEAR}-10-01")  # the survey is done in the last quarter
    staff, reports, finance, volunteers, surveys = [], [], [], [], []
    quals = ["无", "助理社会工作师", "社会工作师", "高级社会工作师"]
    for k, s in enumerate(stations):
        for j in range(int(rng.integers(3, 7))):
            hire = dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 7.5)))
            leave = (
                hire + dt.timedelta(days=int(rng.integers(30, 400)))
                if rng.random() < 0.12
                else None
            )
            leave = leave if leave and leave <= dt.date(YEAR, 12, 31) else None
            q = quals[int(np.searchsorted([0.25, 0.65, 0.95], rng.random()))]
            qdate = (
                ""
                if q == "无"
                else ymd(
                    min(
                        hire + dt.timedelta(days=int(rng.integers(-700, 500))), dt.date(YEAR, 12, 1)
                    )
                )
            )
            staff.append(
                [
                    f"P{k:04d}{j:02d}",
                    f"社工{k}-{j}",
                    s,
                    ymd(hire),
                    ymd(leave) if leave else "",
                    "是" if rng.random() < 0.9 else "否",
                    q,
                    qdate,
                    str(int(rng.integers(1965, 2002))),
                    str(int(rng.integers(20, 120))),
                    str(int(rng.integers(6, 40))),
                ]
            )
        for m in range(1, 13):
            due = dt.date(YEAR + (m == 12), m % 12 + 1, 10)
            sub = due + dt.timedelta(days=int(rng.integers(-8, 5))) if rng.random() < 0.95 else None
            reports.append([s, "月度简报", f"{YEAR}-{m:02d}", ymd(due), ymd(sub) if sub else ""])
        for q in range(1, 5):
            due = dt.date(YEAR, min(q * 3 + 1, 12), 15)
            reports.append(
                [
                    s,
                    "季度报告",
                    f"{YEAR}-Q{q}",
                    ymd(due),
                    ymd(due - dt.timedelta(days=int(rng.integers(0, 6)))),
                ]
            )
        reports.append([s, "中期报告", f"{YEAR}-H1", f"{YEAR}-07-15", f"{YEAR}-07-12"])
        reports.append([s, "末期报告", f"{YEAR}", f"{YEAR}-12-31", f"{YEAR}-12-28"])
        cats = ["人员经费", "活动经费", "培训督导", "行政办公", "设备物资", "其他"]
        for j in range(int(rng.integers(20, 41))):
            cat = cats[int(np.searchsorted([0.45, 0.75, 0.83, 0.93, 0.98], rng.random()))]
            amount = (
                rng.integers(5_000, 1_200_000) / 100
                if cat == "人员经费"
                else rng.integers(1_000, 300_000) / 100
            )
            finance.append(
                [
                    days[rng.integers(0, 365)],
                    f"记-{k:04d}-{j:03d}",
                    s,
                    cat,
                    f"{amount:.2f}",
                    "是" if rng.random() < 0.97 else "否",
                    f"{cat}支出",
                ]
            )
        for j in range(int(rng.integers(10, 31))):
            joined = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 6)))
            volunteers.append(
                [
                    f"V{k:04d}{j:03d}",
                    f"志愿者{k}-{j}",
                    s,
                    "是" if rng.random() < 0.85 else "否",
                    f"{rng.integers(0, 2000) / 10:.1f}",
                    ymd(joined),
                ]
            )
        who = ["服务对象"] * 60 + ["购买方"] * 3 + ["村（居）委会"] * 3
        channel = ["电话"] * 50 + ["现场"] * 10 + ["电话"] * 6
        for j, (r, c) in enumerate(zip(who, channel, strict=True)):
            scores = [str(int(v)) for v in np.searchsorted([0.1, 0.5], rng.random(5)) + 3]
            if rng.random() < 0.1:
                scores[int(rng.integers(1, 5))] = ""
            knows = (
                ["是" if rng.random() < 0.75 else "否" for _ in range(5)]
                if rng.random() < 0.9
                else [""] * 5
            )
            surveys.append(
                [
                    s,
                    f"Q{k:04d}{j:03d}",
                    days[rng.integers(autumn, 365)],
                    r,
                    c,
                    "重点对象" if rng.random() < 0.4 else "一般对象",
                    *scores,
                    *knows,
                ]
            )
    # a few contract-level finance rows (no station: they count for every station)
    for j in range(12):
        finance.append(
            [
                f"{YEAR}-{j + 1:02d}-20",
                f"记-C-{j:03d}",
                "",
                "行政办公",
                "2500.00",
                "是",
                "项目管理费",
            ]
        )
    tables = {
        "staff": (
            staff,
            [
                "人员编号",
                "姓名",
                "站点编码",
                "入职日期",
                "离职日期",
                "是否专职",
                "职业资格等级",
                "取得资格日期",
                "出生年份",
                "培训时数",
                "督导时数",
            ],
        ),
        "reports": (reports, ["站点编码", "报告类型", "报告期", "应交日期", "提交日期"]),
        "finance": (
            finance,
            ["日期", "凭证号", "站点编码", "支出类别", "金额（元）", "凭证齐全", "摘要"],
        ),
        "volunteers": (
            volunteers,
            [
                "志愿者编号",
                "姓名",
                "站点编码",
                "已在全国志愿服务信息系统注册",
                "志愿服务时数",
                "加入日期",
            ],
        ),
        "satisfaction": (
            surveys,
            [
                "站点编码",
                "问卷编号",
                "调查日期",
                "受访者类型",
                "调查方式",
                "对象类别",
                "总体满意度",
                "服务态度",
                "专业能力",
                "服务及时性",
                "服务效果",
                "知晓站点地址",
                "知晓服务内容",
                "知晓驻站社工",
                "知晓求助方式",
                "知晓资金来源",
            ],
        ),
    }
    counts = {}
    for kind, (rows, header) in tables.items():
        pd.DataFrame(rows, columns=header).to_csv(
            folder / f"{kind}.csv", index=False, encoding="utf-8"
        )
        counts[kind] = len(rows)
    return counts


def generate(folder: Path, rows: int, n_stations: int, seed: int) -> None:
    """Child-process entry point: write all six registers into ``folder``."""
    rng = np.random.default_rng(seed)
    stations = station_codes(n_stations)
    write_service_log(folder / "service_log.csv", rows, stations, rng)
    write_small_registers(folder, stations, rng)


# --- set-up through the service layer ----------------------------------------------------


async def build_round(n_stations: int):
    """A county with ``n_stations`` stations on one 2025 contract, the shipped system, a
    final round, opened. Returns the round."""
    from evaluator.services import contracts as cs
    from evaluator.services import organisations as org_svc
    from evaluator.services import rounds as rs
    from evaluator.services import stations as station_svc
    from evaluator.services.actors import Actor
    from evaluator.services.systems import register_system
    from evaluator.shipped import shipped_system
    from evaluator.store.base import OrgKind, RegionLevel, RoundKind

    admin = Actor.system()
    region = await org_svc.ensure_region("341521", "安平县", RegionLevel.COUNTY)
    bureau = await org_svc.create_organisation(admin, OrgKind.BUREAU, "安平县民政局", region=region)
    evaluators = await org_svc.create_organisation(admin, OrgKind.EVALUATION_AGENCY, "明远评估中心")
    agency = await org_svc.create_organisation(
        admin, OrgKind.SERVICE_AGENCY, "阳光社工", credit_code="52341521MJA000001X"
    )
    rng = np.random.default_rng(11)
    terms = []
    for code in station_codes(n_stations):
        station = await station_svc.create_station(admin, bureau, code, f"{code} 社工站")
        targets = {
            "staff": 3,
            "cases": int(rng.integers(8, 16)),
            "groups": int(rng.integers(4, 10)),
            "activities": int(rng.integers(6, 15)),
            "visits": 200,
            "volunteers": 15,
            "volunteer_hours": 600,
            "budget": 300_000,
        }
        terms.append(cs.StationTerms(station, targets))
    contract = await cs.create_contract(
        admin,
        code="BENCH-2025",
        buyer=bureau,
        agency=agency,
        period_start=dt.date(YEAR, 1, 1),
        period_end=dt.date(YEAR, 12, 31),
        amount_fen=30_000_000 * n_stations,
        stations=terms,
        title="社工站服务项目（基准测试）",
    )
    text = shipped_system("station-annual").read_text(encoding="utf-8")
    version = await register_system(admin, text, "station-annual.yaml")
    round_ = await rs.create_round(
        admin,
        contract=contract,
        evaluation_agency=evaluators,
        kind=RoundKind.FINAL,
        system=version,
        as_of=dt.date(YEAR, 12, 31),
        elapsed=1.0,
    )
    return await rs.open_round(admin, round_, round_.version)


# --- the baseline ---------------------------------------------------------------------------


def baseline_share(path: Path) -> dict[str, float]:
    """Plain Python: per station, hours in a community or household ÷ all hours. No
    validation, no dates, one metric."""
    total: dict[str, float] = {}
    outside: dict[str, float] = {}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        i_station, i_hours, i_place = (
            header.index("站点编码"),
            header.index("服务时数"),
            header.index("服务地点"),
        )
        for row in reader:
            station, hours = row[i_station], float(row[i_hours])
            total[station] = total.get(station, 0.0) + hours
            if row[i_place] in ("社区", "入户"):
                outside[station] = outside.get(station, 0.0) + hours
    return {s: outside.get(s, 0.0) / t for s, t in total.items() if t > 0}


# --- the run -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, tmp: Path) -> int:
    from evaluator.errors import InvalidInput
    from evaluator.services.actors import Actor
    from evaluator.services.registers import import_register
    from evaluator.services.scorecards import compute_round
    from evaluator.store.db import close_database, migrate, open_database

    url = f"sqlite://{tmp / 'bench.sqlite3'}"
    data = tmp / "registers"
    data.mkdir()
    t0 = time.perf_counter()
    # the registers are written by a child process while this one sets up the database
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--generate",
            str(data),
            "--rows",
            str(args.rows),
            "--stations",
            str(args.stations),
            "--seed",
            str(args.seed),
        ]
    )
    await migrate(url)
    await open_database(url)
    status = 0
    try:
        round_ = await build_round(args.stations)
        t_setup = time.perf_counter() - t0
        if child.wait() != 0:
            print("writing the registers failed")
            return 1
        t_data = time.perf_counter() - t0
        log = data / "service_log.csv"
        size_mb = log.stat().st_size / 1024 / 1024
        print(
            f"set-up (not timed): database + {args.stations:,} stations + round in {t_setup:.1f} s; "
            f"registers written in {t_data:.1f} s (service log {size_mb:.1f} MB)",
            flush=True,
        )

        actor = Actor.system()
        rss_before = peak_mb()
        t0 = time.perf_counter()
        done = await import_register(actor, round_.id, "service_log", log)
        t_log = time.perf_counter() - t0
        rss_log = peak_mb()
        if done.record.rows != args.rows:
            print(f"ROWS: the import stored {done.record.rows:,} rows, expected {args.rows:,}")
            status = 1
        ours = {
            s: v["value"]
            for s, v in done.record.metrics["library"]["community_hours_share"]["stations"].items()
        }

        small = {}
        for kind in KINDS:
            path = data / f"{kind}.csv"
            t0 = time.perf_counter()
            imported = await import_register(actor, round_.id, kind, path)
            small[kind] = (imported.record.rows, time.perf_counter() - t0)
            with open(path, encoding="utf-8") as f:
                expected = sum(1 for _ in f) - 1
            if imported.record.rows != expected:
                print(
                    f"ROWS: the {kind} import stored {imported.record.rows:,} rows, expected {expected:,}"
                )
                status = 1

        t0 = time.perf_counter()
        try:
            computed = await compute_round(round_)
        except InvalidInput as exc:  # reported below; the other figures stand
            computed, failure = None, exc
        t_round = time.perf_counter() - t0

        t0 = time.perf_counter()
        base = baseline_share(log)
        t_base = time.perf_counter() - t0
    finally:
        await close_database()
        if child.poll() is None:
            child.kill()

    differ = [
        s
        for s in ours
        if ours[s] is not None and not np.isclose(ours[s], base.get(s, np.nan), rtol=0, atol=1e-9)
    ]
    if differ:
        print(
            f"MISMATCH: the baseline's share differs from community_hours_share for {len(differ)} stations, e.g. {differ[:5]}"
        )
        status = 1

    rows_s = args.rows / t_log
    print()
    print(f"{'step':<58} {'rows':>10} {'s':>8} {'rows/s':>11}")
    print("-" * 90)
    print(
        f"{'import_register service_log (parse+check+metrics+store)':<58} {args.rows:>10,} {t_log:>8.2f} {rows_s:>11,.0f}"
    )
    for kind, (n, secs) in small.items():
        print(f"{'import_register ' + kind:<58} {n:>10,} {secs:>8.2f} {n / secs:>11,.0f}")
    if computed is not None:
        print(
            f"{'compute_round: scorecards of all stations':<58} {args.stations:>10,} {t_round:>8.2f} {'':>11}"
        )
    else:
        print(
            f"{'compute_round: FAILED (see below)':<58} {args.stations:>10,} {t_round:>8.2f} {'':>11}"
        )
    print(
        f"{'baseline: csv + dict loop, 1 metric, no validation':<58} {args.rows:>10,} {t_base:>8.2f} {args.rows / t_base:>11,.0f}"
    )
    print()
    print(
        f"peak RSS (getrusage ru_maxrss): {rss_before:,.0f} MB before the service-log import, "
        f"{rss_log:,.0f} MB after it, {peak_mb():,.0f} MB at the end"
    )
    if computed is not None:
        print(
            f"grades over {len(computed.units):,} stations: {computed.result.grade.value_counts().to_dict()} "
            "(only the leaves measured from registers have values: nobody scored this round)"
        )
    else:
        status = 1
        shown = "; ".join(str(p) for p in failure.problems[:3])
        print(
            f"FAILED: compute_round raised InvalidInput with {len(failure.problems)} problems, e.g. {shown}"
        )
    print(
        f"baseline ÷ import time: {t_base / t_log:.2f}  (the baseline does far less work: one metric of "
        f"the import's {len(done.record.metrics['library'])} library metrics, no parsing of dates or "
        f"choices, no validation, nothing stored; its shares "
        f"{'equal' if not differ else 'DIFFER from'} community_hours_share for all {len(ours):,} stations)"
    )
    print()
    ok_time, ok_mem = t_log <= TARGET_SECONDS, rss_log <= TARGET_MB
    print(
        f"SUMMARY: {args.rows:,} rows, {args.stations:,} stations: service-log import {t_log:.2f} s, "
        f"{rows_s:,.0f} rows/s, peak RSS {rss_log:,.0f} MB"
    )
    everything = t_log + sum(secs for _, secs in small.values()) + t_round
    print(
        f"all six registers imported and every station's scorecard computed: {everything:.2f} s, "
        f"peak RSS {peak_mb():,.0f} MB"
    )
    print(
        f"targets: ≤ {TARGET_SECONDS:g} s: {'yes' if ok_time else 'NO'} ({t_log:.2f} s); "
        f"≤ 2 GB: {'yes' if ok_mem else 'NO'} ({rss_log:,.0f} MB)"
    )
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args(argv)
    if args.generate:
        generate(Path(args.generate), args.rows, args.stations, args.seed)
        return 0
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Python {platform.python_version()} · numpy {np.__version__} · pandas {pd.__version__} · "
        f"cores {os.cpu_count()} (usable {affinity}) · {platform.machine()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        os.environ["EVIDENCE_DIR"] = str(Path(tmp) / "evidence")
        return asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
