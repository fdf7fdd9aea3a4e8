"""Evidence citations: a leaf of a unit cites an uploaded file; evaluators review each
citation (accepted / rejected / insufficient, with a comment); the scorecard shows, per
leaf, every citation and an overall evidence status.

The leaf's status is, in this order: ``rejected`` if any citation is rejected,
``insufficient`` if any is insufficient, ``pending`` if any awaits review, ``accepted`` when
all are accepted, ``none`` when the leaf cites nothing.
"""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from evaluator.errors import InvalidInput, NotFound, Problem
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_round,
    may_see_scores,
    require,
    round_scope,
)
from evaluator.services.cohorts import round_unit, unit_code
from evaluator.services.evidence import no_such_file, round_files
from evaluator.services.reviews import record_review
from evaluator.services.systems import system_of
from evaluator.store.base import ReviewStatus, Role
from evaluator.store.contracts import Contract, Station
from evaluator.store.registers import Citation
from evaluator.store.rounds import EvidenceFile, Round, SystemVersion
from evaluator.systems import IndicatorSystem

ORDER = ("rejected", "insufficient", "pending", "accepted")


def leaf_status(statuses: list[str]) -> str:
    """The evidence status of a leaf from its citations' statuses (module docstring)."""
    for status in ORDER:
        if status in statuses:
            return status
    return "none"


async def unit_and_leaf(round_: Round, unit: str, leaf: str) -> tuple[IndicatorSystem, str]:
    """The round's system and the unit as the round names it (a station code may be given
    in another case or width), if ``leaf`` is a leaf of the system and the unit is scored
    in the round; InvalidInput otherwise."""
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    if leaf not in system.nodes or not system.nodes[leaf].is_leaf:
        raise InvalidInput(
            Problem(
                f"{leaf} is not a leaf of the round's indicator system",
                f"{leaf} 不是本轮指标体系的末级指标",
                path="leaf",
            )
        )
    named = await round_unit(round_, system, unit)
    if named is None:
        raise InvalidInput(
            Problem(
                f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path="unit"
            )
        )
    return system, named


async def citable_files(
    round_: Round, system: IndicatorSystem, unit: str, ids: list, paths: list[str]
) -> list[EvidenceFile]:
    """The files ``ids`` name (each once, in order), if every one is a file of the round
    that may be cited on ``unit``: uploaded for the unit's station, or for no station (a
    contract-level file, citable on any unit of the round). Every problem is located at
    the id's path; InvalidInput lists them all."""
    found = await round_files(round_, ids)
    # an agency unit (agency systems) runs every station of the round: any file is its own
    by_station = system.unit == "station"
    station = await Station.get_or_none(code=unit) if by_station and any(found) else None
    problems, files = [], {}
    for text, file, path in zip(ids, found, paths, strict=True):
        if file is None:
            problems.append(no_such_file(text, path))
        elif (
            by_station
            and file.station_id is not None
            and file.station_id != (station.id if station else None)
        ):
            problems.append(
                Problem(
                    f"evidence {text} was uploaded for station {file.station.code}: it cannot "
                    f"be cited on {unit}",
                    f"佐证材料 {text} 是为社工站 {file.station.code} 上传的，不能在 {unit} 上引用",
                    path=path,
                )
            )
        else:
            files[file.id] = file
    if problems:
        raise InvalidInput(problems)
    return list(files.values())


async def add_citations(
    actor: Actor, round_: Round, unit: str, leaf: str, files: list[EvidenceFile], conn
) -> list[tuple[Citation, bool]]:
    """Cite ``files`` for a leaf of a unit inside the caller's transaction ``conn``, with an
    audit event per new citation; (citation, created) per file."""
    cited = await insert_citations(actor, round_, unit, leaf, files, conn)
    await audit_citations(actor, cited, conn)
    return cited


async def insert_citations(
    actor: Actor, round_: Round, unit: str, leaf: str, files: list[EvidenceFile], conn
) -> list[tuple[Citation, bool]]:
    """The rows of :func:`add_citations`, without their audit events (the caller writes them
    with :func:`audit_citations` after its other rows: every row lock of a transaction is
    taken before the audit chain's, so two transactions never wait on each other). A file
    already cited for the leaf (also by someone else at the same moment) keeps its citation:
    the insert skips the conflict instead of failing, so the caller's transaction survives.
    Files are inserted in id order (two writers never lock them in opposite orders)."""
    out = []
    for file in sorted(files, key=lambda f: str(f.id)):
        key = {"round_id": round_.id, "unit": unit, "leaf": leaf, "evidence_id": file.id}
        existing = await Citation.filter(**key).using_db(conn).first()
        if existing is not None:
            out.append((existing, False))
            continue
        ident = uuid.uuid4()
        await Citation.bulk_create(
            [Citation(id=ident, cited_by_id=actor.user_id, **key)],
            ignore_conflicts=True,
            using_db=conn,
        )
        record = await Citation.get_or_none(id=ident).using_db(conn)
        if record is None:  # cited concurrently: theirs stands
            out.append((await Citation.get(**key).using_db(conn), False))
        else:
            out.append((record, True))
    return out


async def audit_citations(actor: Actor, cited: list[tuple[Citation, bool]], conn) -> None:
    """The audit event of each citation :func:`insert_citations` created."""
    for record, created in cited:
        if created:
            await audit.record(
                actor.username,
                "citation.create",
                "citation",
                record.id,
                None,
                {
                    "round": str(record.round_id),
                    "unit": record.unit,
                    "leaf": record.leaf,
                    "evidence": str(record.evidence_id),
                },
                connection=conn,
            )


async def cite(actor: Actor, round_id, unit: str, leaf: str, evidence_id) -> tuple[Citation, bool]:
    """Cite an uploaded file for a leaf of a unit (the round's evaluators or its agency);
    (citation, created). Citing the same file for the same leaf again returns the existing
    one. A file uploaded for a station is cited only on that station (422 ``evidence``)."""
    round_ = await get_round(actor, round_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        actor.is_admin
        or await assignment_role(actor, round_) is not None
        or actor.has(Role.AGENCY_USER, contract.agency_id),
        "only the round's evaluators or the agency may cite evidence",
        "仅本轮评估员或承接机构可引用佐证材料",
    )
    check_writable(round_)
    system, unit = await unit_and_leaf(round_, unit, leaf)
    (file,) = await citable_files(round_, system, unit, [evidence_id], ["evidence"])
    async with in_transaction() as conn:
        ((record, created),) = await add_citations(actor, round_, unit, leaf, [file], conn)
    await record.fetch_related("evidence")
    return record, created


async def review_citation(
    actor: Actor, citation_id, status: ReviewStatus, comment: str, expected_version: int
) -> Citation:
    """An evaluator of the round accepts a citation, or rejects it / marks it insufficient
    with a comment."""
    record = await Citation.get_or_none(id=citation_id)
    round_ = await round_scope(actor).filter(id=record.round_id).first() if record else None
    if record is None or round_ is None:
        raise NotFound(Problem(f"no citation {citation_id}", f"未找到引用 {citation_id}"))
    require(
        actor.is_admin or await assignment_role(actor, round_) is not None,
        "only the round's evaluators may review evidence",
        "仅本轮评估员可审核佐证材料",
    )
    check_writable(round_)
    reviewed = await record_review(
        actor,
        record,
        comment_field="comment",
        status=status,
        comment=comment,
        expected_version=expected_version,
        action="citation.review",
        changed=Problem("the citation changed since you read it", "引用已被他人修改"),
    )
    await reviewed.fetch_related("evidence")
    return reviewed


async def list_citations(
    actor: Actor, round_id, unit: str | None = None, leaf: str | None = None
) -> list[Citation]:
    """A round's citations with their reviews (for the agency once the round is approved, like
    its scores)."""
    round_ = await get_round(actor, round_id)
    require(
        await may_see_scores(actor, round_),
        "evidence reviews are published with the round's results",
        "佐证审核结果随评估结果一并公布",
    )
    query = Citation.filter(round_id=round_.id)
    if unit:
        query = query.filter(unit=await unit_code(unit))
    if leaf:
        query = query.filter(leaf=leaf)
    return await query.prefetch_related("evidence").order_by("unit", "leaf", "created_at")


async def leaf_evidence(round_: Round, unit: str) -> dict[str, dict]:
    """Leaf code → {status, citations} for one unit (no permission check)."""
    return (await round_evidence(round_, [unit])).get(unit, {})


async def round_evidence(round_: Round, units: list[str] | None = None) -> dict[str, dict]:
    """Unit → leaf code → {status, citations}, for the round's units (or those named) in
    one query: what :func:`leaf_evidence` gives each (no permission check)."""
    query = Citation.filter(round_id=round_.id)
    if units is not None:
        query = query.filter(unit__in=units)
    out: dict[str, dict[str, dict]] = {}
    for c in await query.prefetch_related("evidence").order_by("unit", "leaf", "created_at"):
        entry = out.setdefault(c.unit, {}).setdefault(c.leaf, {"status": "none", "citations": []})
        entry["citations"].append(citation_document(c))
    for leaves in out.values():
        for entry in leaves.values():
            entry["status"] = leaf_status([c["status"] for c in entry["citations"]])
    return out


def citation_document(c: Citation) -> dict:
    return {
        "id": str(c.id),
        "unit": c.unit,
        "leaf": c.leaf,
        "evidence": str(c.evidence_id),
        "name": c.evidence.original_name,
        "status": c.status.value,
        "comment": c.comment,
        "version": c.version,
    }
