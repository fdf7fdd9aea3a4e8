"""A scored cohort laid out for people and spreadsheets: one row per unit with every node,
and one unit's whole tree explained (groups and leaves). Pure functions of the engine's
:class:`~evaluator.engine.Result`; figures are rounded to the system's ``decimals``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluator.engine.grading import round_half_up
from evaluator.engine.result import Result
from evaluator.systems.schema import BonusLeaf

# the flag kinds of :meth:`Result.flags`, one column each in the unit table (codes listed)
FLAG_KINDS = ("veto", "floor", "missing", "skipped", "insufficient_sample", "zero_target")


def unit_table(result: Result) -> pd.DataFrame:
    """One row per unit: the points of every node in tree order (groups, leaves and bonus
    leaves; empty where a node was skipped), base, bonus, total, the score graded (``graded``,
    the base under ``grade_on: base``), the grade before caps, the final grade (code, zh, en),
    rank, and one column per flag kind listing the codes it names (``floor``: the nodes
    that tripped a floor rule; ``veto``: the confirmed vetoes)."""
    system = result.system
    decimals = system.spec.decimals
    columns: dict[str, object] = {"unit": list(result.units)}
    for code, node in system.nodes.items():
        if node.is_bonus:
            points = result.bonus[code].to_numpy(dtype=float)
        else:
            points = result.node_points[code].to_numpy(dtype=float)
        columns[code] = _rounded(points, decimals)
    columns |= {
        "base": result.base.to_numpy(),
        "bonus": result.bonus_total.to_numpy(),
        "total": result.total.to_numpy(),
        "grade_on": system.spec.grade_on,
        "graded": result.graded.to_numpy(),
        "grade_uncapped": result.grade_uncapped.to_numpy(),
        "grade": result.grade.to_numpy(),
        "grade_zh": result.grade_label("zh").to_numpy(),
        "grade_en": result.grade_label("en").to_numpy(),
        "rank": result.rank.to_numpy(),
    }
    flags = result.flags()
    for kind in FLAG_KINDS:
        listed = flags[flags["flag"] == kind].groupby("unit", sort=False)["code"].agg(",".join)
        columns[kind] = [listed.get(unit, "") for unit in result.units]
    return pd.DataFrame(columns)


def node_sheet(result: Result) -> pd.DataFrame:
    """The tree itself, one row per node: code, parent, depth, names, method, points."""
    rows = []
    for code, node in result.system.nodes.items():
        rows.append(
            {
                "code": code,
                "parent": node.parent or "",
                "depth": node.depth,
                "name_zh": node.name.zh,
                "name_en": node.name.en,
                "method": node.method or "group",
                "max_points": node.spec_as(BonusLeaf).cap if node.is_bonus else node.points,
            }
        )
    return pd.DataFrame(rows)


def unit_tree(result: Result, unit: str) -> pd.DataFrame:
    """Every node of one unit in tree order, indented by depth: method (``group`` for a
    group), the leaf's raw input, basis and measure, share, points and maximum (rounded to
    the system's decimals), and the node's flags (missing, skipped, floor, …)."""
    system = result.system
    decimals = system.spec.decimals
    leaves = result.explanation([unit]).set_index("leaf")
    flags = result.flags()
    mine = flags[flags["unit"] == unit].groupby("code", sort=False)["flag"].agg(";".join)
    rows = []
    for code, node in system.nodes.items():
        row: dict[str, object] = {
            "node": "  " * (node.depth - 1) + code,
            "name_zh": node.name.zh,
            "method": node.method or "group",
        }
        if code in leaves.index:
            leaf = leaves.loc[code]
            row |= {
                "raw": leaf["raw"],
                "basis": leaf["basis"],
                "measure": leaf["measure"],
                "share": leaf["share"],
                "points": leaf["points"],
                "max_points": leaf["max_points"],
            }
        else:
            row |= {
                "raw": np.nan,
                "basis": np.nan,
                "measure": np.nan,
                "share": result.node_shares.loc[unit, code],
                "points": result.node_points.loc[unit, code],
                "max_points": node.points,
            }
        row["points"] = _rounded(np.array([row["points"]], dtype=float), decimals)[0]
        row["flag"] = mine.get(code, "")
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(result: Result) -> pd.DataFrame:
    """The screen's summary: the unit table with the families instead of every node."""
    table = unit_table(result)
    families = [f.code for f in result.system.families]
    kept = ["base", "bonus", "total", "graded", "grade_uncapped", "grade", "grade_zh", "rank"]
    if result.system.spec.grade_on == "total":
        kept.remove("graded")  # the total itself
    return table[["unit", *families, *kept, "veto", "floor"]]


SCORES = ("points", "max_points", "base", "bonus", "total", "graded")


def printed(frame: pd.DataFrame, decimals: int, scores: tuple[str, ...] = ()) -> str:
    """A table as text, figures at the system's ``decimals``: points and scores (and the
    columns named in ``scores``) with that many decimals, shares as percentages with as
    many, other numbers as given (up to 6 significant digits), empty cells as ``—``."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if column == "share":
            shown[column] = [_fmt(v, lambda x: f"{100 * x:.{decimals}f}%") for v in values]
        elif column in SCORES or column in scores:
            shown[column] = [_fmt(v, lambda x: f"{x:.{decimals}f}") for v in values]
        elif pd.api.types.is_float_dtype(values) or values.dtype == object:
            shown[column] = [_fmt(v, lambda x: f"{x:.6g}") for v in values]
    left = {}
    if "node" in shown.columns:  # the tree's codes read left-aligned, indented by depth
        width = int(shown["node"].str.len().max())
        left["node"] = lambda code: f"{code:<{width}}"
    return shown.to_string(index=False, formatters=left, justify="left")


def _fmt(value: object, how) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, float | np.floating):
        return how(float(value))
    return str(value)


def _rounded(values: np.ndarray, decimals: int) -> np.ndarray:
    """Half-up to ``decimals`` (as the engine rounds totals), NaN kept."""
    return np.where(np.isnan(values), np.nan, round_half_up(np.nan_to_num(values), decimals))
