"""Organisations, their people and regions: administrators create organisations (a
township government needs a township region) and user accounts and grant roles; each write
audited with its event."""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from evaluator.errors import InvalidInput, Problem
from evaluator.services import audit
from evaluator.services.actors import Actor, require
from evaluator.services.townships import check_government, check_membership
from evaluator.store.base import OrgKind, RegionLevel, Role
from evaluator.store.db import unique_or_exists
from evaluator.store.orgs import Membership, Organisation, Region, User


def _admin(actor: Actor) -> None:
    require(actor.is_admin, "only an administrator may do this", "仅管理员可执行此操作")


async def ensure_region(
    code: str, name: str, level: RegionLevel, parent: Region | None = None
) -> Region:
    region, _ = await Region.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return region


async def create_organisation(actor: Actor, kind: OrgKind, name: str, **details) -> Organisation:
    """An organisation (administrators). ``region``: a Region or its code; a township
    government (``OrgKind.TOWNSHIP``) needs a township (乡镇/街道) region."""
    _admin(actor)
    region = details.get("region")
    if isinstance(region, str):
        found = await Region.get_or_none(code=region)
        if found is None:
            raise InvalidInput(
                Problem(f"no region {region}", f"未找到行政区划 {region}", path="region")
            )
        details["region"] = region = found
    check_government(kind, region)
    with unique_or_exists(
        "an organisation with this credit code already exists", "该统一社会信用代码的机构已存在"
    ):
        return await _create_organisation(actor, kind, name, **details)


async def _create_organisation(actor: Actor, kind: OrgKind, name: str, **details) -> Organisation:
    async with in_transaction() as conn:
        org = await Organisation.create(kind=kind, name=name, using_db=conn, **details)
        await audit.record(
            actor.username,
            "organisation.create",
            "organisation",
            org.id,
            None,
            {"kind": kind.value, "name": name, **_plain(details)},
            connection=conn,
        )
    return org


async def create_user(
    actor: Actor, username: str, display_name: str = "", password_hash: str = ""
) -> User:
    _admin(actor)
    with unique_or_exists(f"user {username} already exists", f"用户 {username} 已存在"):
        return await _create_user(actor, username, display_name, password_hash)


async def _create_user(actor: Actor, username: str, display_name: str, password_hash: str) -> User:
    async with in_transaction() as conn:
        user = await User.create(
            username=username, display_name=display_name, password_hash=password_hash, using_db=conn
        )
        await audit.record(
            actor.username,
            "user.create",
            "user",
            user.id,
            None,
            {"username": username},
            connection=conn,
        )
    return user


async def grant(actor: Actor, user: User, organisation: Organisation, role: Role) -> Membership:
    """Give ``user`` ``role`` in ``organisation`` (administrators). A township government's
    members are township officials, and a township official belongs to one."""
    _admin(actor)
    check_membership(role, organisation)
    async with in_transaction() as conn:
        m = await Membership.create(user=user, organisation=organisation, role=role, using_db=conn)
        await audit.record(
            actor.username,
            "membership.grant",
            "user",
            user.id,
            None,
            {"organisation": str(organisation.id), "role": role.value},
            connection=conn,
        )
    return m


def _plain(details: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in details.items()}
