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
from evaluator.tables import Table, parse_number, read_table, resolve_columns

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
    problems: list[Problem] = []
    rows, ignored = _read_rows(table, cols, problems)
    structure = _build_tree(table, cols, rows, ignored, problems)
    if problems or structure is None:
        raise SystemInvalid(problems)
    return structure


def _read_rows(
    table: Table, cols: dict[str, str], problems: list[Problem]
) -> tuple[dict[str, _Row], dict[str, str]]:
    def cell(i: int, key: str) -> str | None:
        return table.frame.at[i, cols[key]] if key in cols else None

    def bad(i: int, key: str, en: str, zh: str) -> None:
        problems.append(table.problem(i, cols.get(key), en, zh))

    rows: dict[str, _Row] = {}
    ignored: dict[str, str] = {}
    for i in range(len(table.frame)):
        code = cell(i, "code")
        if code is None:
            bad(i, "code", "the code is empty", "代码为空")
            continue
        kind = cell(i, "type")
        if kind is not None:
            kind = kind.casefold()
            if kind in _IGNORED_TYPES:
                ignored[code] = cell(i, "type") or ""
                continue
            if kind not in _TREE_TYPES:
                bad(i, "type", f"type {cell(i, 'type')!r} is not one of Indicator, Aggregate, Group, "
                    "Denominator, Other", f"类型 {cell(i, 'type')!r} 无效，应为 Indicator、Aggregate、"
                    "Group、Denominator 或 Other")
                continue
        if code in rows:
            first = table.row_number(rows[code].i)
            bad(i, "code", f"code {code!r} is given twice (rows {first} and {table.row_number(i)})",
                f"代码 {code!r} 重复（第 {first} 行和第 {table.row_number(i)} 行）")
            continue
        if code.casefold() in RESERVED_CODES:
            bad(i, "code", f"code {code!r} is reserved for a column of the data or results table",
                f"代码 {code!r} 是数据表或结果表的保留列名，不能用作指标代码")
        weight = 1.0
        text = cell(i, "weight")
        if text is not None:
            number = parse_number(text)
            if number is None:
                bad(i, "weight", f"weight {text!r} is not a number", f"权重 {text!r} 不是数字")
            elif number < 0:
                bad(i, "weight", f"weight {text} is negative", f"权重 {text} 为负数")
            else:
                weight = number
        direction = 1
        text = cell(i, "direction")
        if text is not None:
            number = parse_number(text)
            if number not in (1.0, -1.0):
                bad(i, "direction", f"direction {text!r} must be 1 or -1",
                    f"方向 {text!r} 应为 1 或 -1")
            else:
                direction = int(number)
        level = None
        text = cell(i, "level")
        if text is not None:
            number = parse_number(text)
            if number is None or number < 1 or not number.is_integer():
                bad(i, "level", f"level {text!r} must be a whole number ≥ 1",
                    f"层级 {text!r} 应为不小于 1 的整数")
            else:
                level = int(number)
        rows[code] = _Row(i, code, cell(i, "parent"), weight, direction,
                          cell(i, "name") or code, kind, level)
    return rows, ignored


def _build_tree(
    table: Table,
    cols: dict[str, str],
    rows: dict[str, _Row],
    ignored: dict[str, str],
    problems: list[Problem],
) -> CompositeStructure | None:
    def bad(row: _Row, key: str | None, en: str, zh: str) -> None:
        problems.append(table.problem(row.i, cols.get(key) if key else None, en, zh))

    if not rows:
        if not problems:
            problems.append(table.problem(None, None, "the structure has no nodes", "结构表没有任何节点"))
        return None
    links: dict[str, str | None] = {}
    for row in rows.values():
        p = row.parent
        if p is not None and p not in rows:
            if p in ignored:
                bad(row, "parent", f"parent {p!r} is a {ignored[p]} row, not an aggregate",
                    f"上级 {p!r} 是 {ignored[p]} 行，不是汇总节点")
            else:
                bad(row, "parent", f"parent {p!r} is not a code in this table",
                    f"上级 {p!r} 不是本表中的代码")
            continue
        links[row.code] = p
    children: dict[str, list[str]] = {c: [] for c in rows}
    for code, p in links.items():
        if p is not None:
            children[p].append(code)

    cyclic = _find_cycles(rows, links, lambda r, en, zh: bad(r, "parent", en, zh))
    tops = [c for c, p in links.items() if p is None]
    for row in rows.values():
        if row.type == "indicator" and children[row.code]:
            bad(row, "type", f"{row.code!r} is of type Indicator but has children",
                f"{row.code!r} 类型为 Indicator，却有下级节点")
        if row.type == "aggregate" and not children[row.code]:
            bad(row, "type", f"{row.code!r} is of type Aggregate but has no children",
                f"{row.code!r} 类型为 Aggregate，却没有下级节点")
    root = tops[0] if len(tops) == 1 else IMPLICIT_ROOT
    if len(tops) > 1:
        if IMPLICIT_ROOT in rows or IMPLICIT_ROOT in ignored:
            bad(rows[tops[1]], "parent",
                f"there are {len(tops)} top nodes ({', '.join(tops)}) and the code {IMPLICIT_ROOT!r}, "
                "which would name their common root, is already used",
                f"有 {len(tops)} 个顶层节点（{'、'.join(tops)}），而作为其公共根节点名称的代码 "
                f"{IMPLICIT_ROOT!r} 已被占用")
        children[IMPLICIT_ROOT] = list(tops)
    elif len(tops) == 1 and not children[root]:
        bad(rows[root], "parent", f"the root {root!r} has no children: a structure needs indicators "
            "under a root", f"根节点 {root!r} 没有下级节点：结构表需要根节点之下的指标")
    elif not tops and not cyclic:
        problems.append(table.problem(None, None, "no top node (a row with an empty parent)",
                                      "没有顶层节点（上级为空的行）"))
    for parent, kids in children.items():
        if kids and all(rows[k].weight == 0 for k in kids):
            bad(rows[kids[0]], "weight", f"all weights of the children of {parent!r} are 0",
                f"{parent!r} 的下级节点权重全部为 0")
    if problems or not tops:
        return None

    order = _preorder(root, children)
    level: dict[str, int] = {}
    for code in reversed(order):
        level[code] = 1 + max((level[k] for k in children[code]), default=0)
    for code in order:
        given = rows[code].level if code in rows else None
        if given is not None and given != level[code]:
            bad(rows[code], "level", f"level {given} of {code!r} does not fit the tree: it is at level "
                f"{level[code]} (indicators are level 1, a parent one above its highest child)",
                f"{code!r} 的层级 {given} 与结构不符，应为 {level[code]}（指标为第 1 级，上级比其最高下级高一级）")
    if problems:
        return None

    def get(code: str, attr: str, default: object) -> object:
        return getattr(rows[code], attr) if code in rows else default

    return CompositeStructure(
        codes=tuple(order),
        root=root,
        parent=MappingProxyType({c: (links.get(c) or (root if c != root else None)) for c in order}),
        children=MappingProxyType({c: tuple(children[c]) for c in order}),
        weight=MappingProxyType({c: float(get(c, "weight", 1.0)) for c in order}),
        direction=MappingProxyType({c: int(get(c, "direction", 1)) for c in order}),
        name=MappingProxyType({c: str(get(c, "name", c)) for c in order}),
        level=MappingProxyType(level),
        file=table.file,
    )


def _find_cycles(rows: dict[str, _Row], links: dict[str, str | None], report) -> set[str]:
    """Report every parent cycle once (at the row of its first member); return the cyclic codes."""
    state: dict[str, str] = {}  # "ok" reaches a top node, "bad" is on or leads to a cycle
    cyclic: set[str] = set()
    for start in rows:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in links and node not in state and node not in path:
            path.append(node)
            node = links[node]
        if node is not None and node in path:
            loop = path[path.index(node):]
            cyclic.update(loop)
            first = min(loop, key=lambda c: rows[c].i)
            k = loop.index(first)
            shown = " → ".join([*loop[k:], *loop[:k], first])
            report(rows[first], f"the parents form a cycle: {shown}", f"上级关系形成循环：{shown}")
        verdict = "bad" if (node is not None and (node in path or state.get(node) == "bad")) else "ok"
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
