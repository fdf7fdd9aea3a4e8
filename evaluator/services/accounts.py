"""User accounts for the command line (`evaluator user …`, `--as USERNAME`): create with a
role in an organisation and a password; the actor a named user acts as. Changing passwords
and disabling live in ``services.auth``."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from evaluator.errors import InvalidInput, NotFound, Problem
from evaluator.services import contracts
from evaluator.services.actors import Actor, actor_for
from evaluator.services.auth import check_password_strength, hash_password
from evaluator.store.base import Role
from evaluator.store.orgs import Organisation, User


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
    organisation = await Organisation.get_or_none(id=organisation_id)
    if organisation is None:
        raise NotFound(
            Problem(
                f"no organisation {organisation_id}", f"未找到机构 {organisation_id}", path="org"
            )
        )
    hashed = await hash_password(password)
    async with in_transaction():  # user and role together, or neither
        user = await contracts.create_user(actor, username, display_name, hashed)
        await contracts.grant(actor, user, organisation, Role(role))
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
