"""The DATA table of ``evaluator score-table``: one row per unit, one column per indicator.

Read with located errors (every bad cell); scoring is :func:`evaluator.engine.composite.score_composite`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.systems.flat import R_MISSING, UNIT_ALIASES, CompositeStructure
from evaluator.tables.cells import parse_number
from evaluator.tables.read import read_table, resolve_columns

DATA_COLUMNS: dict[str, list[str]] = {"unit": UNIT_ALIASES, "time": ["Time", "年份"]}


def load_composite_data(
    path: str | Path, structure: CompositeStructure, sheet: str | None = None
) -> pd.DataFrame:
    """Read DATA: one row per unit, a ``unit`` (or ``uCode``) column, one column per indicator.

    Returns a float frame of shape (N units × m indicators): index = unit codes (named
    ``unit``, file order), columns = ``structure.indicators`` in tree order, NaN for an empty
    cell (or R's ``NA``). Other columns (COINr's ``uName``, ``Time``, groups, denominators, …) are ignored;
    a ``Time`` column with more than one value (panel data) is an error. Raises InvalidInput
    listing every missing indicator column, missing or repeated unit and non-numeric cell.
    """
    table = read_table(path, sheet)
    problems: list[Problem] = []
    try:
        cols = resolve_columns(table, DATA_COLUMNS, {"unit"})
    except InvalidInput as exc:
        problems.extend(exc.problems)
        cols = {}
    headers = [str(h) for h in table.frame.columns]
    folded: dict[str, list[str]] = {}
    for h in headers:
        folded.setdefault(h.casefold(), []).append(h)
    columns: dict[str, str] = {}
    for code in structure.indicators:
        if code in headers:
            columns[code] = code
        elif len(folded.get(code.casefold(), [])) == 1:
            columns[code] = folded[code.casefold()][0]
        else:
            problems.append(
                table.problem(
                    None,
                    None,
                    f"missing column for indicator {code!r}",
                    f"缺少指标 {code!r} 的数据列",
                )
            )
    frame = table.frame
    if "time" in cols:
        times = sorted({t for t in frame[cols["time"]] if t is not None})
        if len(times) > 1:
            shown = ", ".join(times[:5]) + (", …" if len(times) > 5 else "")
            problems.append(
                table.problem(
                    None,
                    cols["time"],
                    f"column {cols['time']} holds several times ({shown}): panel data is not "
                    "supported, keep the rows of one time",
                    f"{cols['time']} 列有多个时间（{shown}）：不支持面板数据，请只保留一个时间的行",
                )
            )
    if len(frame) == 0:
        problems.append(
            table.problem(None, None, "the data table has no units", "数据表没有任何对象")
        )

    units: list[str] = []
    first_row: dict[str, int] = {}
    values = np.full((len(frame), len(structure.indicators)), np.nan)
    for i in range(len(frame)):
        if "unit" in cols:
            unit = frame.at[i, cols["unit"]]
            if unit is None:
                problems.append(table.problem(i, cols["unit"], "the unit is empty", "对象代码为空"))
            elif unit in first_row:
                a, b = table.row_number(first_row[unit]), table.row_number(i)
                problems.append(
                    table.problem(
                        i,
                        cols["unit"],
                        f"unit {unit!r} is given twice (rows {a} and {b})",
                        f"对象 {unit!r} 重复（第 {a} 行和第 {b} 行）",
                    )
                )
            else:
                first_row[unit] = i
            units.append(unit or "")
        for j, code in enumerate(structure.indicators):
            if code not in columns:
                continue
            text = frame.at[i, columns[code]]
            if text is None or text == R_MISSING:
                continue
            number = parse_number(text)
            if number is None:
                problems.append(
                    table.problem(
                        i,
                        columns[code],
                        f"{text!r} is not a number (indicator {code})",
                        f"{text!r} 不是数字（指标 {code}）",
                    )
                )
            else:
                values[i, j] = number
    if problems:
        raise InvalidInput(problems)
    index = pd.Index(units, name="unit", dtype=object)
    out = pd.DataFrame(values, index=index, columns=list(structure.indicators))
    out.attrs["file"] = table.file  # lets score_composite name the file in its problems
    return out
