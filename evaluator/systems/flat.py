"""The flat structure table of a generic composite indicator (``evaluator score-table``).

One row per node: ``code, parent, weight, direction[, name]`` (the root has an empty
parent), or the JRC COINr ``iMeta`` convention ``iCode, Parent, Weight, Direction, Type,
Level[, iName]``. Nodes without children are indicators (columns of the data table);
nodes with children are aggregates. See docs/composite.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from evaluator.errors import Problem, SystemInvalid
from evaluator.tables.cells import parse_number
from evaluator.tables.read import Table, read_table, resolve_columns

IMPLICIT_ROOT = "index"

STRUCTURE_COLUMNS: dict[str, list[str]] = {
    "code": ["iCode", "代码", "编码", "指标代码", "指标编码"],
    "parent": ["Parent", "上级", "父级", "上级代码", "上级指标"],
    "weight": ["Weight", "权重"],
    "direction": ["Direction", "方向"],
    "name": ["iName", "名称", "指标名称"],
    "type": ["Type", "类型"],
    "level": ["Level", "层级"],
}
REQUIRED_COLUMNS = {"code", "parent", "weight", "direction"}

#: Headers naming the unit in a data table; no node code may take one of them (or "rank").
UNIT_ALIASES = ["uCode", "单位", "对象", "单位代码"]
RESERVED_CODES = {c.casefold() for c in ["unit", *UNIT_ALIASES, "uName", "Time", "rank", "排名"]}

#: R (and so COINr) writes a missing value as ``NA``: read as an empty cell except in codes.
R_MISSING = "NA"
_TREE_TYPES = {"indicator", "aggregate"}
_IGNORED_TYPES = {"group", "denominator", "other"}


@dataclass(frozen=True, eq=False)
class CompositeStructure:
    """A validated composite-indicator tree; every mapping is keyed by node code.

    ``codes`` are in tree order (pre-order, children in file order), the root first.
    ``level`` follows COINr: indicators are level 1, a parent is one above its highest child.
    ``direction`` matters for indicators only (+1: higher is better, -1: lower is better).
    """

    codes: tuple[str, ...]
    root: str
    parent: Mapping[str, str | None]
    children: Mapping[str, tuple[str, ...]]
    weight: Mapping[str, float]
    direction: Mapping[str, int]
    name: Mapping[str, str]
    level: Mapping[str, int]
    file: str | None = None

    @property
    def indicators(self) -> tuple[str, ...]:
        """Codes without children, in tree order: the columns of the data table."""
        return tuple(c for c in self.codes if not self.children[c])

    @property
    def aggregates(self) -> tuple[str, ...]:
        """Codes with children, in tree order (the root first)."""
        return tuple(c for c in self.codes if self.children[c])

    def bottom_up(self) -> tuple[str, ...]:
        """Aggregates ordered so that every node comes after all of its descendants."""
        return tuple(sorted(self.aggregates, key=lambda c: self.level[c]))


# message key → (English, Chinese); {fields} are filled by ``_Problems.add``
_TEXTS: dict[str, tuple[str, str]] = {
    "empty_code": ("the code is empty", "代码为空"),
    "bad_type": (
        "type {value!r} is not one of Indicator, Aggregate, Group, Denominator, Other",
        "类型 {value!r} 无效，应为 Indicator、Aggregate、Group、Denominator 或 Other",
    ),
    "repeated": (
        "code {code!r} is given twice (rows {a} and {b})",
        "代码 {code!r} 重复（第 {a} 行和第 {b} 行）",
    ),
    "reserved": (
        "code {code!r} is reserved for a column of the data or results table",
        "代码 {code!r} 是数据表或结果表的保留列名，不能用作指标代码",
    ),
    "weight_nan": ("weight {value!r} is not a number", "权重 {value!r} 不是数字"),
    "weight_neg": ("weight {value} is negative", "权重 {value} 为负数"),
    "direction": ("direction {value!r} must be 1 or -1", "方向 {value!r} 应为 1 或 -1"),
    "level_nan": (
        "level {value!r} must be a whole number ≥ 1",
        "层级 {value!r} 应为不小于 1 的整数",
    ),
    "no_nodes": ("the structure has no nodes", "结构表没有任何节点"),
    "parent_ignored": (
        "parent {code!r} is a {value} row, not an aggregate",
        "上级 {code!r} 是 {value} 行，不是汇总节点",
    ),
    "parent_unknown": (
        "parent {code!r} is not a code in this table",
        "上级 {code!r} 不是本表中的代码",
    ),
    "cycle": ("the parents form a cycle: {value}", "上级关系形成循环：{value}"),
    "indicator_children": (
        "{code!r} is of type Indicator but has children",
        "{code!r} 类型为 Indicator，却有下级节点",
    ),
    "aggregate_childless": (
        "{code!r} is of type Aggregate but has no children",
        "{code!r} 类型为 Aggregate，却没有下级节点",
    ),
    "root_taken": (
        "there are {a} top nodes ({value}) and the code {code!r}, which would name their common "
        "root, is already used",
        "有 {a} 个顶层节点（{value}），而作为其公共根节点名称的代码 {code!r} 已被占用",
    ),
    "childless_root": (
        "the root {code!r} has no children: a structure needs indicators under a root",
        "根节点 {code!r} 没有下级节点：结构表需要根节点之下的指标",
    ),
    "no_top": ("no top node (a row with an empty parent)", "没有顶层节点（上级为空的行）"),
    "zero_weights": (
        "all weights of the children of {code!r} are 0",
        "{code!r} 的下级节点权重全部为 0",
    ),
    "level_misfit": (
        "level {value} of {code!r} does not fit the tree: it is at level {a} (indicators are "
        "level 1, a parent one above its highest child)",
        "{code!r} 的层级 {value} 与结构不符，应为 {a}（指标为第 1 级，上级比其最高下级高一级）",
    ),
}


class _Problems(list[Problem]):
    """Problems of one table, each added by message key at a data row and a column key."""

    def __init__(self, table: Table, cols: dict[str, str]):
        super().__init__()
        self.table, self.cols = table, cols

    def add(self, i: int | None, key: str | None, text: str, **fields: object) -> None:
        en, zh = _TEXTS[text]
        column = self.cols.get(key) if key else None
        self.append(self.table.problem(i, column, en.format(**fields), zh.format(**fields)))


@dataclass
class _Row:
    i: int
    code: str
    parent: str | None
    weight: float
    direction: int
    name: str
    type: str | None
    level: int | None


def load_structure(path: str | Path, sheet: str | None = None) -> CompositeStructure:
    """Read and validate a structure table (.csv or .xlsx); raise SystemInvalid with every problem."""
    table = read_table(path, sheet)
    cols = resolve_columns(table, STRUCTURE_COLUMNS, REQUIRED_COLUMNS)
    problems = _Problems(table, cols)
    rows, ignored = _read_rows(table, cols, problems)
    structure = _build_tree(table, rows, ignored, problems)
    if problems or structure is None:
        raise SystemInvalid(list(problems))
    return structure


def _read_rows(
    table: Table, cols: dict[str, str], problems: _Problems
) -> tuple[dict[str, _Row], dict[str, str]]:
    """Parse every row; return the tree rows by code and the ignored COINr rows (code → Type)."""

    def cell(i: int, key: str) -> str | None:
        value = table.frame.at[i, cols[key]] if key in cols else None
        return None if value == R_MISSING and key != "code" else value  # R's write.csv

    rows: dict[str, _Row] = {}
    ignored: dict[str, str] = {}
    for i in range(len(table.frame)):
        code, kind = cell(i, "code"), cell(i, "type")
        if code is None:
            problems.add(i, "code", "empty_code")
            continue
        if kind is not None and kind.casefold() in _IGNORED_TYPES:
            ignored[code] = kind
            continue
        if kind is not None and kind.casefold() not in _TREE_TYPES:
            problems.add(i, "type", "bad_type", value=kind)
            continue
        repeated = code in rows
        if repeated:
            a, b = table.row_number(rows[code].i), table.row_number(i)
            problems.add(i, "code", "repeated", code=code, a=a, b=b)
        elif code.casefold() in RESERVED_CODES:
            problems.add(i, "code", "reserved", code=code)
        weight, direction, level = 1.0, 1, None
        if (text := cell(i, "weight")) is not None:
            number = parse_number(text)
            if number is None:
                problems.add(i, "weight", "weight_nan", value=text)
            elif number < 0:
                problems.add(i, "weight", "weight_neg", value=text)
            else:
                weight = number
        if (text := cell(i, "direction")) is not None:
            number = parse_number(text)
            if number in (1.0, -1.0):
                direction = int(number)
            else:
                problems.add(i, "direction", "direction", value=text)
        if (text := cell(i, "level")) is not None:
            number = parse_number(text)
            if number is not None and number >= 1 and number.is_integer():
                level = int(number)
            else:
                problems.add(i, "level", "level_nan", value=text)
        if not repeated:
            name = cell(i, "name") or code
            kind = kind.casefold() if kind else None
            rows[code] = _Row(i, code, cell(i, "parent"), weight, direction, name, kind, level)
    return rows, ignored


def _build_tree(
    table: Table, rows: dict[str, _Row], ignored: dict[str, str], problems: _Problems
) -> CompositeStructure | None:
    """Link the rows into one tree; add a problem for every rule broken."""
    if not rows:
        if not problems:
            problems.add(None, None, "no_nodes")
        return None
    links: dict[str, str | None] = {}  # code → parent, for rows whose parent exists (or is empty)
    for row in rows.values():
        p = row.parent
        if p is not None and p not in rows:
            text = "parent_ignored" if p in ignored else "parent_unknown"
            problems.add(row.i, "parent", text, code=p, value=ignored.get(p))
        else:
            links[row.code] = p
    children: dict[str, list[str]] = {c: [] for c in rows}
    for code, p in links.items():
        if p is not None:
            children[p].append(code)
    cyclic = _find_cycles(rows, links, problems)
    tops = [c for c, p in links.items() if p is None]
    for row in rows.values():
        if row.type == "indicator" and children[row.code]:
            problems.add(row.i, "type", "indicator_children", code=row.code)
        if row.type == "aggregate" and not children[row.code]:
            problems.add(row.i, "type", "aggregate_childless", code=row.code)
    root = tops[0] if len(tops) == 1 else IMPLICIT_ROOT
    if len(tops) > 1:
        if IMPLICIT_ROOT in rows or IMPLICIT_ROOT in ignored:
            shown = ", ".join(tops)
            problems.add(
                rows[tops[1]].i, "parent", "root_taken", code=root, a=len(tops), value=shown
            )
        children[IMPLICIT_ROOT] = list(tops)
    elif len(tops) == 1 and not children[root] and not problems:  # else a consequence
        problems.add(rows[root].i, "parent", "childless_root", code=root)
    elif not tops and not cyclic:
        problems.add(None, None, "no_top")
    for parent, kids in children.items():
        if kids and all(rows[k].weight == 0 for k in kids):
            problems.add(rows[kids[0]].i, "weight", "zero_weights", code=parent)
    if problems or not tops:
        return None

    order = _preorder(root, children)
    level: dict[str, int] = {}
    for code in reversed(order):
        level[code] = 1 + max((level[k] for k in children[code]), default=0)
    for code in order:
        given = rows[code].level if code in rows else None
        if given is not None and given != level[code]:
            problems.add(
                rows[code].i, "level", "level_misfit", code=code, value=given, a=level[code]
            )
    if problems:
        return None

    return CompositeStructure(
        codes=tuple(order),
        root=root,
        parent=MappingProxyType({c: links.get(c) or (root if c != root else None) for c in order}),
        children=MappingProxyType({c: tuple(children[c]) for c in order}),
        weight=MappingProxyType({c: float(rows[c].weight) if c in rows else 1.0 for c in order}),
        direction=MappingProxyType({c: int(rows[c].direction) if c in rows else 1 for c in order}),
        name=MappingProxyType({c: str(rows[c].name) if c in rows else c for c in order}),
        level=MappingProxyType(level),
        file=table.file,
    )


def _find_cycles(
    rows: dict[str, _Row], links: dict[str, str | None], problems: _Problems
) -> set[str]:
    """Report every parent cycle once (at the row of its first member); return the cyclic codes."""
    state: dict[str, bool] = {}  # True: on or leading into a cycle
    cyclic: set[str] = set()
    for start in rows:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in links and node not in state and node not in path:
            path.append(node)
            node = links[node]
        looped = node is not None and node in path
        if node is not None and looped:
            loop = path[path.index(node) :]
            cyclic.update(loop)
            k = min(range(len(loop)), key=lambda n: rows[loop[n]].i)
            shown = " → ".join([*loop[k:], *loop[:k], loop[k]])
            problems.add(rows[loop[k]].i, "parent", "cycle", value=shown)
        verdict = looped or (node is not None and state.get(node, False))
        for c in path:
            state[c] = verdict
    return cyclic


def _preorder(root: str, children: Mapping[str, list[str]]) -> list[str]:
    order: list[str] = []
    stack = [root]
    while stack:
        code = stack.pop()
        order.append(code)
        stack.extend(reversed(children[code]))
    return order
