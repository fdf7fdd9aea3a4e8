"""Evidence citations: a leaf of a unit cites an uploaded file; evaluators review each
citation (accepted / rejected / insufficient, with a comment); the scorecard shows, per
leaf, every citation and an overall evidence status.

The leaf's status is, in this order: ``rejected`` if any citation is rejected,
``insufficient`` if any is insufficient, ``pending`` if any awaits review, ``accepted`` when
all are accepted, ``none`` when the leaf cites nothing.
"""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
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
from evaluator.services.reviews import record_review
from evaluator.store.base import ReviewStatus, Role
from evaluator.store.contracts import Contract
from evaluator.store.registers import Citation
from evaluator.store.rounds import EvidenceFile, Round, SystemVersion

ORDER = ("rejected", "insufficient", "pending", "accepted")


def leaf_status(statuses: list[str]) -> str:
    """The evidence status of a leaf from its citations' statuses (module docstring)."""
    for status in ORDER:
        if status in statuses:
            return status
    return "none"


async def _unit_leaf(round_: Round, unit: str, leaf: str) -> None:
    from evaluator.services.contracts import round_units
    from evaluator.services.systems import system_of

    system = await system_of(await SystemVersion.get(id=round_.system_id))
    if leaf not in system.nodes or not system.nodes[leaf].is_leaf:
        raise InvalidInput(
            Problem(
                f"{leaf} is not a leaf of the round's indicator system",
                f"{leaf} 不是本轮指标体系的末级指标",
                path="leaf",
            )
        )
    if unit not in await round_units(round_, system):
        raise InvalidInput(
            Problem(
                f"{unit} is not evaluated in this round", f"{unit} 不在本轮评估范围内", path="unit"
            )
        )


async def _evidence_of(round_: Round, evidence_id) -> EvidenceFile:
    try:
        ident = uuid.UUID(str(evidence_id))
    except ValueError:
        ident = None
    found = await EvidenceFile.get_or_none(id=ident, round_id=round_.id) if ident else None
    if found is None:
        raise InvalidInput(
            Problem(
                f"no evidence {evidence_id} in this round",
                f"本轮次中没有佐证材料 {evidence_id}",
                path="evidence",
            )
        )
    return found


async def cite(actor: Actor, round_id, unit: str, leaf: str, evidence_id) -> tuple[Citation, bool]:
    """Cite an uploaded file for a leaf of a unit (the round's evaluators or its agency);
    (citation, created). Citing the same file for the same leaf again returns the existing one."""
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
    await _unit_leaf(round_, unit, leaf)
    file = await _evidence_of(round_, evidence_id)
    key = {"round_id": round_.id, "unit": unit, "leaf": leaf, "evidence_id": file.id}
    existing = await Citation.get_or_none(**key).prefetch_related("evidence")
    if existing is not None:
        return existing, False
    try:
        async with in_transaction() as conn:
            record = await Citation.create(
                round_id=round_.id,
                unit=unit,
                leaf=leaf,
                evidence_id=file.id,
                cited_by_id=actor.user_id,
                using_db=conn,
            )
            await audit.record(
                actor.username,
                "citation.create",
                "citation",
                record.id,
                None,
                {"round": str(round_.id), "unit": unit, "leaf": leaf, "evidence": str(file.id)},
                connection=conn,
            )
    except IntegrityError:  # cited concurrently
        return await Citation.get(**key).prefetch_related("evidence"), False
    await record.fetch_related("evidence")
    return record, True


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
        query = query.filter(unit=unit)
    if leaf:
        query = query.filter(leaf=leaf)
    return await query.prefetch_related("evidence").order_by("unit", "leaf", "created_at")


async def leaf_evidence(round_: Round, unit: str) -> dict[str, dict]:
    """Leaf code → {status, citations} for one unit (no permission check)."""
    out: dict[str, dict] = {}
    for c in (
        await Citation.filter(round_id=round_.id, unit=unit)
        .prefetch_related("evidence")
        .order_by("leaf", "created_at")
    ):
        entry = out.setdefault(c.leaf, {"status": "none", "citations": []})
        entry["citations"].append(citation_document(c))
    for entry in out.values():
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
