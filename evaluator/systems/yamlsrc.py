"""YAML documents with a line number for every value, so that errors can say where.

``parse_yaml(text, file)`` returns ``(data, lines)`` where ``data`` is plain Python
(dicts, lists, scalars) and ``lines`` maps a path tuple such as ``("tree", 2, "children", 0)``
to the 1-based line where that value (or key) starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from evaluator.errors import Problem, SystemInvalid

Path_ = tuple[str | int, ...]


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
    data = _build(node, (), lines, problems, loader, file)
    return Located(data, lines, file, problems)


def _build(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    problems: list[Problem],
    loader: yaml.SafeLoader,
    file: str,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key) if key is not None else "null"
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
            out[key] = _build(value_node, (*path, key), lines, problems, loader, file)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, i), lines, problems, loader, file)
            for i, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # a date-like scalar that is no date (2027-02-31): keep the text
        return node.value
