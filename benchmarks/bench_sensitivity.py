"""Benchmark: weighting sensitivity over 10,000 units × 60 leaves × 1,000 sampled weightings.

The cohort is the synthetic 60-leaf system of ``bench_engine.py``, scored once; then
:class:`evaluator.analysis.sensitivity.Cohort` re-aggregates every unit under every weighting
at once (the engine's weighted mean over units × samples, the engine's floors and vetoes),
ranks and grades them, and :func:`evaluator.analysis.uncertainty.analyse` derives the
per-unit bands, flip probabilities and drivers. Baseline, measured in the same run: the
same aggregation re-run one weighting at a time (a loop over samples), timed on
``--loop-samples`` samples and extrapolated.

    .venv/bin/python benchmarks/bench_sensitivity.py [--units 10000] [--samples 1000] [--loop-samples 20]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import best_of, build  # noqa: E402

from evaluator.analysis.sensitivity import Cohort, Settings, ranks, sample_weights  # noqa: E402
from evaluator.analysis.uncertainty import analyse  # noqa: E402
from evaluator.engine import score  # noqa: E402

TARGET_SECONDS = 5.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--loop-samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=3, help="best of this many runs (the machine's load varies)"
    )
    args = parser.parse_args(argv)

    system, raw = build(args.units, args.seed)
    result = score(system, raw)
    cohort = Cohort(system, result)
    settings = Settings(samples=args.samples, seed=args.seed)
    codes, theta = sample_weights(system, settings)
    print(
        f"{args.units:,} units × {len(system.leaves)} leaves × {args.samples:,} weightings ({len(codes)} weights vary, ±{settings.spread:.0%})"
    )

    def core():
        ev = cohort.evaluate(codes, theta)
        return (
            ev,
            ranks(ev.total, system.spec.decimals),
            (ev.grade != result.grade_idx[:, None]).mean(axis=1),
        )

    t_core, (ev, rk, flips) = best_of(core, args.repeat)
    t_full, report = best_of(lambda: analyse(system, result, settings), args.repeat)

    t0 = time.perf_counter()
    loop_totals = np.column_stack(
        [
            cohort.evaluate(codes, theta[s : s + 1], block=len(cohort.units)).total[:, 0]
            for s in range(args.loop_samples)
        ]
    )
    t_loop = (time.perf_counter() - t0) * args.samples / args.loop_samples
    same = np.array_equal(loop_totals, ev.total[:, : args.loop_samples])

    print()
    print(f"{'step':<62} {'seconds':>9}")
    print("-" * 72)
    print(f"{'vectorised: totals, grades and ranks of every unit × weighting':<62} {t_core:>9.2f}")
    print(f"{'analyse(): + bands, flip probabilities, drivers, cohort figures':<62} {t_full:>9.2f}")
    print(
        f"{'baseline: one weighting at a time (' + str(args.loop_samples) + ' timed, extrapolated)':<62} {t_loop:>9.2f}"
    )
    print()
    print(
        f"speed-up vs the per-sample loop: {t_loop / t_core:.1f}× (vectorised core), {t_loop / t_full:.1f}× (whole analysis)"
    )
    print(
        f"the loop's totals {'equal' if same else 'DIFFER from'} the vectorised ones on the {args.loop_samples} samples compared"
    )
    print(
        f"units whose grade can change: {int((flips > 0).sum()):,}; fragile (> {settings.fragile:.0%}): {len(report.fragile_units()):,}; "
        f"mean rank shift {report.cohort['mean_rank_shift']['mean']:.2f}; ranks in [{rk.min()}, {rk.max()}]"
    )
    print(f"peak RSS {peak_mb():,.0f} MB")
    print(
        f"SUMMARY: {args.samples:,} samples × {args.units:,} units: {t_core:.2f} s (whole analysis {t_full:.2f} s); target ≤ {TARGET_SECONDS:g} s: "
        f"{'yes' if t_full <= TARGET_SECONDS else 'NO'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
