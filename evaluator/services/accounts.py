"""User accounts (`evaluator user …`, `--as USERNAME`, the administrator's users page):
create with a role in an organisation and a password, list every account with its roles,
grant and revoke roles (never the last administrator's); the actor a named user acts as.
Changing passwords and disabling live in ``services.auth``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from evaluator.errors import ConflictError, InvalidInput, NotFound, Problem
from evaluator.services import audit
from evaluator.services import organisations as org_svc
from evaluator.services.actors import Actor, actor_for, require
from evaluator.services.auth import (
    check_password_strength,
    hash_password,
    keep_an_administrator,
    lock_administrators,
)
from evaluator.store.base import Role
from evaluator.store.orgs import Membership, Organisation, User


async def create_account(
    actor: Actor,
    username: str,
    *,
    organisation_id,
    role: Role | str,
    password: str,
    display_name: str = "",
) -> User:
    """A new user holding ``role`` (a ``Role`` or its value) in the organisation, with an
    argon2id password hash."""
    check_password_strength(password)
    organisation = await _organisation(organisation_id)
    hashed = await hash_password(password)
    async with in_transaction():  # user and role together, or neither
        user = await org_svc.create_user(actor, username, display_name, hashed)
        await org_svc.grant(actor, user, organisation, Role(role))
    return user


async def actor_named(username: str | None, *, path: str = "username") -> Actor:
    """The actor the user ``username`` is, with their roles; no name: the system operator
    (an administrator). An unknown name is an invalid input at ``path``."""
    if not username:
        return Actor.system()
    user = await User.get_or_none(username=username)
    if user is None:
        raise InvalidInput(Problem(f"no user {username!r}", f"没有用户 {username!r}", path=path))
    return await actor_for(user)


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    active: bool
    roles: list[dict]  # {organisation: id, organisation_name, role}


def _admin_only(actor: Actor) -> None:
    require(actor.is_admin, "only an administrator manages accounts", "仅管理员可管理账号")


async def list_accounts(actor: Actor) -> list[Account]:
    """Every account with its roles, by user name (administrators)."""
    _admin_only(actor)
    users = await User.all().order_by("username").prefetch_related("memberships__organisation")
    return [
        Account(
            u.username,
            u.display_name,
            u.active,
            sorted(
                (
                    {
                        "organisation": str(m.organisation.id),
                        "organisation_name": m.organisation.name,
                        "role": m.role.value,
                    }
                    for m in u.memberships
                ),
                key=lambda r: (r["organisation_name"], r["role"]),
            ),
        )
        for u in users
    ]


async def organisations(actor: Actor) -> list[Organisation]:
    """Every organisation a role may be held in, by kind and name (administrators)."""
    _admin_only(actor)
    return await Organisation.all().order_by("kind", "name")


async def _organisation(organisation_id) -> Organisation:
    """The organisation of an id (a text that is no id is an invalid input, not a 500)."""
    try:
        ident = uuid.UUID(str(organisation_id))
    except ValueError:
        ident = None
    organisation = await Organisation.get_or_none(id=ident) if ident else None
    if organisation is None:
        raise NotFound(
            Problem(
                f"no organisation {organisation_id}", f"未找到机构 {organisation_id}", path="org"
            )
        )
    return organisation


async def _user(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(Problem(f"no user {username!r}", f"没有用户 {username!r}", path="username"))
    return user


async def grant_role(actor: Actor, username: str, organisation_id, role: Role | str) -> None:
    """Give a user a role in an organisation (once: a second grant is 409)."""
    _admin_only(actor)
    user = await _user(username)
    organisation = await _organisation(organisation_id)
    try:
        await org_svc.grant(actor, user, organisation, Role(role))
    except IntegrityError:
        raise ConflictError(
            Problem(
                f"{username} already holds {Role(role).value} in {organisation.name}",
                f"{username} 已在 {organisation.name} 担任 {Role(role).value}",
            )
        ) from None


async def revoke_role(actor: Actor, username: str, organisation_id, role: Role | str) -> None:
    """Take a role back, audited. The last active administrator's role is never revoked
    (nobody could manage accounts after it)."""
    _admin_only(actor)
    user = await _user(username)
    role = Role(role)
    async with in_transaction() as conn:
        await lock_administrators(conn)
        membership = (
            await Membership.filter(
                user_id=user.id,
                organisation_id=(await _organisation(organisation_id)).id,
                role=role,
            )
            .using_db(conn)
            .first()
        )
        if membership is None:
            raise NotFound(
                Problem(f"{username} holds no such role", f"{username} 没有该角色", path="role")
            )
        await membership.delete(using_db=conn)
        if role is Role.ADMIN:
            await keep_an_administrator(conn)
        await audit.record(
            actor.username,
            "membership.revoke",
            "user",
            user.id,
            {"organisation": str(organisation_id), "role": role.value},
            None,
            connection=conn,
        )
