"""Conflicts of interest (利益冲突回避): an evaluator declares the organisations they are
tied to (employment, family, a past contract); they are never assigned to a round of a
contract whose service agency is one of them, and a tie declared after assignment takes
their values out of that round's results (scorecards, disagreements, reliability), from
then on. Declarations are append-only and audited; who declared what is seen by the
person, their evaluation agency's lead evaluators, administrators and auditors."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator.errors import AlreadyExists, ConflictError, InvalidInput, NotFound, Problem
from evaluator.services import audit
from evaluator.services.actors import Actor, require
from evaluator.store.base import Role, TieKind
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Declaration, Membership, Organisation, User
from evaluator.store.rounds import Round, RoundAssignment

KIND_ZH = {"employment": "任职", "family": "亲属", "past_contract": "曾有合同往来", "other": "其他"}


async def _organisation(text) -> Organisation:
    try:
        ident = uuid.UUID(str(text))
    except ValueError:
        ident = None
    found = await Organisation.get_or_none(id=ident) if ident else None
    if found is None:
        raise NotFound(
            Problem(f"no organisation {text}", f"未找到机构 {text}", path="organisation")
        )
    return found


async def declare(
    actor: Actor, organisation_id, kind: str, note: str = "", *, username: str | None = None
) -> tuple[Declaration, list[str]]:
    """Declare a tie (one's own; an administrator may record one for ``username``). Returns
    the declaration and the ids of the rounds whose results now leave the person's values
    out (they were assigned to a round of that agency's contracts)."""
    if username and username != actor.username:
        require(actor.is_admin, "only an administrator records another's tie", "仅管理员可代为申报")
        user = await User.get_or_none(username=username)
        if user is None:
            raise NotFound(Problem(f"no user {username}", f"没有用户 {username}", path="username"))
    else:
        if actor.user_id is None:
            raise InvalidInput(Problem("name the user (--as)", "请指明申报人", path="username"))
        user = await User.get(id=actor.user_id)
    if kind not in {k.value for k in TieKind}:
        raise InvalidInput(
            Problem(
                f"kind must be one of {', '.join(k.value for k in TieKind)}",
                f"关联类型须为 {', '.join(k.value for k in TieKind)} 之一",
                path="kind",
            )
        )
    organisation = await _organisation(organisation_id)
    affected = [
        str(r)
        for r in await RoundAssignment.filter(
            user_id=user.id, round__contract__agency_id=organisation.id
        ).values_list("round_id", flat=True)
    ]
    try:
        async with in_transaction() as conn:
            declaration = await Declaration.create(
                user=user, organisation=organisation, kind=TieKind(kind), note=note, using_db=conn
            )
            await audit.record(
                actor.username,
                "declaration.add",
                "user",
                user.id,
                None,
                {
                    "organisation": str(organisation.id),
                    "kind": kind,
                    "note": note,
                    "rounds_excluded": affected,
                },
                connection=conn,
            )
    except IntegrityError:
        raise AlreadyExists(
            Problem(
                f"{user.username} already declared this tie with {organisation.name}",
                f"{user.username} 已申报与 {organisation.name} 的此项关联",
            )
        ) from None
    return declaration, affected


async def list_declarations(actor: Actor) -> list[dict[str, Any]]:
    """One's own declarations; a lead sees their evaluation agencies' people's; an
    administrator or auditor everyone's."""
    query = Declaration.all()
    if not actor.sees_everything:
        agencies = list(actor.orgs(Role.LEAD_EVALUATOR))
        people = set(
            await Membership.filter(organisation_id__in=agencies).values_list("user_id", flat=True)
        )
        if actor.user_id is not None:
            people.add(actor.user_id)
        query = query.filter(user_id__in=list(people))
    rows = await query.prefetch_related("user", "organisation").order_by("created_at")
    return [
        {
            "id": str(d.id),
            "username": d.user.username,
            "organisation": str(d.organisation.id),
            "organisation_name": d.organisation.name,
            "kind": d.kind.value,
            "note": d.note,
            "declared_at": d.created_at,
        }
        for d in rows
    ]


async def refuse_conflicted(user: User, round_: Round) -> None:
    """409 when the user declared a tie to the agency whose contract the round evaluates."""
    contract = await Contract.get(id=round_.contract_id)
    tie = (
        await Declaration.filter(user_id=user.id, organisation_id=contract.agency_id)
        .prefetch_related("organisation")
        .first()
    )
    if tie is not None:
        raise ConflictError(
            Problem(
                f"{user.username} declared a tie ({tie.kind.value}) with {tie.organisation.name}, "
                "the agency this round evaluates: assign another evaluator",
                f"{user.username} 已申报与被评估机构 {tie.organisation.name} 存在利益关联"
                f"（{KIND_ZH[tie.kind.value]}），应回避：请分派其他评估员",
                path="username",
            )
        )


async def excluded_raters(round_: Round, conn=None) -> set[str]:
    """The ids of the round's raters who declared a tie with its contract's agency."""
    contract = await Contract.get(id=round_.contract_id).using_db(conn)
    tied = await (
        Declaration.filter(
            organisation_id=contract.agency_id, user__assignments__round_id=round_.id
        )
        .using_db(conn)
        .values_list("user_id", flat=True)
    )
    return {str(u) for u in tied}
