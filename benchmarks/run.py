"""Run benchmarks and regenerate docs/performance.md from what they printed.

Each benchmark's output is kept in ``benchmarks/results/<name>.txt`` (with its command,
the date, the machine, its wall time and exit status) and written into
``docs/performance.md`` at its ``<!-- measured: name -->`` mark of the template
``benchmarks/performance.md.in``, so the document shows every figure and ratio of the
latest run of each benchmark, measured in that run against its own baseline.

    .venv/bin/python benchmarks/run.py engine sensitivity …   # run these, then the document
    .venv/bin/python benchmarks/run.py --all                  # make bench
    .venv/bin/python benchmarks/run.py api                    # make bench-api
    .venv/bin/python benchmarks/run.py --render               # the document only

A benchmark that fails (non-zero exit) is recorded as such, and this script exits
non-zero after writing the document.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TEMPLATE = HERE / "performance.md.in"
DOCUMENT = ROOT / "docs" / "performance.md"
PY = [sys.executable]

# name → the command (make bench runs the first group; make bench-api the API load)
BENCHMARKS: dict[str, list[str]] = {
    "engine": [*PY, "benchmarks/bench_engine.py"],
    "register_parse": [*PY, "benchmarks/bench_register_parse.py"],
    "register_import": [*PY, "benchmarks/bench_register_import.py"],
    "sensitivity": [*PY, "benchmarks/bench_sensitivity.py"],
    "reports": [*PY, "benchmarks/bench_reports.py"],
    "province_round": [*PY, "benchmarks/bench_province_round.py"],
    # the 30,000-station round (PostgreSQL): loading it takes about 27 min, so it is not in
    # make bench; BENCH_NATIONAL_PG names a database that already holds the cohort
    # (benchmarks/cohort.py --preset national --create --db URL)
    "national_round": [
        *PY,
        "benchmarks/bench_province_round.py",
        "--preset",
        "national",
        "--only",
        "postgres",
        "--skip-sensitivity",
        "--repeat",
        "1",
        *(["--pg", os.environ["BENCH_NATIONAL_PG"]] if os.environ.get("BENCH_NATIONAL_PG") else []),
    ],
    "api": [*PY, "benchmarks/bench_api.py"],
    "api_province": [
        *PY,
        "benchmarks/bench_api.py",
        "--preset",
        "province",
        "--no-sqlite",
        "--pg-workers",
        "4",
    ],
}
BENCH = ["engine", "register_parse", "register_import", "sensitivity", "reports", "province_round"]
BENCH_API = ["api", "api_province"]
MARK = re.compile(r"<!-- measured: ([a-z_]+) -->")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import numpy
    import pandas

    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, pandas {pandas.__version__}"
    )


def run(name: str) -> int:
    from evaluator import clock

    command = BENCHMARKS[name]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr[-4000:] if done.returncode else "")
    header = [
        f"command: {' '.join(['.venv/bin/python', *command[1:]])}",
        f"date: {clock.local(clock.now()).strftime('%Y-%m-%d %H:%M')} (Beijing time)",
        f"machine: {machine()}",
        f"wall time: {seconds:,.0f} s, exit status {done.returncode}",
    ]
    output = done.stdout.rstrip()
    if done.returncode:
        output += "\n" + done.stderr.rstrip()[-3000:]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.txt").write_text("\n".join(header) + "\n\n" + output + "\n")
    return done.returncode


def section(name: str) -> str:
    path = RESULTS / f"{name}.txt"
    if not path.exists():
        return f"*Not measured yet: `.venv/bin/python benchmarks/run.py {name}`.*"
    head, _, body = path.read_text().partition("\n\n")
    facts = dict(line.split(": ", 1) for line in head.splitlines())
    return (
        f"Measured {facts['date']} on {facts['machine']} — `{facts['command']}`, "
        f"{facts['wall time']}:\n\n```text\n{body.rstrip()}\n```"
    )


def render() -> None:
    text = MARK.sub(lambda m: section(m.group(1)), TEMPLATE.read_text())
    DOCUMENT.write_text(
        "<!-- generated by benchmarks/run.py from benchmarks/performance.md.in and "
        "benchmarks/results/: edit those -->\n" + text
    )
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help=", ".join(BENCHMARKS))
    ap.add_argument("--all", action="store_true", help="every benchmark of make bench")
    ap.add_argument("--api", action="store_true", help="the API load of make bench-api")
    ap.add_argument("--render", action="store_true", help="only write the document")
    args = ap.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    names = list(args.names) + (BENCH if args.all else []) + (BENCH_API if args.api else [])
    failed = [n for n in names if run(n) != 0]
    render()
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
