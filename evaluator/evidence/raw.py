"""The raw-input table of ``evaluator score``: one row per unit and leaf (and item).

Headers in English or Chinese are mapped to the engine's canonical columns; the returned
``locate`` turns an engine problem about data row i / canonical column into one that
names the file, sheet, row and the header as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evaluator.errors import InvalidInput, Problem
from evaluator.tables.read import read_table, resolve_columns

RAW_COLUMNS: dict[str, list[str]] = {
    "unit": ["uCode", "单位", "对象", "评估对象", "站点", "站点编码"],
    "leaf": ["code", "指标", "指标编码", "三级指标"],
    "item": ["子项", "子项编码"],
    "value": ["值", "得分", "数值", "原始值"],
    "target": ["目标", "目标值"],
    "n": ["样本量", "有效样本", "有效样本量"],
    "elapsed": ["进度", "时间进度"],
}
REQUIRED = ("unit", "leaf", "value")


def read_raw_inputs(
    path: str | Path, sheet: str | None = None
) -> tuple[pd.DataFrame, Callable[[int, str, str, str], Problem]]:
    """Read a raw-input CSV/XLSX; return the frame with canonical column names and a
    locator for the engine's input problems."""
    table = read_table(path, sheet)
    columns = resolve_columns(table, RAW_COLUMNS, REQUIRED)
    if (empty := table.no_rows_problem()) is not None:
        raise InvalidInput(empty)
    frame = pd.DataFrame({canonical: table.frame[header] for canonical, header in columns.items()})

    def locate(i: int, column: str, en: str, zh: str) -> Problem:
        return table.problem(i, columns.get(column, column), en, zh)

    return frame, locate
