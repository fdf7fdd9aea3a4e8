"""Benchmark (issue 19): every scorecard of a province round, computed from the database,
and the round's sensitivity, on PostgreSQL and on SQLite.

For each database (a throw-away PostgreSQL database ``evaluator_bench_<preset>_<pid>``
dropped at the end, or ``--pg URL``; a temporary SQLite file, or ``--sqlite PATH``), a
child process loads the cohort of ``benchmarks/cohort.py`` (``--preset province``: 2,500
stations, 3 raters, the six registers; ``national``: 30,000) through the services (timed,
not part of the targets); a database given by ``--pg``/``--sqlite`` that already holds
the cohort is measured as it is. A second child process, which has loaded nothing, then
does first what the targets are about, so that its peak RSS (``ru_maxrss``) after it is
that work's own:

- ``scorecards.compute_round(round)``: read every rater's values, the registers'
  measures, reconcile the panel, score every station (the in-memory result cache, where
  there is one, emptied before each run: cold); the best of ``--repeat`` runs;
- every station's card from that computed round, with ``scorecards.station_cards`` when
  the module has it (a dict, or an async iterator of (code, card) built a chunk at a
  time);

and then, for the table: a breakdown of the read through the same public functions; the
cards one at a time (``card_documents.unit_card`` with the station's evidence and robustness) on
``--card-sample`` stations, extrapolated, which is the baseline and the check (the batched
cards must equal them); one station's card as the API builds it today
(``scorecards._station_card``: the whole round computed for one card); the round's
robustness (1,000 weightings) and its full sensitivity report with attribution (Sobol,
surrogate, PCA) as ``scorecards.round_sensitivity`` computes it, without HTTP. Where a
step would take longer than ``--limit`` seconds (the quadratic ``cohort_frame`` of a big
round, probed on 100 units first), it is extrapolated, not run, and marked ``~``.

Baseline, measured in the same run: the engine's ``score(system, inputs)`` on the same
inputs already in memory; ``compute_round ÷ score`` is the price of the database and the
panel. Where ``station_cards`` exists its cards are checked equal to the one-at-a-time
cards on the sample.

Targets (issue 19): province round (compute_round + every card) ≤ 10 s on PostgreSQL;
national ≤ 2 minutes within 4 GB peak RSS; province sensitivity ≤ 30 s. Prints a
Markdown table; ``--json OUT`` writes every figure.

    python benchmarks/bench_province_round.py [--preset province|national] [--only postgres|sqlite]
        [--pg URL] [--sqlite PATH] [--json OUT] [--repeat 2] [--card-sample 100] [--seed 2026]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
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

HERE = Path(__file__).resolve().parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
TARGETS = {"province": 10.0, "national": 120.0}  # seconds: compute_round + every card
TARGET_SENSITIVITY = 30.0  # seconds, province
TARGET_RSS_MB = 4096.0  # national


def peak_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the measuring child ---------------------------------------------------------------------


def _forget(scorecards) -> None:
    """Empty the per-process caches of computed rounds, where the code has them."""
    cache = getattr(scorecards, "round_cache", None)
    for name in ("results", "robustness"):
        memo = getattr(cache, name, None)
        if memo is not None:
            memo.clear()


async def sensitivity(round_, done, figures: dict, took) -> None:
    """The round's robustness (1,000 weightings) and its full report with attribution, as
    ``scorecards.round_sensitivity`` computes them (without the permission check)."""
    from evaluator.analysis.report import sensitivity_report
    from evaluator.analysis.sensitivity import Settings
    from evaluator.services import scorecards as sc
    from evaluator.services.sensitivity import decision_inputs, robustness

    _forget(sc)
    t0 = time.perf_counter()
    await robustness(round_, done)
    took("robustness (1,000 weightings, no attribution)", t0)
    t0 = time.perf_counter()
    groups, outcome = await decision_inputs(round_, done)
    report = await asyncio.to_thread(
        sensitivity_report,
        done.system,
        done.result,
        Settings(),
        groups=groups,
        outcomes=outcome,
        attribution=True,
    )
    took("sensitivity with attribution", t0)
    figures["sensitivity_units"] = len(report["units"])


async def every_scorecard(round_, sc, figures: dict, took) -> object:
    """compute_round, then every station's card (``station_cards``) where the module has
    it: the operation the targets are about, first in the process so that the peak RSS
    after it is its own. Returns the computed round."""
    _forget(sc)
    t0 = time.perf_counter()
    done = await sc.compute_round(round_)
    figures["compute_round_runs"] = [time.perf_counter() - t0]
    print(f"    compute_round: {figures['compute_round_runs'][0]:.3f} s", flush=True)
    figures["rss_after_compute_mb"] = peak_mb()
    batched = getattr(sc, "station_cards", None)
    if batched is not None:
        count = 0
        t0 = time.perf_counter()
        if inspect.isasyncgenfunction(batched):  # cards as they are built, a chunk at a time
            async for _ in batched(round_, done):
                count += 1
        else:
            count = len(await batched(round_, done))
        took("cards: station_cards (all stations)", t0)
        figures["cards_count"] = count
    figures["rss_after_cards_mb"] = peak_mb()
    return done


async def measure(url: str, round_id: str, args: argparse.Namespace) -> dict:
    from evaluator.engine import score
    from evaluator.engine.reconcile import reconciliation_by_leaf
    from evaluator.services import card_documents as cd
    from evaluator.services import scorecards as sc
    from evaluator.services.citations import leaf_evidence
    from evaluator.services.cohorts import round_cohort
    from evaluator.services.sensitivity import robustness
    from evaluator.store.contracts import Station
    from evaluator.store.db import close_database, open_database
    from evaluator.store.rounds import Round

    figures: dict = {}

    def took(name: str, t0: float) -> float:
        figures[name] = time.perf_counter() - t0
        print(f"    {name}: {figures[name]:.3f} s", flush=True)
        return figures[name]

    await open_database(url)
    try:
        round_ = await Round.get(id=round_id)
        system = await sc.system_of_round(round_)
        units = (await round_cohort(round_, system)).units
        figures["stations"] = len(units)
        # cohort_frame first probed on a stand-in of the inputs' size (~56 rows a unit):
        # it may grow with units × rows, beyond what a run can wait for
        stand_in = pd.DataFrame({"unit": np.repeat(np.asarray(units, dtype=object), 56)})
        probe = units[: max(1, min(len(units), 100))]
        t0 = time.perf_counter()
        sc.cohort_frame(stand_in, probe, system)
        estimate = (time.perf_counter() - t0) * len(units) / len(probe)
        del stand_in
        feasible = estimate <= args.limit
        done = None
        if feasible:
            done = await every_scorecard(round_, sc, figures, took)
        else:
            print(
                f"    cohort_frame would take ~{estimate:,.0f} s (extrapolated from "
                f"{len(probe)} units): over --limit {args.limit:g} s, compute_round not run",
                flush=True,
            )

        # the read step by step, through the public functions compute_round calls
        t0 = time.perf_counter()
        cohort = await round_cohort(round_, system)
        took("step: system and cohort (contract, station links)", t0)
        t0 = time.perf_counter()
        raw = await sc.round_raw(round_)
        took("step: raters' values (round_raw)", t0)
        figures["rater_rows"] = len(raw)
        t0 = time.perf_counter()
        await sc.round_measured(round_, system, cohort)
        took("step: registers' measures (round_measured)", t0)
        t0 = time.perf_counter()
        reconciliation_by_leaf(system, raw, report=False)
        took("step: panel reconciled (reconciliation_by_leaf)", t0)
        del raw
        t0 = time.perf_counter()
        inputs, notes = await sc.round_inputs(round_, system, None, cohort)
        took("step: round_inputs (the three above, together)", t0)
        figures["input_rows"] = len(inputs)
        if feasible:
            t0 = time.perf_counter()
            frame = sc.cohort_frame(inputs, units, system)
            took("step: cohort_frame", t0)
        else:
            figures["step: cohort_frame"] = estimate
            figures["extrapolated"] = ["step: cohort_frame", "compute_round"]
            present = set(inputs["unit"])
            absent = [u for u in units if u not in present]
            frame = inputs if not absent else sc.cohort_frame(inputs, absent, system)
        t0 = time.perf_counter()
        result = score(system, frame, [])
        took("baseline: engine score() on the inputs in memory", t0)
        del frame

        if done is not None:
            for _ in range(args.repeat - 1):
                del done
                _forget(sc)
                t0 = time.perf_counter()
                done = await sc.compute_round(round_)
                figures["compute_round_runs"].append(time.perf_counter() - t0)
                print(f"    compute_round: {figures['compute_round_runs'][-1]:.3f} s", flush=True)
            figures["compute_round"] = min(figures["compute_round_runs"])
            same = np.allclose(result.total.to_numpy(), done.result.total.to_numpy())
            figures["baseline_equal"] = bool(same)
        else:  # what compute_round would return, from the steps above
            waivers = await sc.round_waivers(round_)
            done = sc.Computed(system, inputs, result, units, notes, waivers)
            figures["compute_round"] = (
                figures["step: round_inputs (the three above, together)"]
                + figures["step: system and cohort (contract, station links)"]
                + estimate
                + figures["baseline: engine score() on the inputs in memory"]
            )
        del inputs, result

        # the cards one at a time (the baseline), checked against station_cards
        stations = {s.code: s for s in await Station.filter(code__in=units)}
        rng = np.random.default_rng(args.seed)
        sample = sorted(rng.choice(len(units), min(args.card_sample, len(units)), replace=False))
        codes = [units[i] for i in sample]
        robust = await robustness(round_, done)
        t0 = time.perf_counter()
        singles = {}
        for code in codes:
            card = await asyncio.to_thread(
                cd.unit_card, done, code, await leaf_evidence(round_, code)
            )
            card["robustness"] = cd.robust_unit(robust, code)
            singles[code] = card
        loop = time.perf_counter() - t0
        del robust
        figures["cards_one_at_a_time_sample"] = len(codes)
        figures["cards_one_at_a_time"] = loop * len(units) / len(codes)
        print(
            f"    cards one at a time: {loop:.2f} s for {len(codes)}, "
            f"{figures['cards_one_at_a_time']:.1f} s for {len(units):,} (extrapolated)",
            flush=True,
        )
        batched = getattr(sc, "station_cards", None)
        if batched is not None:
            kept = {}
            if inspect.isasyncgenfunction(batched):
                async for code, card in batched(round_, done):
                    if code in singles:
                        kept[code] = card
            else:
                every = await batched(round_, done)
                kept = {c: every[c] for c in codes}
                del every
            shared = ("station", "agency", "round", "registers")
            differ = [
                c
                for c in codes
                if {k: v for k, v in kept[c].items() if k not in shared} != singles[c]
            ]
            figures["cards_equal"] = not differ and figures.get("cards_count", len(units)) == len(
                units
            )
            if differ:
                print(f"    MISMATCH: station_cards differs from _card at {differ[:5]}")
        if feasible:
            api = codes[: 1 if len(units) > 10_000 else 2]
            t0 = time.perf_counter()
            for code in api:
                _forget(sc)
                await sc._station_card(round_, stations[code])
            figures["api_card_each"] = (time.perf_counter() - t0) / len(api)
            print(f"    one card via _station_card: {figures['api_card_each']:.2f} s", flush=True)
        if not args.skip_sensitivity:
            await sensitivity(round_, done, figures, took)
    finally:
        await close_database()
    figures["peak_rss_mb"] = peak_mb()
    return figures


# --- the parent: load, measure, report --------------------------------------------------------


def _run(cmd: list[str], label: str) -> float:
    print(f"  {label}: {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


async def find_round(url: str, preset: str) -> str | None:
    """The round id of the preset's cohort if the database holds it (None if the database
    is missing, empty or holds something else)."""
    from evaluator.store.contracts import Contract
    from evaluator.store.db import close_database, open_database
    from evaluator.store.rounds import Round

    try:
        await open_database(url)
    except Exception:
        return None
    try:
        sys.path.insert(0, str(HERE))
        from cohort import contract_code

        contract = await Contract.get_or_none(code=contract_code(preset))
        if contract is None:
            return None
        round_ = await Round.filter(contract_id=contract.id).first()
        return str(round_.id) if round_ else None
    finally:
        await close_database()


def bench_database(kind: str, url: str, args, tmp: Path, fresh: bool) -> dict:
    print(f"\n== {kind}: {url}", flush=True)
    out: dict = {"url": url}
    load_json = tmp / f"load-{kind}.json"
    round_id = None
    if not fresh:  # asked in a child: one process never opens both kinds of database
        found = tmp / f"found-{kind}.json"
        cmd = [sys.executable, __file__, "--find", url, "--preset", args.preset]
        subprocess.run([*cmd, "--json", str(found)], check=True)
        round_id = json.loads(found.read_text())["round_id"]
    if round_id is None:
        cmd = [sys.executable, str(HERE / "cohort.py"), "--preset", args.preset, "--db", url]
        cmd += ["--seed", str(args.seed), "--json", str(load_json)]
        if args.stations:
            cmd += ["--stations", str(args.stations)]
        if kind == "postgres":
            cmd.append("--create")
        out["load_seconds"] = _run(cmd, "load")
        out["load"] = json.loads(load_json.read_text())
        round_id = out["load"]["round_id"]
    else:
        print(f"  the database holds the cohort already (round {round_id}): measured as it is")
    figures_json = tmp / f"figures-{kind}.json"
    cmd = [sys.executable, __file__, "--measure", url, "--round", round_id]
    cmd += ["--json", str(figures_json), "--repeat", str(args.repeat)]
    cmd += ["--card-sample", str(args.card_sample), "--seed", str(args.seed)]
    cmd += ["--limit", str(args.limit)]
    cmd += ["--skip-sensitivity"] if args.skip_sensitivity else []
    _run(cmd, "measure")
    out["figures"] = json.loads(figures_json.read_text())
    return out


def every_card(f: dict) -> float:
    """compute_round + every station's card (batched when there is a batch, else the loop)."""
    return f["compute_round"] + f.get(
        "cards: station_cards (all stations)", f["cards_one_at_a_time"]
    )


def table(results: dict, preset: str) -> str:
    kinds = [k for k in ("postgres", "sqlite") if k in results]
    name = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
    first = results[kinds[0]]["figures"]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, value) -> None:
        rows.append((label, [value(results[k]) for k in kinds]))

    def sec(key: str):
        def cell(r: dict) -> str:
            f = r["figures"]
            if key not in f:
                return "—"
            return ("~" if key in f.get("extrapolated", []) else "") + f"{f[key]:.2f}"

        return cell

    row(
        "load through the services (cohort.py; not a target)",
        lambda r: f"{r['load_seconds']:.0f}" if "load_seconds" in r else "—",
    )
    row(
        "`compute_round`: every station scored from the database (best of runs)",
        sec("compute_round"),
    )
    for key in (
        "step: system and cohort (contract, station links)",
        "step: raters' values (round_raw)",
        "step: registers' measures (round_measured)",
        "step: panel reconciled (reconciliation_by_leaf)",
        "step: cohort_frame",
    ):
        row(f"  {key.removeprefix('step: ')}", sec(key))
    row(
        "every station's card: `station_cards` (batched)",
        sec("cards: station_cards (all stations)"),
    )
    row(
        f"every station's card, one at a time (`unit_card`; {first['cards_one_at_a_time_sample']} timed, extrapolated)",
        sec("cards_one_at_a_time"),
    )
    row(
        "**every scorecard: compute_round + every card**",
        lambda r: (
            "**"
            + ("~" if r["figures"].get("extrapolated") else "")
            + f"{every_card(r['figures']):.2f}**"
        ),
    )
    row(
        "one card as the API builds it (`_station_card`: whole round per card)",
        sec("api_card_each"),
    )
    row(
        "robustness, 1,000 weightings (no attribution)",
        sec("robustness (1,000 weightings, no attribution)"),
    )
    row(
        "sensitivity report with attribution (Sobol, surrogate, PCA)",
        sec("sensitivity with attribution"),
    )
    row(
        "baseline: engine `score()` on the same inputs in memory",
        sec("baseline: engine score() on the inputs in memory"),
    )
    row(
        "ratio compute_round ÷ score()",
        lambda r: (
            f"{r['figures']['compute_round'] / r['figures']['baseline: engine score() on the inputs in memory']:.0f}×"
        ),
    )
    row(
        "peak RSS after compute_round + every card, the process's first work (MB; whole run)",
        lambda r: (
            (
                f"{r['figures']['rss_after_cards_mb']:,.0f}"
                if "rss_after_cards_mb" in r["figures"]
                else "—"
            )
            + f" ({r['figures']['peak_rss_mb']:,.0f})"
        ),
    )
    head = (
        f"| {preset}: {first['stations']:,} stations, {first['rater_rows']:,} rater values | "
        + " | ".join(f"{name[k]} (s)" for k in kinds)
    )
    lines = [head + " |", "|---|" + "---|" * len(kinds)]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in rows]
    return "\n".join(lines)


def verdicts(results: dict, preset: str) -> list[str]:
    out = []
    limit = TARGETS.get(preset)
    for kind, r in results.items():
        f = r["figures"]
        total = every_card(f)
        if limit is not None:
            ok = total <= limit
            extra = ""
            if preset == "national":
                rss = f.get("rss_after_cards_mb", f["peak_rss_mb"])
                ok = ok and rss <= TARGET_RSS_MB
                extra = f", peak RSS {rss:,.0f} MB (≤ {TARGET_RSS_MB:,.0f})"
            guess = " (extrapolated)" if f.get("extrapolated") else ""
            out.append(
                f"{kind}: every scorecard {total:.2f} s{guess} (≤ {limit:g} s{extra}): "
                f"{'met' if ok else 'NOT met'}"
                + ("" if kind == "postgres" else " (the target is PostgreSQL's)")
            )
        if preset == "province" and "sensitivity with attribution" in f:
            s = f["sensitivity with attribution"]
            out.append(
                f"{kind}: sensitivity {s:.2f} s (≤ {TARGET_SENSITIVITY:g} s): {'met' if s <= TARGET_SENSITIVITY else 'NOT met'}"
            )
        if f.get("cards_equal") is False or not f.get("baseline_equal", True):
            out.append(f"{kind}: MISMATCH (see above)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=("county", "province", "national"), default="province")
    ap.add_argument("--stations", type=int, help="override the preset's number of stations")
    ap.add_argument("--only", choices=("postgres", "sqlite"))
    ap.add_argument(
        "--pg", metavar="URL", help="PostgreSQL database (kept; loaded unless it holds the cohort)"
    )
    ap.add_argument(
        "--sqlite", metavar="PATH", help="SQLite file (kept; loaded unless it holds the cohort)"
    )
    ap.add_argument("--json", metavar="OUT", help="write every figure as JSON")
    ap.add_argument("--repeat", type=int, default=2, help="compute_round runs (the best counts)")
    ap.add_argument("--card-sample", type=int, default=100)
    ap.add_argument(
        "--limit",
        type=float,
        default=600.0,
        help="seconds: a step extrapolated beyond this is reported, not run (default 600)",
    )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--skip-sensitivity", action="store_true", help="no robustness or sensitivity figures"
    )
    ap.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # the measuring child
    ap.add_argument("--round", help=argparse.SUPPRESS)
    ap.add_argument("--find", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.find:
        found = asyncio.run(find_round(args.find, args.preset))
        Path(args.json).write_text(json.dumps({"round_id": found}) + "\n")
        return 0
    if args.measure:
        figures = asyncio.run(measure(args.measure, args.round, args))
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
        return 0

    sys.path.insert(0, str(HERE))
    from cohort import drop_postgres

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    machine = (
        f"Python {platform.python_version()} · numpy {np.__version__} · pandas {pd.__version__} · "
        f"cores {os.cpu_count()} (usable {affinity}) · {platform.machine()}"
    )
    print(machine)
    kinds = [args.only] if args.only else ["postgres", "sqlite"]
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-province-") as folder:
        tmp = Path(folder)
        os.environ.setdefault("EVIDENCE_DIR", str(tmp / "evidence"))
        for kind in kinds:
            if kind == "postgres":
                fresh = args.pg is None
                url = args.pg or f"{PG_SERVER}/evaluator_bench_{args.preset}_{os.getpid()}"
                if fresh:
                    asyncio.run(drop_postgres(url))
            else:
                fresh = args.sqlite is None
                url = f"sqlite://{Path(args.sqlite).resolve() if args.sqlite else tmp / 'bench.sqlite3'}"
            try:
                results[kind] = bench_database(kind, url, args, tmp, fresh)
            finally:
                if kind == "postgres" and fresh:
                    asyncio.run(drop_postgres(url))
    print()
    print(table(results, args.preset))
    print()
    for line in verdicts(results, args.preset):
        print(line)
    if args.json:
        doc = {
            "benchmark": "bench_province_round",
            "preset": args.preset,
            "seed": args.seed,
            "machine": machine,
            "date": time.strftime("%Y-%m-%d"),
            "targets": {
                "every_scorecard_seconds": TARGETS.get(args.preset),
                "sensitivity_seconds": TARGET_SENSITIVITY if args.preset == "province" else None,
                "peak_rss_mb": TARGET_RSS_MB if args.preset == "national" else None,
            },
            "databases": {
                k: r | {"every_scorecard_seconds": every_card(r["figures"])}
                for k, r in results.items()
            },
            "verdicts": verdicts(results, args.preset),
        }
        Path(args.json).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
