"""What is wrong with a register file's shape, and the report that collects its problems:
rows skipped above the header, columns the register does not know, a header row that is not
one, formula cells without a saved value, merged cells; :class:`Report` keeps every problem
(whole ones, and groups of cells sharing a column and a message) and lists them in file
order, capped. :mod:`evaluator.evidence.parse` finds them."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from evaluator.errors import Problem
from evaluator.evidence.schema import Message, Schema
from evaluator.tables.read import Table, column_letter


def skipped_rows(table: Table) -> list[Problem]:
    if not table.skipped:
        return []
    shown = ", ".join(map(str, table.skipped))
    return [
        Problem(
            f"row(s) {shown} above the header row {table.header_row} are ignored (a title?)",
            f"表头行（第 {table.header_row} 行）上方的第 {shown} 行已忽略（标题？）",
            file=table.file,
            sheet=table.sheet,
            row=table.skipped[0],
        )
    ]


def unknown_columns(table: Table, spec: Schema, headers: Mapping[str, str]) -> list[Problem]:
    used = set(headers.values())
    return [
        table.problem(
            None,
            h,
            f"column {h!r} is not a {spec.en.lower()} column: ignored",
            f"列 {h!r} 不属于{spec.zh}：已忽略",
        )
        for h in table.frame.columns
        if h not in used
    ]


def header_hint(table: Table, spec: Schema) -> Problem:
    en = (
        f"none of the headers is a {spec.en.lower()} column: the first non-empty row must be "
        "the header row (see the template)"
    )
    zh = f"没有一个表头属于{spec.zh}：第一个非空行必须是表头行（参见模板）"
    if table.encoding == "gb18030":
        en += "; the file was read as GB18030: if its headers look garbled it is in another encoding, save it as CSV UTF-8"
        zh += "；文件按 GB18030 读取：如果表头显示为乱码，说明文件是其他编码，请另存为“CSV UTF-8”"
    return table.problem(None, None, en, zh)


_REF = re.compile(r"([A-Z]+)(\d+)")


def formula_cells(table: Table, report: Report, used: set[str]) -> dict[str, np.ndarray]:
    """Report formula cells without a saved value; return {column letter: their rows}."""
    data_rows = set(map(int, table.rows)) if table.formulas else set()
    by_letter: dict[str, list[int]] = {}
    for ref in table.formulas:
        m = _REF.fullmatch(ref)
        if m is None:
            continue
        letter, row = m[1], int(m[2])
        if letter not in used and row in data_rows:
            continue  # a column the register ignores
        by_letter.setdefault(letter, []).append(row)
        report.add(
            Problem(
                "formula without a saved value: open and save the file in Excel",
                "公式没有保存的计算结果：请用 Excel 打开并保存文件",
                file=table.file,
                sheet=table.sheet,
                row=row,
                column=letter,
            )
        )
    return {k: np.array(v, dtype=np.int64) for k, v in by_letter.items()}


def merged_cells(table: Table, report: Report, used: set[str]) -> dict[str, np.ndarray]:
    """Report merged ranges over the header or data; return {letter: rows read as empty}."""
    covered: dict[str, list[int]] = {}
    for ref in table.merged:
        first, _, last = ref.partition(":")
        a, b = _REF.fullmatch(first), _REF.fullmatch(last or first)
        if a is None or b is None:
            continue
        letters = _letters_between(a[1], b[1])
        if int(b[2]) < table.header_row:
            continue  # a merged title above the header
        in_header = int(a[2]) <= table.header_row <= int(b[2])
        if used and not in_header and not (letters & used):
            continue
        report.add(
            Problem(
                f"cells {ref} are merged: only {first} keeps its value, the others read as "
                "empty; unmerge them and fill in every cell",
                f"{ref} 为合并单元格：只有 {first} 保留数值，其余单元格读作空白；请取消合并并逐格填写",
                file=table.file,
                sheet=table.sheet,
                row=int(a[2]),
                column=a[1],
            )
        )
        for letter in letters:
            top = int(a[2]) + (letter == a[1])
            covered.setdefault(letter, []).extend(range(top, int(b[2]) + 1))
    return {k: np.array(v, dtype=np.int64) for k, v in covered.items()}


def _letters_between(a: str, b: str) -> set[str]:
    def index(s: str) -> int:
        n = 0
        for ch in s:
            n = n * 26 + ord(ch) - 64
        return n - 1

    return {column_letter(j) for j in range(index(a), index(b) + 1)}


class Report:
    """Problems found so far: whole ones, and groups of cells sharing a column and message.

    A group keeps only row indices and a message (text, or a function of the row called only
    for the problems shown), so a file with a million bad cells costs arrays, not objects.
    """

    def __init__(self, table: Table):
        self.table = table
        self.fixed: list[Problem] = []
        self.groups: list[tuple[np.ndarray, int, str, Message, Message]] = []

    @property
    def total(self) -> int:
        return len(self.fixed) + sum(len(g[0]) for g in self.groups)

    def add(self, problem: Problem) -> None:
        self.fixed.append(problem)

    def rows(self, index: np.ndarray, at: int, column: str, en: Message, zh: Message) -> None:
        if len(index):
            self.groups.append((index, at, column, en, zh))

    def problems(self, cap: int) -> list[Problem]:
        """Every problem in file order (file-level first, then by row and column), capped."""
        table = self.table
        rows = np.asarray(table.rows, dtype=np.int64)
        # (row, column position, sequence, maker); at most ``cap`` candidates per group
        candidates: list[tuple[int, int, int, object]] = []
        for seq, p in enumerate(self.fixed):
            candidates.append((p.row or 0, -1, seq, p))
        for g, (index, at, column, en, zh) in enumerate(self.groups):
            for i in index[:cap]:
                candidates.append((int(rows[i]), at, len(self.fixed) + g, (int(i), column, en, zh)))
        candidates.sort(key=lambda c: c[:3])
        out: list[Problem] = []
        for *_, made in candidates[:cap]:
            if isinstance(made, Problem):
                out.append(made)
            else:
                i, column, en, zh = made
                out.append(
                    table.problem(
                        i, column, en(i) if callable(en) else en, zh(i) if callable(zh) else zh
                    )
                )
        more = self.total - len(out)
        if more > 0:
            out.append(
                Problem(
                    f"… and {more} more problems",
                    f"……另有 {more} 处问题",
                    file=table.file,
                    sheet=table.sheet,
                )
            )
        return out
