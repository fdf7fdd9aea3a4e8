"""Benchmark: parsing a large service log (服务台账) with full validation.

Writes a synthetic, valid service log of N rows (default 1,000,000; 11 columns, Chinese
headers, mixed date formats) as CSV in UTF-8 and GB18030, then, each in a fresh process so
that peak memory is its own:

- ``parse_register("service_log", path)``: read, decode, validate every cell and rule,
  build the typed frame (what an import does before writing anything);
- the floor, measured in the same run: ``pandas.read_csv`` of the same file as strings,
  with no validation at all.

Prints seconds, peak RSS and the ratio to the floor. Exits 1 if the parsed frame does not
have N rows.

    python benchmarks/bench_register_parse.py [--rows 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = [
    "站点编码",
    "服务日期",
    "服务类型",
    "个案/小组编号",
    "服务对象类别",
    "节次/跟进次数",
    "参与人数",
    "服务时数",
    "服务地点",
    "服务社工",
    "备注",
]


def write_log(path: Path, rows: int, seed: int, encoding: str) -> None:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", "2025-12-31")
    formats = np.array(
        [days.strftime("%Y-%m-%d"), days.strftime("%Y/%-m/%-d"), days.strftime("%Y年%-m月%-d日")]
    )
    pick = lambda values: np.asarray(values)[rng.integers(0, len(values), rows)]  # noqa: E731
    frame = pd.DataFrame(
        {
            HEADER[0]: pick([f"S{i:02d}" for i in range(30)]),
            HEADER[1]: formats[rng.integers(0, 3, rows), rng.integers(0, len(days), rows)],
            HEADER[2]: pick(["个案", "小组", "社区活动", "探访", "转介", "咨询"]),
            HEADER[3]: pick([f"C{i:05d}" for i in range(20_000)]),
            HEADER[4]: pick(["低保", "特困", "留守儿童", "独居老人", "一般居民", ""]),
            HEADER[5]: rng.integers(1, 10, rows).astype(str),
            HEADER[6]: rng.integers(1, 300, rows).astype(str),
            HEADER[7]: pick(["0.5", "1", "1.5", "2", "2.5", "3", "4"]),
            HEADER[8]: pick(["社区", "入户", "站内"]),
            HEADER[9]: pick([f"P{i:03d}" for i in range(100)]),
            HEADER[10]: pick(["", "", "", "电话跟进", "家访"]),
        }
    )
    frame.to_csv(path, index=False, encoding=encoding)


CHILD = textwrap.dedent(
    """
    import json, sys, time
    import pandas as pd
    from evaluator.evidence.parse import parse_register
    what, path, encoding = sys.argv[1:4]
    start = time.perf_counter()
    if what == "parse":
        n = len(parse_register("service_log", path).frame)
    else:
        n = len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding))
    seconds = time.perf_counter() - start
    # VmHWM is this process's own peak (ru_maxrss would carry the parent's over exec)
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    peak = int(status) / 1024
    print(json.dumps({"rows": n, "seconds": seconds, "peak_mb": peak}))
    """
)


def measure(what: str, path: Path, encoding: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(path), encoding],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, pandas {pd.__version__}, {platform.machine()}")
    print(f"{'file':<22} {'MB':>6} {'step':<14} {'s':>7} {'peak RSS MB':>12} {'× floor':>8}")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for encoding in ("utf-8", "gb18030"):
            path = Path(tmp) / f"service-log-{encoding}.csv"
            write_log(path, args.rows, args.seed, encoding)
            size = path.stat().st_size / 1024 / 1024
            floor = measure("read_csv", path, encoding)
            parsed = measure("parse", path, encoding)
            if parsed["rows"] != args.rows:
                print(f"parsed {parsed['rows']} rows, expected {args.rows}")
                status = 1
            label = f"{args.rows:,} rows {encoding}"
            for step, m in (("read_csv floor", floor), ("parse_register", parsed)):
                ratio = m["seconds"] / floor["seconds"]
                print(
                    f"{label:<22} {size:>6.1f} {step:<14} {m['seconds']:>7.2f}"
                    f" {m['peak_mb']:>12.0f} {ratio:>8.2f}"
                )
    return status


if __name__ == "__main__":
    sys.exit(main())
