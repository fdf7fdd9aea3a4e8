"""Who scores a round (the panel): the evaluation agency's lead staffs it — evaluators of
the agency for the third party, the buying bureau's officers too for the other rater roles
(purchaser, supervisor, community), and in final and annual rounds the officials of a
scored station's township for the purchaser (services/townships.py); never the service
agency evaluated nor anyone with a declared tie; each rater submits their part (final; the
lead may give it back). Each change is one transaction with its audit event."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.errors import AlreadyExists, InvalidInput, Problem, StateError
from evaluator.services import audit, interests
from evaluator.services.actors import (
    Actor,
    assignment_of,
    assignment_role,
    check_writable,
    get_round,
    require,
)
from evaluator.services.cohorts import round_units
from evaluator.services.scoring_form import scoring_progress
from evaluator.services.systems import system_of
from evaluator.services.townships import (
    check_township_assignment,
    official_townships,
    township_candidates,
)
from evaluator.store.base import YEAR_END, Role
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Declaration, Membership, User
from evaluator.store.rounds import Round, RoundAssignment, SystemVersion
from evaluator.systems.schema import DEFAULT_ROLES


def _require_staffing(actor: Actor, round_: Round) -> None:
    require(
        actor.is_admin or actor.has(Role.LEAD_EVALUATOR, round_.evaluation_agency_id),
        "only the evaluation agency's lead or an administrator may assign evaluators",
        "仅评估机构主评估员或管理员可分派评估员",
    )


async def assign(
    actor: Actor, round_: Round, user: User, role: Role, rater_role: str = "third_party"
) -> RoundAssignment:
    """Put a person on the round's panel, scoring for one of the system's rater roles:
    the third party's evaluators (and its lead) come from the evaluation agency; the other
    roles (purchaser, supervisor, community …) from the evaluation agency or the buying
    bureau; the purchaser's in a final or annual round also from the officials of a scored
    station's township (assigned as ``township_official`` whichever of evaluator or that the
    lead names); never anyone of the service agency evaluated, nor anyone with a declared
    tie."""
    _require_staffing(actor, round_)
    if role not in (Role.EVALUATOR, Role.LEAD_EVALUATOR, Role.TOWNSHIP_OFFICIAL):
        raise InvalidInput(
            Problem(
                "assign an evaluator, a lead evaluator or a township official",
                "只能分派评估员、主评估员或乡镇（街道）人员",
                path="role",
            )
        )
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    codes = system.spec.role_codes
    if rater_role not in codes:
        raise InvalidInput(
            Problem(
                f"rater_role must be one of {', '.join(sorted(codes))}",
                f"评分角色须为 {', '.join(sorted(codes))} 之一",
                path="rater_role",
            )
        )
    if role == Role.LEAD_EVALUATOR and rater_role != "third_party":
        raise InvalidInput(
            Problem(
                "the lead evaluator scores for the third party",
                "主评估员代表第三方评估机构评分",
                path="rater_role",
            )
        )
    contract = await Contract.get(id=round_.contract_id)
    evaluator_of_agency = await Membership.filter(
        user_id=user.id,
        organisation_id=round_.evaluation_agency_id,
        role__in=[Role.EVALUATOR, Role.LEAD_EVALUATOR],
    ).exists()
    of_buyer = await Membership.filter(
        user_id=user.id, organisation_id=contract.buyer_id, role=Role.BUREAU_OFFICER
    ).exists()
    of_assessed = await Membership.filter(
        user_id=user.id, organisation_id=contract.agency_id
    ).exists()
    if not of_assessed and (
        role == Role.TOWNSHIP_OFFICIAL
        or (
            role == Role.EVALUATOR
            and not (evaluator_of_agency or of_buyer)
            and await official_townships(user.id)
        )
    ):
        role = Role.TOWNSHIP_OFFICIAL
        await check_township_assignment(round_, user, rater_role, await round_units(round_, system))
    elif of_assessed or not (evaluator_of_agency or (rater_role != "third_party" and of_buyer)):
        raise InvalidInput(
            Problem(
                f"{user.username} is not an evaluator of the round's evaluation agency"
                + ("" if rater_role == "third_party" else " nor an officer of the buying bureau"),
                f"{user.username} 不是本轮评估机构的评估员"
                + ("" if rater_role == "third_party" else "，也不是购买方的经办人"),
                path="username",
            )
        )
    await interests.refuse_conflicted(user, round_)  # a declared tie with the agency
    try:
        async with in_transaction() as conn:
            found = await RoundAssignment.create(
                round=round_, user=user, role=role, rater_role=rater_role, using_db=conn
            )
            await audit.record(
                actor.username,
                "round.assign",
                "round",
                round_.id,
                None,
                {"user": user.username, "role": role.value, "rater_role": rater_role},
                connection=conn,
            )
    except IntegrityError:
        raise AlreadyExists(
            Problem(
                f"{user.username} is already assigned to this round",
                f"{user.username} 已分派至本轮次",
            )
        ) from None
    return found


async def staffing(actor: Actor, round_id) -> dict | None:
    """Who scores the round and who could, for the evaluation agency's lead (and
    administrators): the assignments, and the agency's evaluators with any declared tie to
    the agency evaluated. None for anyone else."""
    round_ = await get_round(actor, round_id)
    if not (actor.is_admin or actor.has(Role.LEAD_EVALUATOR, round_.evaluation_agency_id)):
        return None
    rows = await RoundAssignment.filter(round_id=round_.id).values_list(
        "user__username", "role", "rater_role", "submitted_at"
    )
    assigned = {username: (role, rater, at) for username, role, rater, at in rows}
    contract = await Contract.get(id=round_.contract_id)
    tied = set(
        await Declaration.filter(organisation_id=contract.agency_id).values_list(
            "user__username", flat=True
        )
    )
    people = await Membership.filter(
        organisation_id=round_.evaluation_agency_id,
        role__in=[Role.EVALUATOR, Role.LEAD_EVALUATOR],
        user__active=True,
    ).values_list("user__username", "user__display_name", "role")
    candidates: dict[str, dict] = {}

    def candidate(username: str, display: str, *, bureau=False, township=False) -> dict:
        """A person the lead may put on the panel, once (the first way they qualify)."""
        return candidates.setdefault(
            username,
            {
                "username": username,
                "display_name": display,
                "lead": False,
                "tied": username in tied,
                "bureau": bureau,
                "township": township,
            },
        )

    for username, display, role in people:
        entry = candidate(username, display)
        entry["lead"] = entry["lead"] or role == Role.LEAD_EVALUATOR
    # the buying bureau's officers may score for the other rater roles (a purchaser's pool)
    for username, display in await Membership.filter(
        organisation_id=contract.buyer_id, role=Role.BUREAU_OFFICER, user__active=True
    ).values_list("user__username", "user__display_name"):
        candidate(username, display, bureau=True)
    system = await system_of(await SystemVersion.get(id=round_.system_id))
    # at year end the officials of a scored station's township, for the purchaser
    if round_.kind in YEAR_END and "purchaser" in system.spec.role_codes:
        for username, display in await township_candidates(await round_units(round_, system)):
            candidate(username, display, township=True)
    names = system.spec.roles or DEFAULT_ROLES
    return {
        "rater_roles": [
            {"code": code, "zh": names[code].zh, "en": names[code].en}
            for code in sorted(system.spec.role_codes, key=lambda c: (c != "third_party", c))
            if code in names
        ],
        "assigned": [
            {
                "username": u,
                "role": Role(r).value,
                "rater_role": rater,
                "rater_role_zh": names[rater].zh if rater in names else rater,
                "rater_role_en": names[rater].en if rater in names else rater,
                "submitted": at is not None,
            }
            for u, (r, rater, at) in sorted(assigned.items())
        ],
        "candidates": [c for u, c in sorted(candidates.items()) if u not in assigned],
    }


async def submit_part(actor: Actor, round_id) -> dict:
    """A rater of the panel submits their part: from then on they see the panel's results
    and their values are final (the lead may reopen their part). Audited."""
    round_ = await get_round(actor, round_id)
    mine = await assignment_of(actor, round_)
    require(
        mine is not None and mine.role in (Role.EVALUATOR, Role.TOWNSHIP_OFFICIAL),
        "only a rater of the panel submits their part",
        "仅本轮评估员可提交本人的评分",
    )
    assert mine is not None
    check_writable(round_)
    progress = await scoring_progress(actor, round_.id)
    unanswered = sum(p["total"] - p["done"] for p in progress)
    async with in_transaction() as conn:
        done = (
            await RoundAssignment.filter(id=mine.id, submitted_at__isnull=True)
            .using_db(conn)
            .update(submitted_at=clock.now())
        )
        if done != 1:
            raise StateError(Problem("your part is already submitted", "您已提交本人的评分"))
        await audit.record(
            actor.username,
            "round.submit_part",
            "round",
            round_.id,
            None,
            {"rater": actor.username, "rater_role": mine.rater_role, "unanswered": unanswered},
            connection=conn,
        )
    return {"round": str(round_.id), "rater": actor.username, "unanswered": unanswered}


async def reopen_part(actor: Actor, round_id, username: str, reason: str) -> None:
    """The round's lead gives a rater their submitted part back, with a reason. Audited."""
    round_ = await get_round(actor, round_id)
    require(
        actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR,
        "only the round's lead reopens a rater's part",
        "仅本轮主评估员可退回评估员的评分",
    )
    check_writable(round_)
    if not reason.strip():
        raise InvalidInput(Problem("a reason is needed", "须填写退回原因", path="reason"))
    user = await User.get_or_none(username=username)
    async with in_transaction() as conn:
        done = (
            await RoundAssignment.filter(
                round_id=round_.id, user_id=user.id if user else None, submitted_at__isnull=False
            )
            .using_db(conn)
            .update(submitted_at=None)
        )
        if done != 1:
            raise StateError(
                Problem(
                    f"{username} has no submitted part here", f"{username} 在本轮没有已提交的评分"
                )
            )
        await audit.record(
            actor.username,
            "round.reopen_part",
            "round",
            round_.id,
            None,
            {"rater": username, "reason": reason.strip()},
            connection=conn,
        )


async def assign_user(
    actor: Actor, round_id, username: str, role: Role, rater_role: str = "third_party"
) -> RoundAssignment:
    """``assign`` with the round by id (in the actor's scope) and the user by name."""
    round_ = await get_round(actor, round_id)
    _require_staffing(actor, round_)  # who may, before which user
    user = await User.get_or_none(username=username)
    if user is None:
        raise InvalidInput(Problem(f"no user {username}", f"没有用户 {username}", path="username"))
    return await assign(actor, round_, user, role, rater_role)
