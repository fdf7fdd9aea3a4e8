"""Register imports: validate a whole file, check its stations against the round, compute
its metrics, keep the file by content hash and record the version.

Nothing is written unless the file is valid: parsing, the station check and the metrics all
run before the single transaction that retires the previous version, creates the new one
and appends to the audit trail. Importing the file in force again changes nothing.

**One version in force per (round, kind), kept by the database.** The version in force
carries ``in_force_key = "<round>:<kind>"`` (unique); every other version has NULL. A
replacement retires the version it read with a conditional update (``WHERE id = … AND
in_force_key IS NOT NULL``) and inserts itself with the key, in one transaction: when two
imports race, the database lets one through and the other finds no row to retire, or hits
the unique key, and gets ConflictError (409) with nothing of it stored (its file stays in
the content-addressed store, where it is harmless).

**Whose evidence** (``SUPPLIERS`` in :mod:`evaluator.evidence.registers`): the agency
imports its operational registers, the evaluation side may import them too; the
satisfaction survey is the evaluator's instrument, which the agency never imports.

**Replacements after scoring wait for the lead.** Once an evaluator has scored a leaf the
register fills (a ``measure`` over its kind), a new version is stored ``pending``: the old
one stays in force until the round's lead evaluator accepts the new one or rejects it with
a reason (:mod:`evaluator.services.register_versions`, which also keeps corrected registers
with findings). An import by the lead or an administrator is its own acceptance.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
)
from evaluator.evidence.measure import compute_metrics, measured_leaves
from evaluator.evidence.metrics import Period
from evaluator.evidence.parse import Register, parse_register, schema, sha256_of
from evaluator.evidence.parse import max_bytes as register_max_bytes
from evaluator.evidence.registers import REGISTERS, SUPPLIERS
from evaluator.faults import crash_point
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_round,
    may_see_scores,
    require,
)
from evaluator.services.cohorts import contract_stations, round_units
from evaluator.services.evidence import evidence_dir, spooled, stored_path
from evaluator.services.report_schedules import check_schedule_unchanged, reports_due
from evaluator.services.systems import system_of
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import Round, Score, SystemVersion
from evaluator.systems import IndicatorSystem
from evaluator.tables.cells import code_key

IN_FORCE, REPLACED, PENDING, REJECTED, RECTIFICATION = (
    "in_force",
    "replaced",
    "pending",
    "rejected",
    "rectification",
)


@dataclass(frozen=True)
class Imported:
    record: RegisterImport
    unchanged: bool  # the same file was already the version in force (or already waiting)
    replaced: RegisterImport | None  # the version this one took out of force
    scored: tuple[str, ...] = ()  # pending: the scored leaves it would change

    @property
    def pending(self) -> bool:
        return self.record.state == PENDING


def in_force_key(round_id, kind: str) -> str:
    return f"{round_id}:{kind}"


def import_note(done: Imported) -> tuple[str, str] | None:
    """What to tell the importer besides the version itself (English, Chinese)."""
    state = done.record.state
    if state == PENDING:
        leaves = ", ".join(done.scored)
        scored = f" (already scored: {leaves})" if leaves else ""
        scored_zh = f"（已评分指标：{leaves}）" if leaves else ""
        return (
            "pending: waits for the lead evaluator's acceptance; the version in force still"
            f" counts{scored}",
            f"待确认：须经主评估员接受后生效，此前仍以现行版本计分{scored_zh}",
        )
    if state == RECTIFICATION:
        return (
            "kept with the finding as rectification evidence; the approved round is unchanged",
            "已作为整改佐证随问题保存；已审定的轮次不受影响",
        )
    return None


async def round_period(round_: Round) -> Period:
    """The days a round's registers are read for: the contract year up to the round's date;
    with the reports its contract asks for in the year (its report schedule, expanded) and
    the years its workers have to qualify and its limit on township administrative work."""
    contract = await Contract.get(id=round_.contract_id)
    return Period(
        contract.period_start,
        min(round_.as_of, contract.period_end),
        tuple(reports_due(contract)),
        contract.qualification_years,
        None if contract.township_hours_limit is None else contract.township_hours_limit / 100,
    )


async def schedule_still_read(round_: Round, kind: str, period: Period, conn) -> None:
    """A report log is computed against its contract's report schedule: inside the
    import's transaction, check (with the contract row locked) that it did not change."""
    if kind == "reports":
        await check_schedule_unchanged(round_.contract_id, list(period.reports_due or ()), conn)


async def may_import(actor: Actor, round_: Round, kind: str) -> None:
    """The evaluation side (admin, the round's evaluators) imports any kind; the agency of
    the round's contract imports the kinds it supplies (``SUPPLIERS``)."""
    contract = await Contract.get(id=round_.contract_id)
    evaluation_side = actor.is_admin or await assignment_role(actor, round_) is not None
    require(
        evaluation_side or actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the round's evaluators or the agency may import registers",
        "仅本轮评估员或承接机构可导入台账",
    )
    supplier = SUPPLIERS.get(kind)
    if not evaluation_side and supplier is not None and not supplier.agency_may_import:
        spec = REGISTERS[kind]
        raise PermissionDenied(
            Problem(
                f"the agency may not import the {spec.en.lower()} ({kind}): it is supplied by"
                f" {supplier.en}",
                f"承接机构不可导入{spec.zh}（{kind}）：该台账为{supplier.zh}",
                path="kind",
            )
        )


async def lead_decides(actor: Actor, round_: Round) -> bool:
    """The round's lead evaluator (or an administrator): accepts and rejects replacements."""
    return actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR


def _warning(p: Problem) -> dict:
    return {"en": p.en, "zh": p.zh, "where": p.where}


def file_name(name: str | None, path: Path) -> str:
    return Path((name or path.name).replace("\\", "/")).name[:255] or path.name


async def version_in_force(round_id, kind: str) -> RegisterImport | None:
    return await RegisterImport.filter(in_force_key=in_force_key(round_id, kind)).first()


async def read_register(
    round_: Round, system: IndicatorSystem, kind: str, path: Path, name: str, sheet: str | None
) -> tuple[Register, dict, Period]:
    """Parse and check the whole file against the round's units; its metric values."""
    units = await round_units(round_, system)
    # an agency round reads the rows of its contract's stations (and contract-level rows)
    stations = units if system.unit == "station" else await contract_stations(round_)
    period = await round_period(round_)
    contract = await Contract.get(id=round_.contract_id)

    def work():
        register = parse_register(
            kind,
            path,
            sheet,
            name=name,
            stations=stations,
            period=(contract.period_start, contract.period_end),
        )
        frame = register.frame
        if system.unit == "agency" and "station" in frame:  # an agency is scored on all its rows
            frame = frame.assign(station=pd.Categorical(units * len(frame), categories=units))
        return register, compute_metrics(frame, kind, system, units, period)

    register, metrics = await asyncio.to_thread(work)
    return register, metrics, period


def version_fields(
    actor: Actor, round_: Round, kind: str, path: Path, name: str, register, metrics, period
) -> dict:
    return {
        "round_id": round_.id,
        "kind": kind,
        "sha256": register.sha256,
        "original_name": name,
        "sheet": register.sheet,
        "size": path.stat().st_size,
        "rows": len(register.frame),
        "imported_by_id": actor.user_id,
        "warnings": [_warning(w) for w in register.warnings],
        "metrics": metrics,
        "period_start": period.start,
        "period_end": period.end,
    }


def version_doc(record: RegisterImport | None) -> dict | None:
    """A version as the audit trail records it."""
    if record is None:
        return None
    return {
        "id": str(record.id),
        "round": str(record.round_id),
        "kind": record.kind,
        "sha256": record.sha256,
        "rows": record.rows,
        "name": record.original_name,
        "sheet": record.sheet,
        "state": record.state,
        "replaces": None if record.replaces_id is None else str(record.replaces_id),
        "finding": None if record.finding_id is None else str(record.finding_id),
    }


async def scored_leaves(round_: Round, system: IndicatorSystem, kind: str) -> list[str]:
    """The leaves a register of ``kind`` fills, once the evaluators have begun scoring the
    round (any score row): they judge a station as a whole, so replacing a register they
    have seen changes what they judged. Empty before the first score."""
    leaves = list(measured_leaves(system, kind))
    if not leaves or not await Score.filter(round_id=round_.id).exists():
        return []
    return sorted(leaves)


async def retire(record_id, conn) -> bool:
    """Take a version out of force, if it still is (False: someone else already did)."""
    updated = (
        await RegisterImport.filter(id=record_id, in_force_key__isnull=False)
        .using_db(conn)
        .update(active=False, in_force_key=None, state=REPLACED, replaced_at=clock.now())
    )
    return updated == 1


def raced() -> ConflictError:
    return ConflictError(
        Problem(
            "another version of this register was imported at the same moment; reload and"
            " try again",
            "同一时间另有该台账的版本被导入，请刷新后重试",
        )
    )


class _Lost(Exception):
    """The version read as in force was replaced before this transaction retired it."""


def is_key_clash(error: IntegrityError) -> bool:
    return "in_force_key" in str(error)


async def import_register(
    actor: Actor,
    round_id,
    kind: str,
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | None = None,
    origin: RegisterImport | None = None,
) -> Imported:
    """Import ``path`` as the round's ``kind`` register (see the module docstring);
    ``origin``, a corrected register kept with a finding that this import carries forward,
    is named in the audit event."""
    round_ = await get_round(actor, round_id)
    await may_import(actor, round_, kind)
    check_writable(round_)
    schema(kind)  # an unknown kind is an error before anything is read
    path = Path(path)
    name = file_name(name, path)
    digest = await asyncio.to_thread(sha256_of, path) if path.is_file() else None
    current = await version_in_force(round_.id, kind)
    if current is not None and digest == current.sha256 and sheet in (None, current.sheet):
        return Imported(current, True, None)
    waiting = await RegisterImport.filter(
        round_id=round_.id, kind=kind, state=PENDING, sha256=digest
    ).first()
    if waiting is not None and sheet in (None, waiting.sheet):
        return Imported(waiting, True, None)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    register, metrics, period = await read_register(round_, system, kind, path, name, sheet)
    scored: list[str] = []
    if current is not None and not await lead_decides(actor, round_):
        scored = await scored_leaves(round_, system, kind)
    await asyncio.to_thread(keep_file, path, register.sha256)
    fields = version_fields(actor, round_, kind, path, name, register, metrics, period)
    try:
        async with in_transaction() as conn:
            await schedule_still_read(round_, kind, period, conn)
            if scored:  # stored aside: the version in force stays until the lead decides
                record = await RegisterImport.create(
                    **fields, state=PENDING, active=False, replaces_id=current.id, using_db=conn
                )
            else:
                if current is not None and not await retire(current.id, conn):
                    raise _Lost
                record = await RegisterImport.create(
                    **fields,
                    state=IN_FORCE,
                    active=True,
                    in_force_key=in_force_key(round_.id, kind),
                    replaces_id=None if current is None else current.id,
                    using_db=conn,
                )
            await crash_point("register.import")  # the version written, not its audit event
            await audit.record(
                actor.username,
                "register.import",
                "register",
                record.id,
                version_doc(current),
                version_doc(record) | ({} if origin is None else {"carried_from": str(origin.id)}),
                connection=conn,
            )
    except (IntegrityError, _Lost) as error:
        if isinstance(error, IntegrityError) and not is_key_clash(error):
            raise
        winner = await version_in_force(round_.id, kind)
        if winner is not None and (winner.sha256, winner.sheet) == (
            register.sha256,
            register.sheet,
        ):
            return Imported(winner, True, None)  # the same file won the race: nothing to do
        raise raced() from None
    return Imported(record, False, None if scored else current, tuple(scored))


SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def upload_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            Problem(
                f"give the file name with its suffix .csv or .xlsx (got {name!r})",
                f"请提供带 .csv 或 .xlsx 后缀的文件名（收到 {name!r}）",
                path="name",
            )
        )
    return suffix


async def import_upload(
    actor: Actor,
    round_id,
    kind: str,
    data: bytes | Iterable[bytes] | AsyncIterable[bytes],
    *,
    name: str,
    sheet: str | None = None,
) -> Imported:
    """Import an uploaded register (a stream of bytes) named ``name``: its suffix says .csv
    or .xlsx; streamed to a temporary file of at most REGISTER_MAX_BYTES, then imported."""
    schema(kind)
    suffix = upload_suffix(name)
    async with spooled(data, register_max_bytes(), suffix=suffix) as (tmp, _, _):
        return await import_register(actor, round_id, kind, tmp, name=name, sheet=sheet)


def keep_file(path: Path, sha256: str) -> None:
    """Copy the file to its content-addressed place (atomically; once per content)."""
    target = stored_path(sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".register-", dir=evidence_dir())
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# -- reading ---------------------------------------------------------------------------------


async def list_imports(actor: Actor, round_id, *, history: bool = False) -> list[RegisterImport]:
    """The round's register versions in force (and, with ``history``, every other version:
    replaced, pending, rejected; rectification evidence is listed with its finding)."""
    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_) and not await _is_agency(actor, round_):
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    query = RegisterImport.filter(round_id=round_.id).exclude(state=RECTIFICATION)
    if not history:
        query = query.filter(state=IN_FORCE)
    return await query.order_by("kind", "-created_at")


async def register_history(round_: Round) -> dict[str, list[dict]]:
    """Every version of the round's registers by kind, oldest first: who imported it and
    when, its file hash, its state, the hash of the version it replaced (or would replace),
    and the lead's decision on a pending replacement. (No permission check: for documents,
    such as the scorecards, whose readers were checked.)"""
    rows = (
        await RegisterImport.filter(round_id=round_.id)
        .exclude(state=RECTIFICATION)
        .order_by("kind", "created_at")
        .values(
            "id",
            "kind",
            "original_name",
            "sha256",
            "rows",
            "state",
            "created_at",
            "replaced_at",
            "decided_at",
            "decision_reason",
            "replaces_id",
            imported_by="imported_by__username",
            decided_by="decided_by__username",
            replaces_sha256="replaces__sha256",
        )
    )
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["kind"], []).append(
            {
                "id": str(r["id"]),
                "name": r["original_name"],
                "sha256": r["sha256"],
                "rows": r["rows"],
                "state": r["state"],
                "imported_by": r["imported_by"] or "system",  # NULL: the command line
                "imported_at": _when(r["created_at"]),
                "replaces": None
                if r["replaces_id"] is None
                else {"id": str(r["replaces_id"]), "sha256": r["replaces_sha256"]},
                "replaced_at": _when(r["replaced_at"]),
                "decided_by": r["decided_by"]
                or ("system" if r["decided_at"] is not None else None),
                "decided_at": _when(r["decided_at"]),
                "decision_reason": r["decision_reason"] or "",
            }
        )
    return out


def _when(at) -> str | None:
    return None if at is None else at.isoformat()


async def _is_agency(actor: Actor, round_: Round) -> bool:
    contract = await Contract.get(id=round_.contract_id)
    return actor.has(Role.AGENCY_USER, contract.agency_id)


async def metric_values(
    actor: Actor, round_id, station: str | None = None
) -> tuple[list[str] | None, list[dict]]:
    """The metric values of the round's registers in force, one row per (register, leaf or
    library metric, station): kind, leaf (None for a reference figure), metric, params,
    station, value, n, flags, detail; and the period they cover."""
    period, rows = None, []
    for record in await list_imports(actor, round_id):
        period = record.metrics.get("period", period)
        for section in ("leaves", "library"):
            for key, entry in record.metrics.get(section, {}).items():
                for code, got in entry["stations"].items():
                    if station and code_key(code) != code_key(station):
                        continue
                    rows.append(
                        {
                            "kind": record.kind,
                            "leaf": key if section == "leaves" else None,
                            "metric": entry.get("metric", key),
                            "params": entry["params"],
                            "station": code,
                        }
                        | got
                    )
    return period, rows
