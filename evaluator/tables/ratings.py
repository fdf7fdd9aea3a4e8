"""A plain ratings table for ``evaluator reliability --input``: one row per rating with
columns ``unit``, ``rater``, ``value`` (单位/评估对象, 评估员, 分值); an empty value is a
missing rating. Every bad cell is reported at once, located by file, sheet, row and column;
the same unit rated twice by one rater is a problem too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.tables.cells import finite_number, not_number
from evaluator.tables.read import read_table, resolve_columns

COLUMNS = {
    "unit": ("评估对象", "单位", "对象", "unit_id"),
    "rater": ("评估员", "评分人", "rater_id", "judge"),
    "value": ("分值", "评分", "得分", "score", "rating"),
}
MAX_PROBLEMS = 50


def read_ratings(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """The ratings as a frame ``unit, rater, value`` (float; missing ratings left out)."""
    table = read_table(path, sheet, header=lambda cells: any(c for c in cells))
    names = resolve_columns(table, COLUMNS, required=("unit", "rater", "value"))
    frame = table.frame
    problems: list[Problem] = []
    rows: list[tuple[str, str, float]] = []
    seen: dict[tuple[str, str], int] = {}
    for i in range(len(frame)):
        unit, rater, text = (frame.at[i, names[c]] for c in ("unit", "rater", "value"))
        for column, cell in (("unit", unit), ("rater", rater)):
            if cell is None:
                problems.append(
                    table.problem(i, names[column], f"the {column} is empty", f"{column} 为空")
                )
        if text is None or unit is None or rater is None:
            continue  # a missing rating (or already reported)
        value = finite_number(text)
        if value is None:
            bad = not_number(text)
            problems.append(table.problem(i, names["value"], bad.en, bad.zh))
            continue
        key = (str(unit), str(rater))
        if key in seen:
            problems.append(
                table.problem(
                    i,
                    names["rater"],
                    f"{rater} rated {unit} twice (first on row {seen[key]})",
                    f"{rater} 对 {unit} 评了两次（首次在第 {seen[key]} 行）",
                )
            )
            continue
        seen[key] = table.row_number(i)
        rows.append((key[0], key[1], value))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput(Problem("no rating in the table", "表中没有任何评分", file=table.file))
    return pd.DataFrame(rows, columns=["unit", "rater", "value"])
