"""Write the corpus of broken (and a few tricky but valid) score-input tables — the long
table `evaluator score --input` reads (unit, leaf, item, value) — next to this script.

    .venv/bin/python tests/corpus/scores/make_corpus.py

``expected.yaml`` lists what reading and scoring each against ``system.yaml`` must report;
``tests/evidence/test_score_corpus.py`` checks both (and that this script reproduces the
committed files byte for byte)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/corpus: the shared writer
from reproducible import workbook  # noqa: E402

HEADER = ["unit", "leaf", "item", "value"]
ROWS = [
    ["S01", "R1", "", "3"],
    ["S01", "C1", "a", "1"],
    ["S01", "C1", "b", "0"],
    ["S01", "N1", "", "8"],
    ["S01", "S1", "", "4.2"],
    ["S02", "R1", "", "2"],
]


def rows(**changes: str) -> list[list[str]]:
    """ROWS with cells changed: ``r2c3="x"`` sets row 2 (1-based data row), column 3."""
    out = [list(r) for r in ROWS]
    for key, value in changes.items():
        r, c = map(int, re.fullmatch(r"r(\d+)c(\d+)", key).groups())
        out[r - 1][c - 1] = value
    return out


def csv_text(header, body, sep=",") -> str:
    return "".join(sep.join(r) + "\n" for r in [header, *body])


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def write_xlsx(name: str, sheets: dict[str, list[list]], hidden=(), merges=None, formulas=None):
    (HERE / name).write_bytes(workbook(sheets, merges, formulas, hidden))


def numeric(body):
    return [[float(v) if re.fullmatch(r"-?\d+(\.\d+)?", v) else v for v in r] for r in body]


def build() -> None:
    for old in HERE.iterdir():
        if old.is_file() and old.name not in {"make_corpus.py", "expected.yaml", "system.yaml"}:
            old.unlink()
    write("01-valid.csv", csv_text(HEADER, ROWS))
    write("02-percent-value.csv", csv_text(HEADER, rows(r4c4="80%")))
    write("03-full-width-digits.csv", csv_text(HEADER, rows(r1c4="３", r4c4="８．０")))
    write("04-infinite-value.csv", csv_text(HEADER, rows(r4c4="inf")))
    write("05-value-beyond-a-double.csv", csv_text(HEADER, rows(r4c4="1e400")))
    write("06-zero-width-space-in-unit.csv", csv_text(HEADER, rows(r2c1="S01\u200b")))
    write("07-bom-inside-a-cell.csv", csv_text(HEADER, rows(r6c2="\ufeffR1")))
    write("08-semicolon-separated.csv", csv_text(HEADER, ROWS, sep=";"))
    write("09-tab-separated.csv", csv_text(HEADER, ROWS, sep="\t"))
    write("10-nul-byte.csv", csv_text(HEADER, rows(r3c4="0\x00")))
    write("11-utf16.csv", csv_text(HEADER, ROWS), encoding="utf-16")
    write("12-big5-headers.csv", csv_text(["單位", "指標", "項目", "分值"], ROWS), encoding="big5")
    write("13-missing-value-column.csv", csv_text(HEADER[:3], [r[:3] for r in ROWS]))
    write("14-level-out-of-the-set.csv", csv_text(HEADER, rows(r1c4="5")))
    write("15-unknown-leaf.csv", csv_text(HEADER, rows(r6c2="R9")))
    write("16-checklist-without-item.csv", csv_text(HEADER, rows(r2c3="")))
    write("17-word-in-a-number.csv", csv_text(HEADER, rows(r4c4="八")))
    write("18-number-with-a-unit.csv", csv_text(HEADER, rows(r4c4="8个")))
    write("19-empty.csv", "")
    write("20-only-header.csv", csv_text(HEADER, []))
    write_xlsx("21-hidden-first-sheet.xlsx",
               {"旧": [HEADER, *numeric(ROWS)], "评分": [HEADER, *numeric(ROWS)]}, hidden=("旧",))
    sheet = [HEADER, *numeric(ROWS)]
    sheet[4][3] = None
    write_xlsx("22-formula-without-value.xlsx", {"评分": sheet}, formulas={"评分": {"D5": "=D2*2"}})
    sheet = [HEADER, *numeric(ROWS)]
    sheet[2][0] = None
    write_xlsx("23-merged-unit-cells.xlsx", {"评分": sheet}, merges={"评分": ["A2:A3"]})
    write("24-duplicate-row.csv", csv_text(HEADER, ROWS + [ROWS[0]]))


if __name__ == "__main__":
    build()
    sys.exit(0)
