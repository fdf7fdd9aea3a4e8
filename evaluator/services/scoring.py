"""Recording scores: role, round state, unit and value checks, optimistic concurrency."""

from __future__ import annotations

import uuid

import pandas as pd
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator.engine import prepare_inputs
from evaluator.errors import ConflictError, InvalidInput, NotFound, Problem
from evaluator.services import audit
from evaluator.services.actors import Actor, assignment_role, check_writable, require, round_scope
from evaluator.services.contracts import round_units
from evaluator.services.systems import system_of
from evaluator.store.contracts import Station
from evaluator.store.rounds import EvidenceFile, Round, Score, SystemVersion

FIELDS = ("value", "target", "n", "comment", "evidence")


async def record_score(
    actor: Actor,
    round_id,
    unit: str,
    leaf: str,
    value: float | None,
    *,
    item: str = "",
    target: float | None = None,
    n: int | None = None,
    comment: str = "",
    evidence: list[str] | None = None,
    expected_version: int | None = None,
) -> Score:
    """Create (``expected_version`` None) or overwrite (the version the caller read) one
    rater's score. Stale version → ConflictError; approved round → LockedError."""
    round_ = await _visible_round(actor, round_id)
    role = await assignment_role(actor, round_)
    require(
        role is not None,
        "only evaluators assigned to this round may score it",
        "仅本轮次分派的评估员可评分",
    )
    check_writable(round_)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    if unit not in await round_units(round_, system):
        raise InvalidInput(
            Problem(
                f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path="unit"
            )
        )
    _check_value(system, unit, leaf, item, value, target, n)
    await _check_evidence(round_, evidence or [])
    station = await Station.get_or_none(code=unit) if system.unit == "station" else None
    fields = {
        "value": value,
        "target": target,
        "n": n,
        "comment": comment,
        "evidence": list(evidence or []),
    }
    key = {
        "round_id": round_.id,
        "unit": unit,
        "leaf": leaf,
        "item": item,
        "rater_id": actor.user_id,
    }
    try:
        async with in_transaction() as conn:
            current = await Round.get(id=round_.id).using_db(conn)
            check_writable(current)  # the round may have been submitted meanwhile
            if expected_version is None:
                score = await Score.create(**key, station=station, using_db=conn, **fields)
                before = None
            else:
                score = await Score.filter(**key).using_db(conn).first()
                if score is None:
                    raise ConflictError(
                        Problem(
                            "there is no score to overwrite; create it without a version",
                            "没有可覆盖的评分；请不带版本号新建",
                        )
                    )
                before = {f: getattr(score, f) for f in FIELDS} | {"version": score.version}
                updated = (
                    await Score.filter(id=score.id, version=expected_version)
                    .using_db(conn)
                    .update(version=expected_version + 1, **fields)
                )
                if updated != 1:
                    raise ConflictError(
                        Problem(
                            f"the score changed since version {expected_version} was read; reload and try again",
                            f"评分在读取版本 {expected_version} 后已被修改，请刷新后重试",
                        )
                    )
                score = await Score.get(id=score.id).using_db(conn)
            await audit.record(
                actor.username,
                "score.write",
                "score",
                score.id,
                before,
                key_text(key) | fields | {"version": score.version},
                connection=conn,
            )
    except IntegrityError:
        raise ConflictError(
            Problem(
                "this leaf was already scored by you; give the version you read to overwrite it",
                "您已为该指标评分；请提供读取到的版本号以覆盖",
            )
        ) from None
    from evaluator.services.citations import cite  # the files a score names are cited for its leaf

    for evidence_id in dict.fromkeys(evidence or []):
        await cite(actor, round_.id, unit, leaf, evidence_id)
    return score


async def _check_evidence(round_: Round, ids: list[str]) -> None:
    """Every evidence id a score names is a file of the round."""
    wanted = set()
    for i, text in enumerate(ids):
        try:
            wanted.add(uuid.UUID(str(text)))
        except ValueError:
            raise InvalidInput(
                Problem(
                    f"{text!r} is not an evidence id",
                    f"{text!r} 不是佐证材料编号",
                    path=f"evidence[{i}]",
                )
            ) from None
    found = (
        set(
            await EvidenceFile.filter(id__in=list(wanted), round_id=round_.id).values_list(
                "id", flat=True
            )
        )
        if wanted
        else set()
    )
    for i, text in enumerate(ids):
        if uuid.UUID(str(text)) not in found:
            raise InvalidInput(
                Problem(
                    f"no evidence {text} in this round",
                    f"本轮次中没有佐证材料 {text}",
                    path=f"evidence[{i}]",
                )
            )


async def _visible_round(actor: Actor, round_id) -> Round:
    """The round if the actor may see it; otherwise NotFound (existence is not revealed)."""
    round_ = await round_scope(actor).filter(id=round_id).first()
    if round_ is None:
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    return round_


def key_text(key: dict) -> dict:
    return {k: str(v) for k, v in key.items()}


def _check_value(system, unit: str, leaf: str, item: str, value, target, n) -> None:
    """The same validation as a raw-input file: one row through the engine's input check."""
    row = pd.DataFrame(
        [
            {
                "unit": unit,
                "leaf": leaf,
                "item": item or None,
                "value": value,
                "target": target,
                "n": n,
            }
        ]
    )
    prepare_inputs(system, row, locate=lambda i, column, en, zh: Problem(en, zh, path=column))


async def record_scores(actor: Actor, round_id, rows: pd.DataFrame) -> int:
    """Create many scores of one rater at once (imports, the demo): every row is validated
    first (all problems reported, nothing written), then all are written in one
    transaction, each with its audit event. Rows: unit, leaf, item, value, target, n."""
    round_ = await _visible_round(actor, round_id)
    require(
        await assignment_role(actor, round_) is not None,
        "only evaluators assigned to this round may score it",
        "仅本轮次分派的评估员可评分",
    )
    check_writable(round_)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    units = set(await round_units(round_, system))
    rows = rows.reset_index(drop=True)
    outside = sorted(set(rows["unit"]) - units)
    if outside:
        raise InvalidInput(
            [
                Problem(
                    f"{u} is not evaluated in this round", f"{u} 不在本轮评估范围内", path="unit"
                )
                for u in outside
            ]
        )
    prepare_inputs(system, rows)  # raises with every located problem
    stations = (
        {s.code: s for s in await Station.filter(code__in=list(units))}
        if system.unit == "station"
        else {}
    )
    written = 0
    try:
        async with in_transaction() as conn:
            check_writable(await Round.get(id=round_.id).using_db(conn))
            for row in rows.itertuples(index=False):
                item = _text(getattr(row, "item", None))
                fields = {f: _num(getattr(row, f, None)) for f in ("value", "target")} | {
                    "n": _int(getattr(row, "n", None))
                }
                key = {
                    "round_id": round_.id,
                    "unit": row.unit,
                    "leaf": row.leaf,
                    "item": item,
                    "rater_id": actor.user_id,
                }
                score = await Score.create(
                    **key, station=stations.get(row.unit), using_db=conn, **fields
                )
                await audit.record(
                    actor.username,
                    "score.write",
                    "score",
                    score.id,
                    None,
                    key_text(key) | fields | {"version": 1},
                    connection=conn,
                )
                written += 1
    except IntegrityError:
        raise ConflictError(
            Problem("some of these leaves were already scored by you", "部分指标您已评分")
        ) from None
    return written


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
