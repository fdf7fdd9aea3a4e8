"""The administrative divisions (province → city → county → township) as plain nodes: the
regions below one, the ones above, and the regions of a user's bureaus."""

from __future__ import annotations

from evaluator.decisions.rollup import RegionNode
from evaluator.services.actors import Actor
from evaluator.store.base import Role
from evaluator.store.orgs import Organisation, Region


async def all_regions() -> dict[str, RegionNode]:
    rows = await Region.all().values_list("code", "name", "level", "parent_id")
    return {c: RegionNode(c, n, str(level), p) for c, n, level, p in rows}


def below(regions: dict[str, RegionNode], root: str) -> set[str]:
    """``root`` and every region under it."""
    children: dict[str, list[str]] = {}
    for r in regions.values():
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r.code)
    found, todo = set(), [root]
    while todo:
        code = todo.pop()
        found.add(code)
        todo.extend(children.get(code, []))
    return found


def ancestors(regions: dict[str, RegionNode], code: str | None) -> list[str]:
    """``code`` and the regions above it, nearest first."""
    out: list[str] = []
    while code is not None and code in regions and code not in out:
        out.append(code)
        code = regions[code].parent
    return out


async def bureau_regions(actor: Actor) -> dict:
    """Bureau id → its region code, for the bureaus the actor is an officer of that have one."""
    return dict(
        await Organisation.filter(
            id__in=list(actor.orgs(Role.BUREAU_OFFICER)), region_id__isnull=False
        ).values_list("id", "region_id")
    )
