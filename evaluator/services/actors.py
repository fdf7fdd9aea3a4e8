"""Who is acting: a user with their roles per organisation, and what they may see.

Visibility (the scope every read and write is filtered by):

- admin, auditor: everything;
- bureau officer: contracts their bureau bought, and the stations, rounds and scores below;
  an officer of a city's or a province's civil-affairs bureau: the spot checks their bureau
  commissioned (``Round.commissioned_by``), the stations they sample and their scores — not
  the contract;
- evaluator, lead evaluator: the rounds they are assigned to;
- township official (乡镇/街道): the stations of their township and the final or annual
  rounds they are assigned to rate them in for the purchaser — no contract, no other station,
  no agency, no score but their own (docs/decisions.md#the-township-rates-its-station);
- agency user: contracts their agency holds, the stations linked to them (from the day the
  link starts, and after it ends), their rounds — and scores only once a round is approved
  (blind until published).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from evaluator import clock
from evaluator.decisions.words import ROUND_STATE_ZH
from evaluator.errors import LockedError, NotFound, PermissionDenied, Problem, StateError
from evaluator.store.base import PANEL_ROLES, OrgKind, Role, RoundState
from evaluator.store.contracts import Contract, ContractStation, Station
from evaluator.store.orgs import Membership, Organisation, User
from evaluator.store.rounds import Round, RoundAssignment, SampledStation


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: uuid.UUID | None = None
    roles: frozenset[tuple[Role, uuid.UUID | None]] = field(default_factory=frozenset)

    @classmethod
    def system(cls) -> Actor:
        """The actor of command-line administration and the demo loader."""
        return cls(username="system", roles=frozenset({(Role.ADMIN, None)}))

    def has(self, role: Role, org: uuid.UUID | None = None) -> bool:
        return any(r == role and (org is None or o == org) for r, o in self.roles)

    def orgs(self, role: Role) -> set[uuid.UUID]:
        return {o for r, o in self.roles if r == role and o is not None}

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)

    @property
    def sees_everything(self) -> bool:
        return self.has(Role.ADMIN) or self.has(Role.AUDITOR)


async def actor_for(user: User) -> Actor:
    memberships = await Membership.filter(user=user).values_list("role", "organisation_id")
    return Actor(
        username=user.username,
        user_id=user.id,
        roles=frozenset((Role(r), o) for r, o in memberships),
    )


def require(condition: bool, en: str, zh: str) -> None:
    if not condition:
        raise PermissionDenied(Problem(en, zh))


def not_found(kind: str, kind_zh: str, ident) -> NotFound:
    return NotFound(Problem(f"no {kind} {ident}", f"未找到{kind_zh} {ident}"))


# -- scopes -------------------------------------------------------------------------------
def contract_scope(actor: Actor) -> QuerySet[Contract]:
    if actor.sees_everything:
        return Contract.all()
    q = Q(buyer_id__in=list(actor.orgs(Role.BUREAU_OFFICER))) | Q(
        agency_id__in=list(actor.orgs(Role.AGENCY_USER))
    )
    if actor.user_id is not None:  # a township official's assignment shows no contract
        q |= Q(
            rounds__assignments__user_id=actor.user_id,
            rounds__assignments__role__in=list(PANEL_ROLES),
        )
    return Contract.filter(q).distinct()


def round_scope(actor: Actor, *, panel_only: bool = False) -> QuerySet[Round]:
    """The rounds the actor sees; ``panel_only``: without those seen only as a township
    official assigned to rate their stations."""
    if actor.sees_everything:
        return Round.all()
    q = (
        Q(contract__buyer_id__in=list(actor.orgs(Role.BUREAU_OFFICER)))
        | Q(contract__agency_id__in=list(actor.orgs(Role.AGENCY_USER)))
        # the evaluation agency's lead sees every round given to the agency, to staff it
        | Q(evaluation_agency_id__in=list(actor.orgs(Role.LEAD_EVALUATOR)))
        # a city's or a province's bureau sees the spot checks it commissioned
        | Q(commissioned_by_id__in=list(actor.orgs(Role.BUREAU_OFFICER)))
    )
    if actor.user_id is not None:
        q |= (
            Q(assignments__user_id=actor.user_id, assignments__role__in=list(PANEL_ROLES))
            if panel_only
            else Q(assignments__user_id=actor.user_id)
        )
    return Round.filter(q).distinct()


def station_scope(actor: Actor) -> QuerySet[Station]:
    if actor.sees_everything:
        return Station.all()
    # an agency sees a station from the day its link starts, and keeps seeing it (its
    # history) after the link ends
    bureaus = list(actor.orgs(Role.BUREAU_OFFICER))
    q = (
        Q(bureau_id__in=bureaus)
        | Q(
            contract_links__contract__agency_id__in=list(actor.orgs(Role.AGENCY_USER)),
            contract_links__valid_from__lte=clock.today(),
        )
        # the stations a city's or a province's bureau samples in its spot checks
        | Q(sampled_in__sample__round__commissioned_by_id__in=bureaus)
        # a township official: the stations of their township
        | Q(township__organisations__id__in=list(actor.orgs(Role.TOWNSHIP_OFFICIAL)))
    )
    if actor.user_id is not None:
        q |= Q(
            contract_links__contract__rounds__assignments__user_id=actor.user_id,
            contract_links__contract__rounds__assignments__role__in=list(PANEL_ROLES),
        )
    return Station.filter(q).distinct()


async def organisation_scope(actor: Actor) -> QuerySet[Organisation]:
    if actor.sees_everything:
        return Organisation.all()
    ids = {o for _, o in actor.roles if o is not None}
    for buyer, agency in await contract_scope(actor).values_list("buyer_id", "agency_id"):
        ids |= {buyer, agency}
    ids |= set(
        await round_scope(actor, panel_only=True).values_list("evaluation_agency_id", flat=True)
    )
    q = Q(id__in=list(ids))
    if actor.orgs(Role.BUREAU_OFFICER):
        q |= Q(kind__in=[OrgKind.SERVICE_AGENCY, OrgKind.EVALUATION_AGENCY])
    return Organisation.filter(q)


async def get_organisation(actor: Actor, organisation_id) -> Organisation:
    found = await (await organisation_scope(actor)).filter(id=organisation_id).first()
    if found is None:
        raise not_found("organisation", "机构", organisation_id)
    return found


async def get_round(actor: Actor, round_id) -> Round:
    found = await Round.filter(id=round_id).first()
    if found is None or not await may_see_round(actor, found):
        raise not_found("round", "评估轮次", round_id)
    return found


async def get_contract(actor: Actor, contract_id) -> Contract:
    found = await contract_scope(actor).filter(id=contract_id).first()
    if found is None:
        raise not_found("contract", "合同", contract_id)
    return found


async def get_station(actor: Actor, station_id) -> Station:
    found = await Station.filter(id=station_id).first()
    if found is None or not await may_see_station(actor, found):
        raise not_found("station", "社工站", station_id)
    return found


# -- one object's visibility ------------------------------------------------------------------
# The scopes above filter lists in SQL; reading one object by its id, the same rules are
# checked on the row, cheapest first, so that a bureau's or an agency's read of a round or
# a station costs one primary-key query (every scorecard read starts with both).
# tests/services/test_visibility.py proves each predicate equal to its scope for every
# actor and object of a county.
_parties: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID]] = {}


async def contract_parties(contract_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """(buyer, agency) of a contract, kept per worker: a contract's parties never change
    (no code path updates them; an amendment is a new contract)."""
    found = _parties.get(contract_id)
    if found is None:
        buyer, agency = (
            await Contract.filter(id=contract_id).first().values_list("buyer_id", "agency_id")
        )
        found = _parties[contract_id] = (buyer, agency)
    return found


async def may_see_round(actor: Actor, round_: Round) -> bool:
    """Whether ``round_`` is in :func:`round_scope` of the actor."""
    if actor.sees_everything:
        return True
    buyer, agency = await contract_parties(round_.contract_id)
    if (
        buyer in actor.orgs(Role.BUREAU_OFFICER)
        or agency in actor.orgs(Role.AGENCY_USER)
        or round_.evaluation_agency_id in actor.orgs(Role.LEAD_EVALUATOR)
        or round_.commissioned_by_id in actor.orgs(Role.BUREAU_OFFICER)
    ):
        return True
    return (
        actor.user_id is not None
        and await RoundAssignment.filter(round_id=round_.id, user_id=actor.user_id).exists()
    )


async def may_see_station(actor: Actor, station: Station) -> bool:
    """Whether ``station`` is in :func:`station_scope` of the actor."""
    if actor.sees_everything or station.bureau_id in actor.orgs(Role.BUREAU_OFFICER):
        return True
    bureaus = list(actor.orgs(Role.BUREAU_OFFICER))
    if (
        bureaus
        and await SampledStation.filter(
            station_id=station.id, sample__round__commissioned_by_id__in=bureaus
        ).exists()
    ):
        return True
    agencies = list(actor.orgs(Role.AGENCY_USER))
    if (
        agencies
        and await ContractStation.filter(
            station_id=station.id,
            contract__agency_id__in=agencies,
            valid_from__lte=clock.today(),
        ).exists()
    ):
        return True
    townships = list(actor.orgs(Role.TOWNSHIP_OFFICIAL))
    if (
        townships
        and station.township_id is not None
        and await Organisation.filter(id__in=townships, region_id=station.township_id).exists()
    ):
        return True
    return (
        actor.user_id is not None
        and await ContractStation.filter(
            station_id=station.id,
            contract__rounds__assignments__user_id=actor.user_id,
            contract__rounds__assignments__role__in=list(PANEL_ROLES),
        ).exists()
    )


def round_bureau(round_: Round, buyer: uuid.UUID) -> uuid.UUID:
    """The bureau that takes the bureau's part in a round (sees its scores while it is
    open; returns, approves and reopens it): the spot check's commissioner, else the
    buying bureau."""
    return round_.commissioned_by_id or buyer


async def assignment_of(actor: Actor, round_: Round) -> RoundAssignment | None:
    """The actor's assignment to the round (role, rater role, part submitted), if any."""
    if actor.user_id is None:
        return None
    return await RoundAssignment.filter(round_id=round_.id, user_id=actor.user_id).first()


async def assignment_role(actor: Actor, round_: Round) -> Role | None:
    """The actor's role on the round's evaluation panel (evaluator or lead evaluator), which
    opens the round's evidence, registers, gaps and findings to them; None for anyone else —
    a township official assigned to rate their stations included (they score through
    :func:`assignment_of` and see nothing more)."""
    found = await assignment_of(actor, round_)
    return found.role if found and found.role in PANEL_ROLES else None


async def may_see_scores(actor: Actor, round_: Round) -> bool:
    """Agency users see a round's scores only once it is approved (blind until published)."""
    if actor.sees_everything:
        return True
    buyer, agency = await contract_parties(round_.contract_id)
    bureaus = actor.orgs(Role.BUREAU_OFFICER)
    approved = round_.state == RoundState.APPROVED
    # the buying bureau sees a spot check another bureau commissioned once it is approved
    if round_bureau(round_, buyer) in bureaus or (
        approved and (buyer in bureaus or agency in actor.orgs(Role.AGENCY_USER))
    ):
        return True
    return await assignment_role(actor, round_) is not None


async def blind_rater(actor: Actor, round_: Round) -> bool:
    """Whether the actor scores the round as one of its panel (not its lead) while it takes
    scores: such a rater sees only their own values (a panel is blind), whatever else."""
    if actor.sees_everything or round_.state not in WRITABLE:
        return False
    mine = await assignment_of(actor, round_)
    if mine is None or mine.role != Role.EVALUATOR or mine.submitted_at is not None:
        return False  # not a rater of the panel, or one who submitted their part
    buyer, _ = await contract_parties(round_.contract_id)
    return round_bureau(round_, buyer) not in actor.orgs(Role.BUREAU_OFFICER)


async def may_see_results(actor: Actor, round_: Round) -> bool:
    """Results computed from every rater's values (scorecards, summaries, sensitivity):
    those who may see the scores, except a blind rater of the panel."""
    return await may_see_scores(actor, round_) and not await blind_rater(actor, round_)


async def require_results(actor: Actor, round_: Round) -> None:
    """PermissionDenied unless the actor may see the round's results (why, in both tongues)."""
    if await blind_rater(actor, round_):
        raise PermissionDenied(
            Problem(
                "a panel is blind: the round's results show once it is submitted",
                "评分期间评估员互不可见：轮次提交后方可查看评分结果",
            )
        )
    if not await may_see_scores(actor, round_):
        raise PermissionDenied(
            Problem("scores are published when the round is approved", "评估结果在轮次审定后公布")
        )


WRITABLE = {
    RoundState.OPEN,
    RoundState.REOPENED,
}  # the states in which a round takes scores and evidence


def check_writable(round_: Round) -> None:
    if round_.state == RoundState.APPROVED:
        raise LockedError(
            Problem(
                "the round is approved and locked; it must be reopened first",
                "轮次已审定锁定，须先重新开启",
            )
        )
    if round_.state not in WRITABLE:
        raise StateError(
            Problem(
                f"scores can be written only while the round is open (it is {round_.state.value})",
                f"仅在轮次开启期间可录入评分（当前为“{ROUND_STATE_ZH[round_.state.value]}”）",
            )
        )


async def system_user_id(conn=None) -> uuid.UUID:
    """The id of the inactive ``system`` user that command-line actions are recorded under."""
    user, _ = await User.get_or_create(
        username="system", defaults={"display_name": "System 系统", "active": False}, using_db=conn
    )
    return user.id


def buys(actor: Actor, contract: Contract) -> bool:
    """The actor is an officer of the contract's buying bureau (or an administrator)."""
    return actor.is_admin or actor.has(Role.BUREAU_OFFICER, contract.buyer_id)
