"""Rules that span a whole indicator system: points sums, unique codes, references.

They run on the raw parsed document (not on the pydantic models) so that they can report
their problems even when some other part of the file has a structural error: validation
reports every error at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evaluator.errors import Problem
from evaluator.systems.measures import check_measure
from evaluator.systems.schema import DEFAULT_ROLES
from evaluator.systems.yamlsrc import Located, Path_

# the raw parsed document: dicts and lists of plain values, unchecked (hence Any)
Raw = dict[str, Any]
NodeAt = tuple[Path_, Raw, int]  # (path, node dict, depth)

TOLERANCE = 1e-6


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> Raw:
    return value if isinstance(value, dict) else {}


def _nodes(children: object, path: Path_) -> Iterator[NodeAt]:
    """Every node dict below ``children`` with its path and depth (1 = family)."""
    stack: list[tuple[object, Path_, int]] = [(children, path, 1)]
    while stack:
        kids, base, depth = stack.pop()
        for i, node in enumerate(_list(kids)):
            if isinstance(node, dict):
                here = (*base, i)
                yield here, node, depth
                stack.append((node.get("children"), (*here, "children"), depth + 1))


def check_rules(doc: Located, rubric_ids: set[str]) -> list[Problem]:
    """All cross-tree problems of a parsed system document."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    meta = _dict(data.get("system"))
    total = _num(meta.get("total_points")) if "total_points" in meta else 100.0
    tree = data.get("tree")
    nodes = sorted(_nodes(tree, ("tree",)), key=lambda t: doc.line_of(t[0]) or 0)

    problems += _unique_codes(doc, nodes)
    problems += _sums(doc, tree, ("tree",), total, parent_uses_weight=False, root=True)
    veto_codes = {v.get("code") for v in _list(data.get("vetoes")) if isinstance(v, dict)}
    roles = data.get("roles")
    role_codes = set(roles) if isinstance(roles, dict) else set(DEFAULT_ROLES)
    for path, node, _ in nodes:
        problems += _leaf_refs(doc, path, node, veto_codes, rubric_ids, role_codes)
        problems += check_measure(doc, path, node)
    grades = _list(data.get("grades"))
    problems += _grades(doc, grades)
    depth = max((d for _, _, d in nodes), default=0)
    codes = {n.get("code") for _, n, _ in nodes}
    problems += _floors(doc, _list(data.get("floors")), grades, codes, depth)
    problems += _deviations(doc, _list(data.get("deviations")), codes, veto_codes, depth, nodes)
    problems += _recommendation(doc, data.get("recommendation"), grades)
    return problems


def _unique_codes(doc: Located, nodes: list[NodeAt]) -> list[Problem]:
    problems = []
    seen: dict[str, Path_] = {}
    vetoes = [
        (("vetoes", i), v)
        for i, v in enumerate(_list(_dict(doc.data).get("vetoes")))
        if isinstance(v, dict)
    ]
    everything = [(p, n) for p, n, _ in nodes] + vetoes
    for path, node in sorted(everything, key=lambda pn: doc.line_of(pn[0]) or 0):
        code = node.get("code")
        if not isinstance(code, str):
            continue
        if code in seen:
            first = doc.line_of(seen[code])
            problems.append(
                doc.problem(
                    (*path, "code"),
                    f"code {code} is used twice (first at line {first})",
                    f"编码 {code} 重复（首次出现于第 {first} 行）",
                )
            )
        else:
            seen[code] = path
    return problems


def _sums(
    doc: Located,
    children: object,
    path: Path_,
    parent_points: float | None,
    parent_uses_weight: bool,
    root: bool = False,
) -> list[Problem]:
    """Points/weight consistency of one sibling set, then recursively below it."""
    problems: list[Problem] = []
    kids = [(i, c) for i, c in enumerate(_list(children)) if isinstance(c, dict)]
    based = [(i, c) for i, c in kids if c.get("method") != "bonus"]
    # a node giving both is reported by the schema; here it counts on neither side
    with_points = [(i, c) for i, c in based if "points" in c and "weight" not in c]
    with_weight = [(i, c) for i, c in based if "weight" in c and "points" not in c]
    owner: Path_ = path[:-1] if not root else ()
    if with_points and with_weight:
        problems.append(
            doc.problem(
                owner or path,
                "children mix points and weight; siblings use one or the other",
                "同级指标混用分值与权重；同级须统一使用其一",
            )
        )
    elif with_points and parent_uses_weight:
        problems.append(
            doc.problem(
                owner,
                "children use points but this node's points come from its weight; use weight below a weighted node",
                "本指标按权重折算分值，其下级不能使用绝对分值，请改用权重",
            )
        )
    elif with_points and len(with_points) == len(based) and parent_points is not None:
        values = [_num(c.get("points")) for _, c in with_points]
        if all(v is not None for v in values):
            got = sum(v for v in values if v is not None)
            if abs(got - parent_points) > TOLERANCE:
                if root:
                    en = f"families' points sum to {_fmt(got)} but system.total_points is {_fmt(parent_points)}"
                    zh = f"一级指标分值合计 {_fmt(got)}，与总分 {_fmt(parent_points)} 不符"
                    where: Path_ = ("tree",)
                else:
                    en = f"children's points sum to {_fmt(got)} but the node declares {_fmt(parent_points)}"
                    zh = f"子指标分值合计 {_fmt(got)}，与本指标分值 {_fmt(parent_points)} 不符"
                    where = owner
                problems.append(doc.problem(where, en, zh))
    weights = [_num(c.get("weight")) for _, c in with_weight]
    wsum = sum(w for w in weights if w is not None and w > 0)
    for i, child in kids:
        here = (*path, i)
        if child.get("method") == "checklist":
            problems += _checklist_sum(doc, here, child)
        if "children" not in child:
            continue
        uses_weight = "weight" in child and "points" not in child
        if uses_weight:
            w = _num(child.get("weight"))
            points = (
                parent_points * w / wsum if (parent_points is not None and w and wsum) else None
            )
        else:
            points = _num(child.get("points"))
        problems += _sums(doc, child.get("children"), (*here, "children"), points, uses_weight)
    return problems


def _checklist_sum(doc: Located, path: Path_, leaf: Raw) -> list[Problem]:
    points = _num(leaf.get("points"))
    values = [_num(it.get("points")) for it in _list(leaf.get("items")) if isinstance(it, dict)]
    if points is None or not values or any(v is None for v in values):
        return []
    got = sum(v for v in values if v is not None)
    if abs(got - points) <= TOLERANCE:
        return []
    return [
        doc.problem(
            (*path, "items"),
            f"items' points sum to {_fmt(got)} but the leaf declares {_fmt(points)}",
            f"子项分值合计 {_fmt(got)}，与本指标分值 {_fmt(points)} 不符",
        )
    ]


def _leaf_refs(
    doc: Located, path: Path_, node: Raw, vetoes: set[Any], rubrics: set[str], roles: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    veto = node.get("veto")
    if isinstance(veto, str) and veto not in vetoes:
        problems.append(
            doc.problem(
                (*path, "veto"),
                f"unknown veto {veto}; declare it under vetoes",
                f"未定义的否决项 {veto}，请在 vetoes 中声明",
            )
        )
    rubric = node.get("rubric")
    if node.get("method") == "rubric" and isinstance(rubric, str) and rubric not in rubrics:
        known = ", ".join(sorted(rubrics)) or "none"
        problems.append(
            doc.problem(
                (*path, "rubric"),
                f"unknown rubric level set {rubric} (known: {known})",
                f"未知的等级集 {rubric}（可用：{known}）",
            )
        )
    role = node.get("role")
    if isinstance(role, str) and role not in roles:
        problems.append(
            doc.problem(
                (*path, "role"),
                f"unknown role {role} (known: {', '.join(sorted(roles))})",
                f"未知的评分角色 {role}（可用：{'、'.join(sorted(roles))}）",
            )
        )
    return problems


def _grades(doc: Located, grades: list[Any]) -> list[Problem]:
    rows = [(i, g) for i, g in enumerate(grades) if isinstance(g, dict)]
    mins = [(i, _num(g.get("min"))) for i, g in rows]
    problems = []
    for (_, a), (j, b) in zip(mins, mins[1:], strict=False):
        if a is not None and b is not None and b >= a:
            problems.append(
                doc.problem(
                    ("grades", j, "min"),
                    f"grade bands must have strictly decreasing min ({_fmt(b)} after {_fmt(a)})",
                    f"等级分数线须严格递减（{_fmt(a)} 之后为 {_fmt(b)}）",
                )
            )
    if mins and mins[-1][1] is not None and mins[-1][1] != 0:
        problems.append(
            doc.problem(
                ("grades", mins[-1][0], "min"),
                "the lowest grade band must start at 0",
                "最低等级的分数线须为 0",
            )
        )
    codes = [g.get("code") for _, g in rows]
    for j, (_, g) in enumerate(rows):
        if g.get("code") in codes[:j]:
            problems.append(
                doc.problem(
                    ("grades", j, "code"),
                    f"grade code {g.get('code')} is used twice",
                    f"等级编码 {g.get('code')} 重复",
                )
            )
    return problems


def _floors(
    doc: Located, floors: list[Any], grades: list[Any], codes: set[Any], depth: int
) -> list[Problem]:
    grade_codes = {g.get("code") for g in grades if isinstance(g, dict)}
    problems = []
    for i, floor in enumerate(floors):
        if not isinstance(floor, dict):
            continue
        cap = floor.get("cap")
        if isinstance(cap, str) and cap not in grade_codes:
            problems.append(
                doc.problem(
                    ("floors", i, "cap"),
                    f"unknown grade {cap} (known: {', '.join(sorted(map(str, grade_codes)))})",
                    f"未知的等级 {cap}",
                )
            )
        for j, code in enumerate(_list(floor.get("nodes"))):
            if isinstance(code, str) and code not in codes:
                problems.append(
                    doc.problem(
                        ("floors", i, "nodes", j), f"unknown node {code}", f"未知的指标 {code}"
                    )
                )
        level = _num(floor.get("level"))
        if level is not None and depth and level > depth:
            problems.append(
                doc.problem(
                    ("floors", i, "level"),
                    f"level {int(level)} is deeper than the tree ({depth} levels)",
                    f"层级 {int(level)} 超出指标树深度（{depth} 级）",
                )
            )
    return problems


def _deviations(
    doc: Located,
    rules: list[Any],
    codes: set[Any],
    vetoes: set[Any],
    depth: int,
    nodes: list[NodeAt],
) -> list[Problem]:
    methods = {n.get("code"): n.get("method") for _, n, _ in nodes}
    problems = []
    seen: set[Any] = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        code = rule.get("code")
        if isinstance(code, str) and code in seen:
            problems.append(
                doc.problem(
                    ("deviations", i, "code"),
                    f"deviation code {code} is used twice",
                    f"偏差规则编码 {code} 重复",
                )
            )
        seen.add(code)
        when = _dict(rule.get("when"))
        for j, node in enumerate(_list(when.get("nodes"))):
            if not isinstance(node, str):
                continue
            if node not in codes:
                problems.append(
                    doc.problem(
                        ("deviations", i, "when", "nodes", j),
                        f"unknown node {node}",
                        f"未知的指标 {node}",
                    )
                )
            elif "attainment_below" in when and methods.get(node) != "ratio":
                problems.append(
                    doc.problem(
                        ("deviations", i, "when", "nodes", j),
                        f"attainment applies to ratio leaves; {node} is not one",
                        f"达成率仅适用于达成率指标，{node} 不是",
                    )
                )
            elif "flag" in when and methods.get(node) is None:
                problems.append(
                    doc.problem(
                        ("deviations", i, "when", "nodes", j),
                        f"a flag is raised on leaves; {node} is a group",
                        f"标记针对末级指标，{node} 是分组",
                    )
                )
        veto = when.get("veto")
        for j, v in enumerate(veto if isinstance(veto, list) else []):
            if isinstance(v, str) and v not in vetoes:
                problems.append(
                    doc.problem(
                        ("deviations", i, "when", "veto", j),
                        f"unknown veto {v}; declare it under vetoes",
                        f"未定义的否决项 {v}",
                    )
                )
        level = _num(when.get("level"))
        if level is not None and depth and level > depth:
            problems.append(
                doc.problem(
                    ("deviations", i, "when", "level"),
                    f"level {int(level)} is deeper than the tree ({depth} levels)",
                    f"层级 {int(level)} 超出指标树深度（{depth} 级）",
                )
            )
    return problems


def _recommendation(doc: Located, rec: object, grades: list[Any]) -> list[Problem]:
    if not isinstance(rec, dict):
        return []
    known = {g.get("code") for g in grades if isinstance(g, dict)}
    problems = []
    for key in ("rebid_grades", "conditional_grades"):
        for j, g in enumerate(_list(rec.get(key))):
            if isinstance(g, str) and g not in known:
                problems.append(
                    doc.problem(("recommendation", key, j), f"unknown grade {g}", f"未知的等级 {g}")
                )
    return problems


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")
