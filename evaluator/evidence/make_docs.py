"""Write ``docs/registers.md``, ``docs/metrics.md`` and ``docs/templates/<kind>.xlsx`` from the
register schemas and the metric definitions.

python -m evaluator.evidence.make_docs            # (re)write them under ./docs
python -m evaluator.evidence.make_docs --check    # exit 1 if the committed copies drift
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from evaluator.evidence.metrics.docs import metrics_markdown
from evaluator.evidence.registers import REGISTERS
from evaluator.evidence.templates import registers_markdown, write_template


def generated(docs: Path) -> dict[Path, bytes]:
    """Every generated file under ``docs`` and its bytes."""
    files = {
        docs / "registers.md": registers_markdown().encode("utf-8"),
        docs / "metrics.md": metrics_markdown().encode("utf-8"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kind in REGISTERS:
            path = write_template(kind, Path(tmp) / f"{kind}.xlsx")
            files[docs / "templates" / f"{kind}.xlsx"] = path.read_bytes()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluator.evidence.make_docs")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="docs directory (./docs)")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on drift")
    args = parser.parse_args(argv)
    drift = []
    for path, data in generated(args.docs).items():
        if path.is_file() and path.read_bytes() == data:
            continue
        drift.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in drift:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    return 1 if args.check and drift else 0


if __name__ == "__main__":
    sys.exit(main())
