"""YAML documents with a line number for every value, so that errors can say where.

``parse_yaml(text, file)`` returns ``(data, lines)`` where ``data`` is plain Python
(dicts, lists, scalars) and ``lines`` maps a path tuple such as ``("tree", 2, "children", 0)``
to the 1-based line where that value (or key) starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import yaml

from evaluator.errors import Problem, SystemInvalid

Path_ = tuple[str | int, ...]

# Bounds on what one document may expand to (an alias repeated inside aliases — a "billion
# laughs" — would otherwise grow without end while the document is built)
MAX_VALUES = 200_000  # values after aliases are expanded (a 1,000-leaf system uses ~30,000)
MAX_DEPTH = 64  # nesting of mappings and lists
INT64 = (-(2**63), 2**63 - 1)


class _TooLarge(Exception):
    """The document expands beyond ``MAX_VALUES`` or nests beyond ``MAX_DEPTH``."""

    def __init__(self, problem: Problem):
        self.problem = problem


class Located:
    """A parsed YAML document and the line of each of its values."""

    def __init__(
        self,
        data: object,
        lines: dict[Path_, int],
        file: str,
        problems: list[Problem] | None = None,
    ):
        self.data = data
        self.lines = lines
        self.file = file
        self.problems = (
            problems or []
        )  # found while parsing (duplicate keys); the first value is kept

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor present in the document."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def problem(self, path: Sequence[str | int], en: str, zh: str) -> Problem:
        return Problem(en, zh, file=self.file, line=self.line_of(path), path=format_path(path))


def format_path(path: Sequence[str | int]) -> str:
    """``("tree", 2, "children", 0)`` → ``tree[2].children[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; syntax errors and duplicate keys raise SystemInvalid."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # a control character fails here already (ReaderError)
        node = loader.get_single_node()
    except RecursionError:
        raise SystemInvalid(
            [
                Problem(
                    f"the YAML is nested too deeply (at most {MAX_DEPTH} levels)",
                    f"YAML 嵌套过深（最多 {MAX_DEPTH} 层）",
                    file=file,
                    line=loader.line + 1 if loader is not None else 1,  # where reading stopped
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a refused character (ReaderError)
        line = (
            mark.line + 1
            if mark is not None
            else text.count("\n", 0, position) + 1
            if isinstance(position, int)
            else None
        )
        if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
            code = f"U+{exc.character:04X}"
            raise SystemInvalid(
                [
                    Problem(
                        f"the text contains the control character {code}, which YAML does "
                        "not allow (delete it)",
                        f"文本含有 YAML 不允许的控制字符 {code}（请删除）",
                        file=file,
                        line=line,
                    )
                ]
            ) from None
        what = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context:
            what += f" ({context}" + (f", line {context_mark.line + 1})" if context_mark else ")")
        raise SystemInvalid(
            [Problem(f"YAML syntax error: {what}", f"YAML 语法错误：{what}", file=file, line=line)]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise SystemInvalid([Problem("the file is empty", "文件为空", file=file, line=1)])
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    budget = _Budget(file)
    try:
        data = _build(node, (), lines, problems, loader, budget)
    except _TooLarge as exc:
        raise SystemInvalid([exc.problem]) from None
    return Located(data, lines, file, problems)


class _Budget:
    """Counts the values built and remembers the nodes being built (an alias that refers to
    a node that contains it never ends)."""

    def __init__(self, file: str):
        self.file, self.values = file, 0
        self.open: set[int] = set()

    def spend(self, node: yaml.Node, path: Path_) -> None:
        self.values += 1
        where = {"file": self.file, "line": node.start_mark.line + 1, "path": format_path(path)}
        if self.values > MAX_VALUES:
            raise _TooLarge(
                Problem(
                    f"the YAML expands to more than {MAX_VALUES:,} values (aliases repeating "
                    "aliases?)",
                    f"YAML 展开后超过 {MAX_VALUES:,} 个值（别名层层引用？）",
                    **where,
                )
            )
        if len(path) > MAX_DEPTH:
            raise _TooLarge(
                Problem(
                    f"the YAML is nested more than {MAX_DEPTH} levels deep",
                    f"YAML 嵌套超过 {MAX_DEPTH} 层",
                    **where,
                )
            )
        if id(node) in self.open:
            raise _TooLarge(
                Problem(
                    "an alias refers to a value that contains it (it would never end)",
                    "别名引用了包含它自身的值（无限展开）",
                    **where,
                )
            )


def _build(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    problems: list[Problem],
    loader: yaml.SafeLoader,
    budget: _Budget,
) -> Any:
    budget.spend(node, path)
    lines[path] = node.start_mark.line + 1
    file = budget.file
    if isinstance(node, yaml.MappingNode):
        budget.open.add(id(node))
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, loader, path, file)
            if key in out:
                problems.append(
                    Problem(
                        f"key {key!r} appears twice in one mapping",
                        f"同一映射中键 {key!r} 重复出现",
                        file=file,
                        line=key_node.start_mark.line + 1,
                        path=format_path((*path, key)),
                    )
                )
                continue
            out[key] = _build(value_node, (*path, key), lines, problems, loader, budget)
            lines[(*path, key)] = key_node.start_mark.line + 1
        budget.open.discard(id(node))
        return out
    if isinstance(node, yaml.SequenceNode):
        budget.open.add(id(node))
        items = [
            _build(item, (*path, i), lines, problems, loader, budget)
            for i, item in enumerate(node.value)
        ]
        budget.open.discard(id(node))
        return items
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:  # a date-like scalar that is no date (2027-02-31): keep the text
        return node.value
    where = {"file": file, "line": node.start_mark.line + 1, "path": format_path(path)}
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(
            Problem(
                f"{node.value} is not a finite number",
                f"{node.value} 不是有限数值",
                **where,
            )
        )
        return node.value  # kept as written: no later check reads it as a number
    elif (
        isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]
    ):
        problems.append(
            Problem(
                f"{node.value[:20]}… is too large a whole number (beyond 64 bits)",
                f"{node.value[:20]}… 整数过大（超出 64 位整数范围）",
                **where,
            )
        )
        return node.value
    return value


def _key(key_node: yaml.Node, loader: yaml.SafeLoader, path: Path_, file: str) -> str:
    """A mapping key as written: ``on``, ``yes`` and ``1`` stay text (YAML 1.1 would make
    them True and 1); a mapping or a list as a key is named as a problem's key text."""
    if isinstance(key_node, yaml.ScalarNode):
        return key_node.value if key_node.value != "" or key_node.style else "null"
    key = loader.construct_object(key_node, deep=True)
    return str(key)
