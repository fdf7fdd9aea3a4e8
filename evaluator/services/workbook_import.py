"""The offline scoring workbook brought back (docs/raters.md, "Offline") — all or nothing.

The rater imports it: the stamp must be the one issued (else "changed by hand"), for this
round and this rater; every cell is checked like a raw-input table (levels, items, ranges,
numbers), each problem located by sheet, row and column; a value changed on the server
since the export is a conflict and is not overwritten. Any problem: nothing is written.
Otherwise every changed value is written in one transaction, versioned and audited. An
empty cell leaves the value as it is. (The export: ``services.offline``.)"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from typing import Any

import pandas as pd
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.engine.inputs import prepare_inputs
from evaluator.errors import ConflictError, InvalidInput, Problem, TooLarge
from evaluator.faults import crash_point
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_round,
    require,
)
from evaluator.services.offline import FIELDS, MAX_BYTES, slot_key
from evaluator.services.round_inputs import system_of_round
from evaluator.services.scoring import key_text, require_scorer
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round, Score, SystemVersion, WorkbookExport
from evaluator.tables.cells import finite_number
from evaluator.tables.scoring_workbook import LETTERS, TARGET, VALUE, N, read_scoring_workbook


def _where(name: str, sheet: str, row: int, column: int) -> dict:
    return {"file": name, "sheet": sheet, "row": row, "column": LETTERS[column]}


async def import_workbook(
    actor: Actor, data: bytes, name: str = "workbook.xlsx", round_id=None
) -> dict[str, Any]:
    """Apply a filled workbook (module docstring). Returns the counts written and unchanged."""
    if round_id is not None:  # who may, before what the file holds
        asked = await get_round(actor, round_id)
        require(
            await assignment_role(actor, asked) is not None,
            "only evaluators assigned to this round may score it",
            "仅本轮次分派的评估员可评分",
        )
    if len(data) > MAX_BYTES:
        raise TooLarge(Problem("the workbook is larger than 20 MB", "评分表超过 20 MB", file=name))
    try:
        stamp_text, cells, sheets = read_scoring_workbook(data)
    except Exception:  # not an xlsx at all: say so, located at the file
        raise InvalidInput(
            Problem("the file is not an .xlsx workbook", "文件不是 .xlsx 工作簿", file=name)
        ) from None
    stamp = _check_stamp(stamp_text, name)
    export = await WorkbookExport.get_or_none(id=stamp["export"])
    if export is None or export.stamp_sha256 != hashlib.sha256(stamp_text.encode()).hexdigest():
        raise InvalidInput(
            Problem(
                "the workbook's stamp was changed by hand: export a new workbook",
                "评分表的校验信息被改动：请重新导出评分表",
                file=name,
                sheet="_stamp",
            )
        )
    if round_id is not None and str(round_id) != stamp["round"]:
        raise InvalidInput(
            Problem(
                f"this workbook is for round {stamp['round']}, not {round_id}",
                f"该评分表属于评估轮次 {stamp['round']}，不是 {round_id}",
                file=name,
            )
        )
    if stamp["rater"] != actor.username:
        raise InvalidInput(
            Problem(
                f"this workbook was exported for {stamp['rater']}; they import it",
                f"该评分表为 {stamp['rater']} 导出，须由其本人导入",
                file=name,
            )
        )
    round_ = await get_round(actor, stamp["round"])
    require(
        await assignment_role(actor, round_) is not None,
        "only evaluators assigned to this round may score it",
        "仅本轮次分派的评估员可评分",
    )
    check_writable(round_)
    version = await SystemVersion.get(id=round_.system_id)
    if version.content_hash != stamp["system"]:
        raise InvalidInput(
            Problem(
                "the round's indicator system is not the workbook's",
                "评分表的指标体系与本轮不一致",
                file=name,
            )
        )
    system = await system_of_round(round_)
    rows, where, problems = _rows(cells, stamp, name)
    await require_scorer(actor, round_, system, [r["leaf"] for r in rows])  # part, role
    if rows:
        frame = pd.DataFrame(rows)
        frame["item"] = frame["item"].replace("", None)

        def locate(i: int, column: str, en: str, zh: str) -> Problem:
            col = {"value": VALUE, "target": TARGET, "n": N}.get(column, 0)
            return Problem(en, zh, **_where(name, where[i][0], where[i][1], col))

        try:
            prepare_inputs(
                system, frame[["unit", "leaf", "item", "value", "target", "n"]], locate=locate
            )
        except InvalidInput as exc:
            problems += exc.problems
    if problems:
        raise InvalidInput(problems)
    return await _apply(actor, round_, rows, where, stamp, name)


def _check_stamp(text: str | None, name: str) -> dict:
    try:
        stamp = json.loads(text) if text else None
    except ValueError:
        stamp = None
    keys = {"export", "round", "system", "rater", "versions"}
    if not isinstance(stamp, dict) or not keys <= set(stamp):
        raise InvalidInput(
            Problem(
                "this is not a scoring workbook exported by evaluator (no stamp)",
                "这不是本系统导出的评分表（缺少校验信息）",
                file=name,
            )
        )
    try:
        uuid.UUID(str(stamp["export"]))
        uuid.UUID(str(stamp["round"]))
    except ValueError:
        raise InvalidInput(
            Problem(
                "the workbook's stamp was changed by hand",
                "评分表的校验信息被改动",
                file=name,
                sheet="_stamp",
            )
        ) from None
    return stamp


def _number(value: Any) -> float | None | str:
    """A cell as a number, None when empty, or the text that is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(float(value)) else str(value)
    parsed = finite_number(str(value))
    return parsed if parsed is not None else str(value)


def _rows(cells, stamp: dict, name: str) -> tuple[list[dict], list[tuple[str, int]], list[Problem]]:
    """The filled rows (a value, target, n or comment given) with where each is."""
    rows, where, problems = [], [], []
    versions = stamp["versions"]
    for c in cells:
        unit = c.sheet
        if slot_key(unit, c.leaf, c.item) not in versions:
            problems.append(
                Problem(
                    f"{c.leaf}{'.' + c.item if c.item else ''} is not a row of the exported workbook",
                    f"{c.leaf}{'.' + c.item if c.item else ''} 不是导出评分表中的行",
                    **_where(name, c.sheet, c.row, 0),
                )
            )
            continue
        numbers = {}
        for field, col, raw in (
            ("value", VALUE, c.value),
            ("target", TARGET, c.target),
            ("n", N, c.n),
        ):
            got = _number(raw)
            if isinstance(got, str):
                problems.append(
                    Problem(
                        f"{got!r} is not a number",
                        f"{got!r} 不是数字",
                        **_where(name, c.sheet, c.row, col),
                    )
                )
                got = None
            numbers[field] = got
        if (
            numbers["value"] is None
            and numbers["target"] is None
            and numbers["n"] is None
            and not c.comment
        ):
            continue  # left empty: the value stays as it is
        if numbers["value"] is None and versions[slot_key(unit, c.leaf, c.item)] is not None:
            numbers["value"] = math.nan  # a comment or target only: keep the value (below)
        rows.append({"unit": unit, "leaf": c.leaf, "item": c.item, **numbers, "comment": c.comment})
        where.append((c.sheet, c.row))
    return rows, where, problems


async def _apply(
    actor: Actor, round_: Round, rows: list[dict], where, stamp: dict, name: str
) -> dict:
    versions = stamp["versions"]
    stations = {s.code: s for s in await Station.filter(code__in=list({r["unit"] for r in rows}))}
    try:
        return await _write(actor, round_, rows, where, versions, stations, name, stamp)
    except IntegrityError:  # a value created meanwhile for a slot that had none
        raise ConflictError(
            Problem(
                "a value was written meanwhile: export a new workbook",
                "评分在此期间已被写入：请重新导出评分表",
                file=name,
            )
        ) from None


async def _write(actor, round_, rows, where, versions, stations, name, stamp) -> dict:
    written = unchanged = 0
    async with in_transaction() as conn:
        check_writable(await Round.get(id=round_.id).using_db(conn))
        conflicts, changes = [], []
        for row, (sheet, number) in zip(rows, where, strict=True):
            key = {
                "round_id": round_.id,
                "unit": row["unit"],
                "leaf": row["leaf"],
                "item": row["item"] or "",
                "rater_id": actor.user_id,
            }
            current = await Score.filter(**key).using_db(conn).select_for_update().first()
            expected = versions[slot_key(row["unit"], row["leaf"], row["item"] or "")]
            if (current.version if current else None) != expected:
                conflicts.append(
                    Problem(
                        f"{row['leaf']}{'.' + row['item'] if row['item'] else ''} of {row['unit']} changed "
                        f"on the server since the export (version {expected} → "
                        f"{current.version if current else 'none'}): not overwritten",
                        f"{row['unit']} 的 {row['leaf']} 在导出后已在服务器上修改，未覆盖",
                        **_where(name, sheet, number, VALUE),
                    )
                )
                continue
            value = row["value"]
            if isinstance(value, float) and math.isnan(value):
                value = current.value if current else None
            fields = {
                "value": value,
                "target": row["target"]
                if row["target"] is not None
                else (current.target if current else None),
                "n": int(row["n"]) if row["n"] is not None else (current.n if current else None),
                "comment": row["comment"] or (current.comment if current else ""),
            }
            if current is not None and all(getattr(current, f) == fields[f] for f in FIELDS):
                unchanged += 1
                continue
            changes.append((key, current, fields, row["unit"]))
        if conflicts:
            raise ConflictError(conflicts)  # the transaction rolls back: nothing written
        events = []
        for key, current, fields, unit in changes:  # every row lock is held: now write
            if current is None:
                score = await Score.create(
                    **key, station=stations.get(unit), using_db=conn, **fields
                )
                before = None
            else:
                before = {f: getattr(current, f) for f in FIELDS} | {"version": current.version}
                await (
                    Score.filter(id=current.id)
                    .using_db(conn)
                    .update(version=current.version + 1, updated_at=clock.now(), **fields)
                )
                score = await Score.get(id=current.id).using_db(conn)
            events.append((score, before, key, fields))
        await crash_point("scores.bulk")  # every score written, none of their audit events
        for score, before, key, fields in events:  # the audit chain's lock last
            await audit.record(
                actor.username,
                "score.write",
                "score",
                score.id,
                before,
                key_text(key) | fields | {"version": score.version, "source": "workbook"},
                connection=conn,
            )
            written += 1
    return {
        "round": str(round_.id),
        "written": written,
        "unchanged": unchanged,
        "export": stamp["export"],
    }
