"""Benchmark: the report writers (evaluator.reporting) on synthetic documents.

The documents are built from a real station report of the demo county
(tests/reporting/data/station_report.json, its summary and its tree), scaled out:

- **county summary of N stations** (default 10,000): ``summary_workbook`` in xlsxwriter's
  constant-memory mode, in a child process so that its peak memory (max RSS) is its own;
  baseline in the same run: the same station table written by ``pandas.DataFrame.to_excel``
  (xlsxwriter engine, default mode, no formats, no family sheets);
- **M station workbooks** (default 1,000): ``station_workbook`` once per station; baseline:
  ``pandas.DataFrame.to_excel`` of each station's leaf table;
- **one station report in HTML**: ``render_html`` (Jinja2 → Markdown → markdown-it → HTML with
  an SVG chart); baseline: markdown-it rendering the report's Markdown alone.

Targets (docs/performance.md): summary ≤ 10 s and ≤ 500 MB peak; 1,000 workbooks ≤ 60 s;
HTML report ≤ 0.5 s.

    python benchmarks/bench_reports.py [--stations 10000] [--workbooks 1000]
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent.parent / "tests" / "reporting" / "data"


def load(kind: str) -> dict:
    return json.loads((DATA / f"{kind}_report.json").read_text(encoding="utf-8"))


def big_summary(n: int) -> dict:
    """The demo round's summary with ``n`` stations (the real rows repeated, renumbered,
    totals shifted so that ranks and grades vary)."""
    doc = load("summary")
    rows = doc["stations"]
    out = []
    for i in range(n):
        row = copy.deepcopy(rows[i % len(rows)])
        row["code"] = f"S{i:05d}"
        row["name"] = f"{row['name']}{i}"
        row["total"] = round(row["total"] - (i % 37) * 0.5, 2)
        row["rank"] = i + 1
        out.append(row)
    doc["stations"] = out
    return doc


def station_docs(m: int) -> list[dict]:
    doc = load("station")
    docs = []
    for i in range(m):
        d = copy.deepcopy(doc)
        d["station"]["code"] = f"S{i:05d}"
        d["card"]["total"] = round(d["card"]["total"] - (i % 11) * 0.25, 2)
        docs.append(d)
    return docs


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary_child(n: int, baseline: bool) -> None:
    """Run in a child: write the summary (or the baseline), print seconds and peak MB."""
    from evaluator.reporting.workbooks import summary_workbook

    doc = big_summary(n)
    if baseline:
        frame = pd.DataFrame(
            [
                {k: v for k, v in s.items() if not isinstance(v, dict | list)}
                for s in doc["stations"]
            ]
        )

        def work() -> None:
            frame.to_excel(io.BytesIO(), engine="xlsxwriter", index=False)

    else:

        def work() -> None:
            summary_workbook(doc)

    seconds = timed(work)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def in_child(n: int, baseline: bool) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)] + (["--baseline"] if baseline else []),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--workbooks", type=int, default=1_000)
    parser.add_argument("--child", type=int)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if args.child is not None:
        summary_child(args.child, args.baseline)
        return 0

    from evaluator.reporting.workbooks import station_workbook

    print(f"python {platform.python_version()} · {platform.machine()} · reports benchmark")
    ok = True

    summary = in_child(args.stations, baseline=False)
    base = in_child(args.stations, baseline=True)
    fine = summary["seconds"] <= 10 and summary["peak_mb"] <= 500
    ok &= fine
    print(
        f"county summary, {args.stations:,} stations: {summary['seconds']:.2f} s, peak "
        f"{summary['peak_mb']:.0f} MB · baseline (pandas to_excel of the station table): "
        f"{base['seconds']:.2f} s, {base['peak_mb']:.0f} MB · ratio "
        f"{summary['seconds'] / base['seconds']:.2f}× · target ≤ 10 s and ≤ 500 MB: "
        f"{'yes' if fine else 'NO'}"
    )

    docs = station_docs(args.workbooks)
    seconds = timed(lambda: [station_workbook(d) for d in docs])
    tables = [
        pd.DataFrame(d["card"]["leaves"]).drop(columns=["measured", "evidence"]) for d in docs
    ]
    baseline = timed(
        lambda: [t.to_excel(io.BytesIO(), engine="xlsxwriter", index=False) for t in tables]
    )
    fine = seconds * 1000 / args.workbooks <= 60
    ok &= fine
    print(
        f"station workbooks, {args.workbooks:,}: {seconds:.2f} s ({1000 * seconds / args.workbooks:.1f} ms each) · "
        f"baseline (pandas to_excel of the leaf table): {baseline:.2f} s · ratio "
        f"{seconds / baseline:.2f}× · target 1,000 ≤ 60 s: {'yes' if fine else 'NO'}"
    )

    from evaluator.reporting import report

    doc = load("station")
    report.render_html(doc)  # warm-up: templates compiled once
    html = min(timed(lambda: report.render_html(doc)) for _ in range(5))
    markdown = report.render_markdown(doc)
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    plain = min(timed(lambda: md.render(markdown)) for _ in range(5))
    fine = html <= 0.5
    ok &= fine
    print(
        f"station report in HTML: {1000 * html:.1f} ms · baseline (markdown-it alone on its "
        f"Markdown): {1000 * plain:.1f} ms · ratio {html / plain:.2f}× · target ≤ 0.5 s: "
        f"{'yes' if fine else 'NO'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
