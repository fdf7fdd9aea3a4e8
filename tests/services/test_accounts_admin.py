"""Account administration keeps an active administrator: two administrators disabling (or
demoting) each other at the same moment leave exactly one (the administrators' roles are
locked; on SQLite writes are serialised anyway)."""

from __future__ import annotations

import asyncio
import contextlib

from workflow_fixtures import build_county

from evaluator.errors import StateError
from evaluator.services import accounts, auth
from evaluator.services import organisations as org_svc
from evaluator.services.actors import Actor, actor_for
from evaluator.store.base import Role
from evaluator.store.orgs import Membership, User


def meet_before_checking(monkeypatch) -> None:
    """Hold each change after its write until the other has written too (or 0.5 s passed):
    without the lock both would see the other administrator still there."""
    arrived: list[int] = []
    both = asyncio.Event()
    check = auth.keep_an_administrator

    async def held(conn) -> None:
        arrived.append(1)
        if len(arrived) >= 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), 0.5)
        await check(conn)

    monkeypatch.setattr(auth, "keep_an_administrator", held)
    monkeypatch.setattr(accounts, "keep_an_administrator", held)


async def two_administrators():
    county = await build_county()
    admins = []
    for name in ("root1", "root2"):
        user = await org_svc.create_user(Actor.system(), name)
        await org_svc.grant(Actor.system(), user, county.bureau, Role.ADMIN)
        admins.append(await actor_for(user))
    return county, admins


async def test_two_administrators_disabling_each_other_leave_one(db, monkeypatch):
    _, (a, b) = await two_administrators()
    meet_before_checking(monkeypatch)
    outcomes = await asyncio.gather(
        auth.set_active(a, "root2", False),
        auth.set_active(b, "root1", False),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, StateError)]
    assert len(refused) == 1, outcomes
    assert await User.filter(username__in=["root1", "root2"], active=True).count() == 1


async def test_two_administrators_demoting_each_other_leave_one(db, monkeypatch):
    county, (a, b) = await two_administrators()
    meet_before_checking(monkeypatch)
    outcomes = await asyncio.gather(
        accounts.revoke_role(a, "root2", county.bureau.id, Role.ADMIN),
        accounts.revoke_role(b, "root1", county.bureau.id, Role.ADMIN),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, StateError)]
    assert len(refused) == 1, outcomes
    assert await Membership.filter(role=Role.ADMIN).count() == 1
