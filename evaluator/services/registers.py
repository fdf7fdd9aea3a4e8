"""Register imports: validate a whole file, check its stations against the round, compute
its metrics, keep the file by content hash and record the version in force.

Nothing is written unless the file is valid: parsing, the station check and the metrics all
run before the single transaction that deactivates the previous version, creates the new
one and appends to the audit trail. Importing the file in force again changes nothing.
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
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import InvalidInput, NotFound, Problem
from evaluator.evidence.measure import compute_metrics
from evaluator.evidence.metrics import Period
from evaluator.evidence.parse import max_bytes as register_max_bytes
from evaluator.evidence.parse import parse_register, schema, sha256_of
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_round,
    may_see_scores,
    require,
)
from evaluator.services.contracts import round_units
from evaluator.services.evidence import evidence_dir, spooled, stored_path
from evaluator.services.systems import system_of
from evaluator.store.base import Role
from evaluator.store.contracts import Contract
from evaluator.store.registers import RegisterImport
from evaluator.store.rounds import Round, SystemVersion


@dataclass(frozen=True)
class Imported:
    record: RegisterImport
    unchanged: bool  # the same file was already the version in force
    replaced: RegisterImport | None


async def round_period(round_: Round) -> Period:
    """The days a round's registers are read for: the contract year up to the round's date."""
    contract = await Contract.get(id=round_.contract_id)
    return Period(contract.period_start, min(round_.as_of, contract.period_end))


async def _may_import(actor: Actor, round_: Round) -> None:
    contract = await Contract.get(id=round_.contract_id)
    require(
        actor.is_admin
        or await assignment_role(actor, round_) is not None
        or actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the round's evaluators or the agency may import registers",
        "仅本轮评估员或承接机构可导入台账",
    )


def _warning(p: Problem) -> dict:
    return {"en": p.en, "zh": p.zh, "where": p.where}


async def import_register(
    actor: Actor,
    round_id,
    kind: str,
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | None = None,
) -> Imported:
    """Import ``path`` as the round's ``kind`` register (see the module docstring)."""
    round_ = await get_round(actor, round_id)
    await _may_import(actor, round_)
    check_writable(round_)
    schema(kind)  # an unknown kind is an error before anything is read
    path = Path(path)
    name = Path((name or path.name).replace("\\", "/")).name[:255] or path.name
    digest = await asyncio.to_thread(sha256_of, path) if path.is_file() else None
    current = await RegisterImport.filter(round_id=round_.id, kind=kind, active=True).first()
    if current is not None and digest == current.sha256 and sheet in (None, current.sheet):
        return Imported(current, True, None)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    units = await round_units(round_, system)
    period = await round_period(round_)

    def work():
        register = parse_register(
            kind, path, sheet, name=name, stations=units if system.unit == "station" else None
        )
        frame = register.frame
        if system.unit == "agency" and "station" in frame:  # an agency is scored on all its rows
            frame = frame.assign(station=pd.Categorical(units * len(frame), categories=units))
        return register, compute_metrics(frame, kind, system, units, period)

    register, metrics = await asyncio.to_thread(work)
    await asyncio.to_thread(_keep, path, register.sha256)
    async with in_transaction() as conn:
        previous = (
            await RegisterImport.filter(round_id=round_.id, kind=kind, active=True)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if previous is not None:
            await (
                RegisterImport.filter(id=previous.id)
                .using_db(conn)
                .update(active=False, replaced_at=clock.now())
            )
        record = await RegisterImport.create(
            round_id=round_.id,
            kind=kind,
            sha256=register.sha256,
            original_name=name,
            sheet=register.sheet,
            size=path.stat().st_size,
            rows=len(register.frame),
            imported_by_id=actor.user_id,
            warnings=[_warning(w) for w in register.warnings],
            metrics=metrics,
            period_start=period.start,
            period_end=period.end,
            using_db=conn,
        )
        before = (
            None
            if previous is None
            else {
                "id": str(previous.id),
                "sha256": previous.sha256,
                "rows": previous.rows,
                "name": previous.original_name,
            }
        )
        after = {
            "id": str(record.id),
            "round": str(round_.id),
            "kind": kind,
            "sha256": record.sha256,
            "rows": record.rows,
            "name": name,
            "sheet": record.sheet,
        }
        await audit.record(
            actor.username, "register.import", "register", record.id, before, after, connection=conn
        )
    return Imported(record, False, previous)


SUFFIXES = {".csv", ".xlsx", ".xlsm"}


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
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            Problem(
                f"give the file name with its suffix .csv or .xlsx (got {name!r})",
                f"请提供带 .csv 或 .xlsx 后缀的文件名（收到 {name!r}）",
                path="name",
            )
        )
    async with spooled(data, register_max_bytes(), suffix=suffix) as (tmp, _, _):
        return await import_register(actor, round_id, kind, tmp, name=name, sheet=sheet)


def _keep(path: Path, sha256: str) -> None:
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


async def list_imports(actor: Actor, round_id, *, history: bool = False) -> list[RegisterImport]:
    """The round's register versions in force (and, with ``history``, those replaced)."""
    round_ = await get_round(actor, round_id)
    if not await may_see_scores(actor, round_) and not await _is_agency(actor, round_):
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    query = RegisterImport.filter(round_id=round_.id)
    if not history:
        query = query.filter(active=True)
    return await query.order_by("kind", "-created_at")


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
                    if station and code != station:
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
