"""Recording scores: role, round state, unit and value checks, optimistic concurrency.

A score, the citations of the evidence it names and their audit events are written in one
transaction: a problem with any of them leaves nothing behind. Values are checked as a
raw-input table is (:func:`evaluator.engine.prepare_inputs` with the bounds of
:mod:`evaluator.systems.bounds`): finite numbers within the leaf's range."""

from __future__ import annotations

import math

import pandas as pd
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.engine import prepare_inputs
from evaluator.engine.inputs import MAX_PROBLEMS
from evaluator.errors import (
    ConflictError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    StateError,
)
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_of,
    check_writable,
    require,
    round_scope,
)
from evaluator.services.citations import audit_citations, citable_files, insert_citations
from evaluator.services.cohorts import round_unit, round_units, unit_named
from evaluator.services.systems import system_of
from evaluator.services.townships import rater_units
from evaluator.store.base import Role
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round, RoundAssignment, Score, SystemVersion
from evaluator.systems.schema import DEFAULT_ROLES

FIELDS = ("value", "target", "n", "comment", "evidence")
BATCH = 2000  # score rows per INSERT of record_scores


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
    rater's score, and cite the evidence it names for its leaf, in one transaction. Stale
    version → ConflictError; approved round → LockedError; a value outside the leaf's range
    or a file that cannot be cited on the unit → InvalidInput, and nothing is written."""
    round_ = await _visible_round(actor, round_id)
    mine = await assignment_of(actor, round_)
    require(
        mine is not None,
        "only evaluators assigned to this round may score it",
        "仅本轮次分派的评估员可评分",
    )
    assert mine is not None
    check_writable(round_)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    await require_scorer(actor, round_, system, [leaf])
    named = await round_unit(round_, system, unit)
    if mine.role == Role.TOWNSHIP_OFFICIAL and named is not None:
        named = next(iter(await rater_units(mine, [named])), None)
    if named is None:
        raise InvalidInput(_outside(mine, unit, "unit"))
    unit = named
    check_value(system, unit, leaf, item, value, target, n)
    evidence = [str(e) for e in evidence or []]
    files = []
    if evidence and mine.role == Role.TOWNSHIP_OFFICIAL:  # they see no file of the round
        raise PermissionDenied(
            Problem(
                "a township official's rating cites no evidence files",
                "乡镇（街道）人员评分不引用佐证材料",
                path="evidence",
            )
        )
    if evidence:
        if leaf not in system.nodes or not system.nodes[leaf].is_leaf:
            raise InvalidInput(
                Problem(
                    f"{leaf} is not a leaf: evidence is cited for leaves only",
                    f"{leaf} 不是末级指标：佐证材料只能引用于末级指标",
                    path="evidence",
                )
            )
        paths = [f"evidence[{i}]" for i in range(len(evidence))]
        files = await citable_files(round_, system, unit, evidence, paths)
    station = await Station.get_or_none(code=unit) if system.unit == "station" else None
    fields = {"value": value, "target": target, "n": n, "comment": comment, "evidence": evidence}
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
                    # .update() bypasses auto_now: the time of the overwrite is set here
                    .update(version=expected_version + 1, updated_at=clock.now(), **fields)
                )
                if updated != 1:
                    raise ConflictError(
                        Problem(
                            f"the score changed since version {expected_version} was read; reload and try again",
                            f"评分在读取版本 {expected_version} 后已被修改，请刷新后重试",
                        )
                    )
                score = await Score.get(id=score.id).using_db(conn)
            cited = await insert_citations(actor, round_, unit, leaf, files, conn)
            # the audit events last: the chain's lock is taken after every row lock
            await audit.record(
                actor.username,
                "score.write",
                "score",
                score.id,
                before,
                key_text(key) | fields | {"version": score.version},
                connection=conn,
            )
            await audit_citations(actor, cited, conn)
    except IntegrityError:
        raise ConflictError(
            Problem(
                "this leaf was already scored by you; give the version you read to overwrite it",
                "您已为该指标评分；请提供读取到的版本号以覆盖",
            )
        ) from None
    return score


def _outside(mine: RoundAssignment | None, unit, path: str) -> Problem:
    """A unit the rater may not score: not in the round, or (a township official) not a
    station of their township in it — one message for both, so that it tells them nothing
    of the round's other stations."""
    if mine is not None and mine.role == Role.TOWNSHIP_OFFICIAL:
        return Problem(
            f"{unit} is not a station of your township in this round",
            f"{unit} 不是本轮中您所在乡镇（街道）的社工站",
            path=path,
        )
    return Problem(
        f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path=path
    )


async def require_scorer(actor: Actor, round_: Round, system, leaves: list[str]) -> None:
    """The actor may score these leaves of the round: their part not yet submitted (409),
    and each leaf one their rater role scores (403, every other leaf named)."""
    mine = await assignment_of(actor, round_)
    if mine is None:
        return  # the caller refuses an unassigned actor itself
    if mine.submitted_at is not None:
        raise StateError(
            Problem(
                "you submitted your part of this round: the lead may reopen it for you",
                "您已提交本轮评分：如需修改，请主评估员退回",
            )
        )
    others = sorted(
        {
            (code, role)
            for code in leaves
            if (node := system.nodes.get(code)) is not None
            and node.is_leaf
            and (role := node.rater_role) != mine.rater_role
        }
    )
    if others:
        names = system.spec.roles or DEFAULT_ROLES
        raise PermissionDenied(
            [
                Problem(
                    f"{code} is scored by the {names[role].en if role in names else role}, "
                    f"not the {mine.rater_role}",
                    f"{code} 由{names[role].zh if role in names else role}评分",
                    path="leaf",
                )
                for code, role in others[:20]
            ]
        )


async def _visible_round(actor: Actor, round_id) -> Round:
    """The round if the actor may see it; otherwise NotFound (existence is not revealed)."""
    round_ = await round_scope(actor).filter(id=round_id).first()
    if round_ is None:
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    return round_


def key_text(key: dict) -> dict:
    return {k: str(v) for k, v in key.items()}


def _number_problems(value, target, n) -> list[Problem]:
    """What a table cell cannot be but an argument can: NaN or ±infinity (in a table, NaN
    is an empty cell). Everything else is the input check's."""
    return [
        Problem(
            f"{name} must be a finite number, not {x}",
            f"{name} 须为有限的数字，不能为 {x}",
            path=name,
        )
        for name, x in (("value", value), ("target", target), ("n", n))
        if isinstance(x, float) and not math.isfinite(x)
    ]


def check_value(system, unit: str, leaf: str, item: str, value, target, n) -> None:
    """The same validation as a raw-input file: one row through the engine's input check."""
    problems = _number_problems(value, target, n)
    if problems:
        raise InvalidInput(problems)
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


def _row_problem(i: int, column: str, en: str, zh: str) -> Problem:
    return Problem(en, zh, path=f"rows[{i}].{column}")


async def record_scores(actor: Actor, round_id, rows: pd.DataFrame) -> int:
    """Create many scores of one rater at once (imports, the demo): every row is validated
    first (all problems reported, each at ``rows[i].column``, nothing written), then all are
    written in one transaction, each with its audit event (``audit.record_many``: one lock,
    batched inserts, as the scores are). Rows: unit, leaf, item, value, target, n; an empty
    (NaN) cell is no value, an infinite one a problem. A key already scored by this rater
    → ConflictError, nothing written."""
    round_ = await _visible_round(actor, round_id)
    mine = await assignment_of(actor, round_)
    require(
        mine is not None,
        "only evaluators assigned to this round may score it",
        "仅本轮次分派的评估员可评分",
    )
    check_writable(round_)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    rows = rows.reset_index(drop=True)
    await require_scorer(actor, round_, system, [str(x) for x in rows["leaf"]])
    units = await rater_units(mine, await round_units(round_, system))
    # each unit as the round names it; an empty one is left as it is (the input check says so)
    # (each distinct text looked up once: a bulk write names a few thousand units many times)
    lookup: dict[str, str | None] = {}
    named = [
        u
        if pd.isna(u)
        else (lookup[t] if (t := str(u)) in lookup else lookup.setdefault(t, unit_named(units, t)))
        for u in rows["unit"]
    ]
    outside = [i for i, u in enumerate(named) if u is None]
    if outside:
        problems = [
            _outside(mine, rows["unit"][i], f"rows[{i}].unit") for i in outside[:MAX_PROBLEMS]
        ]
        if len(outside) > MAX_PROBLEMS:
            more = len(outside) - MAX_PROBLEMS
            problems.append(Problem(f"… and {more} more problems", f"……另有 {more} 处问题"))
        raise InvalidInput(problems)
    rows = rows.assign(unit=named)
    prepare_inputs(system, rows, locate=_row_problem)  # raises with every located problem
    stations = (
        dict(
            await Station.filter(code__in=sorted(set(rows["unit"].dropna()))).values_list(
                "code", "id"
            )
        )
        if system.unit == "station"
        else {}
    )
    scores, events = [], []
    for row in rows.itertuples(index=False):
        fields = {f: _num(getattr(row, f, None)) for f in ("value", "target")} | {
            "n": _int(getattr(row, "n", None))
        }
        key = {
            "round_id": round_.id,
            "unit": row.unit,
            "leaf": row.leaf,
            "item": _text(getattr(row, "item", None)),
            "rater_id": actor.user_id,
        }
        score = Score(**key, station_id=stations.get(row.unit), **fields)
        scores.append(score)
        events.append(
            audit.Event(
                "score.write", "score", score.id, None, key_text(key) | fields | {"version": 1}
            )
        )
    try:
        async with in_transaction() as conn:
            check_writable(await Round.get(id=round_.id).using_db(conn))
            for start in range(0, len(scores), BATCH):
                await Score.bulk_create(scores[start : start + BATCH], using_db=conn)
            # the audit events last: the chain's lock is taken after every row is written
            await audit.record_many(conn, actor.username, events)
    except IntegrityError:
        raise ConflictError(
            Problem("some of these leaves were already scored by you", "部分指标您已评分")
        ) from None
    return len(scores)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
