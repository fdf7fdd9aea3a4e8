"""The township takes part at year end (乡镇/街道参与年终评估): an official of a township
government (``OrgKind.TOWNSHIP``, its region a township) rates the stations of their township
for the purchaser. Put on a final or annual round's panel by its lead (services/panel_staff.py)
with the rater role ``purchaser``, they score the purchaser's leaves of their township's
stations only, submit their part, and see nothing else (services/actors.py): no contract, no
other station, no agency, no results, no other rater's values. The checks of a township
government (its region a township) and of its members (the role township_official) are here
too (services/contracts.py calls them)."""

from __future__ import annotations

from evaluator.errors import InvalidInput, Problem
from evaluator.store.base import YEAR_END, OrgKind, RegionLevel, Role
from evaluator.store.contracts import Station
from evaluator.store.orgs import Membership, Organisation, Region, User
from evaluator.store.rounds import Round, RoundAssignment

PURCHASER = "purchaser"  # the rater role a township official scores for


def check_government(kind: OrgKind, region: Region | None) -> None:
    """A township government's region is a township (else InvalidInput at ``region``)."""
    if kind == OrgKind.TOWNSHIP and (region is None or region.level != RegionLevel.TOWNSHIP):
        raise InvalidInput(
            Problem(
                "a township government's region must be a township (乡镇/街道)",
                "乡镇人民政府（街道办事处）的行政区划须为乡镇（街道）级",
                path="region",
            )
        )


def check_membership(role: Role, organisation: Organisation) -> None:
    """A township official is the role of a township government, and its only one (else
    InvalidInput at ``role``)."""
    if (role == Role.TOWNSHIP_OFFICIAL) != (organisation.kind == OrgKind.TOWNSHIP):
        raise InvalidInput(
            Problem(
                "a township official (township_official) is the role of a township government, "
                "its only one",
                "乡镇（街道）人员（township_official）只能是乡镇人民政府（街道办事处）的角色，"
                "乡镇人民政府（街道办事处）也只设此角色",
                path="role",
            )
        )


async def official_townships(user_id) -> set[str]:
    """The township regions (codes) of the township governments the user is an official of."""
    rows = await Membership.filter(
        user_id=user_id,
        role=Role.TOWNSHIP_OFFICIAL,
        organisation__kind=OrgKind.TOWNSHIP,
        organisation__region_id__isnull=False,
    ).values_list("organisation__region_id", flat=True)
    return {str(code) for code in rows}


async def township_units(user_id, units: list[str]) -> list[str]:
    """The units (station codes) of ``units`` in the user's townships, in their order."""
    townships = await official_townships(user_id)
    if not townships or not units:
        return []
    mine = set(
        await Station.filter(code__in=units, township_id__in=sorted(townships)).values_list(
            "code", flat=True
        )
    )
    return [u for u in units if u in mine]


async def rater_units(assignment: RoundAssignment | None, units: list[str]) -> list[str]:
    """The units a rater of the round scores: every one for the panel; for a township
    official, those in their township."""
    if assignment is None:
        return []
    if assignment.role == Role.TOWNSHIP_OFFICIAL:
        return await township_units(assignment.user_id, units)
    return units


async def check_township_assignment(
    round_: Round, user: User, rater_role: str, units: list[str]
) -> None:
    """A township official may rate this round: a final or annual one, for the purchaser,
    and one of its stations lies in their township (else InvalidInput naming the field)."""
    problems = []
    if round_.kind not in YEAR_END:
        problems.append(
            Problem(
                "a township official rates final and annual rounds only, not a "
                f"{round_.kind.value} round",
                "乡镇（街道）人员仅参与末期评估和年度评估",
                path="role",
            )
        )
    if rater_role != PURCHASER:
        problems.append(
            Problem(
                f"a township official scores for the purchaser, not the {rater_role}",
                "乡镇（街道）人员只能以购买方身份评分（purchaser）",
                path="rater_role",
            )
        )
    if not await township_units(user.id, units):
        problems.append(
            Problem(
                f"{user.username} is not an official of the township of a station this round "
                "scores",
                f"{user.username} 不是本轮所评社工站所在乡镇（街道）的工作人员",
                path="username",
            )
        )
    if problems:
        raise InvalidInput(problems)


async def township_candidates(units: list[str]) -> list[tuple[str, str]]:
    """(username, display name) of the active officials of the townships of ``units``."""
    townships = set(
        await Station.filter(code__in=units, township_id__isnull=False).values_list(
            "township_id", flat=True
        )
    )
    if not townships:
        return []
    orgs = await Organisation.filter(
        kind=OrgKind.TOWNSHIP, region_id__in=sorted(map(str, townships))
    ).values_list("id", flat=True)
    return list(
        await Membership.filter(
            organisation_id__in=list(orgs), role=Role.TOWNSHIP_OFFICIAL, user__active=True
        ).values_list("user__username", "user__display_name")
    )
