"""Passwords (argon2id), opaque session tokens and login throttling.

- Passwords are hashed with argon2id off the event loop (≈ 0.25 s of CPU each).
- A session token is 32 random bytes (URL-safe base64); only its sha256 is stored. It
  expires (``SESSION_HOURS``, default 12) and is revoked by logout.
- Throttling: at most 5 attempts per account and 20 per address reach the password check
  in the 15 minutes opened by the first of them (a successful attempt gives its place
  back); further attempts are refused until the window has passed — even with the right
  password. Each attempt takes its place by one atomic upsert (``login_budget``) before
  the check, so the limits hold under any concurrency and across server processes; every
  attempt is also kept (``login_attempt``).
- Messages never say whether the user name exists; passwords and tokens are never logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from tortoise import connections
from tortoise.transactions import in_transaction

from evaluator import clock, settings
from evaluator.errors import AuthFailed, InvalidInput, NotFound, Problem, StateError, Throttled
from evaluator.services import audit
from evaluator.services.actors import Actor, actor_for, require
from evaluator.store.auth import LoginAttempt, Session
from evaluator.store.base import Role
from evaluator.store.orgs import Membership, User
from evaluator.store.sql import dialect_of, parameter

HASHER = PasswordHasher()  # argon2id with the library's current defaults
WINDOW = dt.timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
MIN_PASSWORD = 10
_DUMMY_HASH = HASHER.hash("an unused password to spend the same time")


def session_hours() -> float:
    return settings.get().session_hours


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            Problem(
                f"a password needs at least {MIN_PASSWORD} characters",
                f"密码至少需要 {MIN_PASSWORD} 个字符",
                path="password",
            )
        )


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (False for an empty or broken hash)."""
    return await _verify(stored, password)


async def _verify(stored: str, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(stored or _DUMMY_HASH, password) and bool(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: dt.datetime
    actor: Actor


# One statement takes one attempt from a bucket's budget and says how many the window has
# seen: a new bucket, or one whose window has passed, starts a window of one. The row is
# locked for the statement on PostgreSQL and the database on SQLite, so concurrent attempts
# (several workers included) are counted one by one. SET reads the row as it was.
_TAKE = """
INSERT INTO login_budget (bucket, window_start, used) VALUES ({0}, {1}, 1)
ON CONFLICT (bucket) DO UPDATE SET
  used = CASE WHEN login_budget.window_start <= {2} THEN 1 ELSE login_budget.used + 1 END,
  window_start = CASE WHEN login_budget.window_start <= {2}
                 THEN excluded.window_start ELSE login_budget.window_start END
RETURNING used, window_start
"""
_GIVE_BACK = """
UPDATE login_budget SET used = used - 1 WHERE bucket = {0} AND window_start = {1} AND used > 0
"""


def _sql(conn, template: str) -> str:
    """The statement with numbered parameters ($1 on PostgreSQL, ?1 on SQLite)."""
    return template.format(*(parameter(dialect_of(conn), i) for i in (1, 2, 3)))


async def _take(bucket: str, now: int) -> tuple[int, int]:
    """(attempts in the window including this one, the window's start)."""
    conn = connections.get("default")
    expired = now - int(WINDOW.total_seconds())
    (row,) = await conn.execute_query_dict(_sql(conn, _TAKE), [bucket, now, expired])
    return int(row["used"]), int(row["window_start"])


async def _give_back(bucket: str, window_start: int) -> None:
    """An attempt that did not fail (or never reached the password check) is returned."""
    conn = connections.get("default")
    await conn.execute_query(_sql(conn, _GIVE_BACK), [bucket, window_start])


async def _spend(username: str, address: str, now: dt.datetime) -> tuple[list, int | None]:
    """Take one attempt from the account's and the address's budgets: (what was taken,
    seconds to wait when either budget is spent — then nothing stays taken)."""
    seconds = int(now.timestamp())
    taken, wait = [], None
    for bucket, limit in (
        (f"account:{username}", MAX_ACCOUNT_FAILURES),
        (f"address:{address}", MAX_ADDRESS_FAILURES),
    ):
        used, start = await _take(bucket, seconds)
        taken.append((bucket, start))
        if used > limit:
            wait = max(1, start + int(WINDOW.total_seconds()) - seconds + 1)
            break
    if wait is not None:
        await _give_back_all(taken)
    return taken, wait


async def _give_back_all(taken: list[tuple[str, int]]) -> None:
    for bucket, start in taken:
        await _give_back(bucket, start)


async def login(username: str, password: str, address: str = "") -> Login:
    """Sign in. At most ``MAX_ACCOUNT_FAILURES`` attempts per account and
    ``MAX_ADDRESS_FAILURES`` per address reach the password check in a window: each attempt
    takes its place in both budgets before the check (atomically) and a successful one
    gives it back."""
    now = clock.now()
    username = (username or "").strip()[:64]
    address = (address or "")[:64]
    taken, wait = await _spend(username, address, now)
    if wait is not None:
        await LoginAttempt.create(username=username, address=address, success=False, at=now)
        raise Throttled(wait)
    try:
        user = await User.get_or_none(username=username)
        ok = await _verify(user.password_hash if user else "", password or "")
    except BaseException:
        # cancelled (the client went away) or failed before the answer was known: not a
        # failed guess, so its places are given back — else every dropped connection would
        # keep one until the window passes (found by the API load test: wrk closing eight
        # connections mid-sign-in three times spent an address's 20 places)
        await asyncio.shield(_give_back_all(taken))
        raise
    if not ok or user is None or not user.active:
        await LoginAttempt.create(username=username, address=address, success=False, at=now)
        raise AuthFailed(
            Problem(
                "wrong user name or password, or the account is disabled",
                "用户名或密码错误，或账号已停用",
            )
        )
    await _give_back_all(taken)
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=session_hours())
    async with in_transaction() as conn:
        await LoginAttempt.create(
            username=username, address=address, success=True, at=now, using_db=conn
        )
        session = await Session.create(
            user=user,
            token_hash=token_digest(token),
            expires_at=expires,
            address=address,
            using_db=conn,
        )
        await audit.record(
            user.username,
            "session.login",
            "session",
            session.id,
            None,
            {"address": address, "expires_at": expires.isoformat()},
            connection=conn,
        )
    return Login(token, expires, await actor_for(user))


async def authenticate(token: str | None) -> Actor | None:
    """The actor behind a bearer token, or None (unknown, expired, revoked, disabled)."""
    if not token or len(token) > 200:
        return None
    # one query for the session and its user (a join), one for the memberships
    session = await Session.filter(token_hash=token_digest(token)).select_related("user").first()
    now = clock.now()
    if (
        session is None
        or session.revoked_at is not None
        or session.expires_at <= now
        or not session.user.active
    ):
        return None
    return await actor_for(session.user)


async def _user_named(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(Problem(f"no user {username}", f"未找到用户 {username}"))
    return user


async def _revoke_sessions(user_id, conn) -> None:
    """End every open session of one user (a new password, a disabled account)."""
    await (
        Session.filter(user_id=user_id, revoked_at=None)
        .using_db(conn)
        .update(revoked_at=clock.now())
    )


async def logout(token: str) -> bool:
    session = await Session.get_or_none(token_hash=token_digest(token or ""), revoked_at=None)
    if session is None:
        return False
    user = await User.get(id=session.user_id)
    async with in_transaction() as conn:
        await Session.filter(id=session.id).using_db(conn).update(revoked_at=clock.now())
        await audit.record(
            user.username, "session.logout", "session", session.id, None, None, connection=conn
        )
    return True


# -- account administration (CLI `evaluator user …`) --------------------------------------
async def set_password(actor: Actor, username: str, password: str) -> User:
    require(
        actor.is_admin or actor.username == username,
        "only an administrator may set another user's password",
        "仅管理员可为他人设置密码",
    )
    check_password_strength(password)
    user = await _user_named(username)
    hashed = await hash_password(password)
    async with in_transaction() as conn:
        await User.filter(id=user.id).using_db(conn).update(password_hash=hashed)
        await _revoke_sessions(user.id, conn)
        await audit.record(
            actor.username,
            "user.password",
            "user",
            user.id,
            None,
            {"username": username},
            connection=conn,
        )
    return user


async def change_password(actor: Actor, current: str, new: str) -> User:
    """A user changes their own password: the current one first (a borrowed session alone
    cannot take the account), then the new one's strength; every session of the user ends,
    and the caller signs in again."""
    if actor.user_id is None:
        raise InvalidInput(Problem("the operator has no password", "系统操作员没有密码"))
    user = await User.get(id=actor.user_id)
    if not await verify_password(user.password_hash, current):
        raise InvalidInput(
            Problem("the current password is wrong", "当前密码不正确", path="current")
        )
    if new == current:
        raise InvalidInput(
            Problem(
                "the new password is the same as the current one",
                "新密码与当前密码相同",
                path="new",
            )
        )
    return await set_password(actor, user.username, new)


async def lock_administrators(conn) -> None:
    """Lock the administrators' roles (PostgreSQL) so that two concurrent removals cannot
    each leave the other as the last one and then remove it."""
    await Membership.filter(role=Role.ADMIN).using_db(conn).select_for_update()


async def keep_an_administrator(conn) -> None:
    """After a change (inside its transaction): refuse it when no active administrator is
    left, since nobody could manage accounts any more (the transaction rolls back)."""
    if not await Membership.filter(role=Role.ADMIN, user__active=True).using_db(conn).exists():
        raise StateError(
            Problem(
                "the last active administrator cannot be disabled or lose the role",
                "最后一名在用管理员不能停用或撤销其角色",
            )
        )


async def set_active(actor: Actor, username: str, active: bool) -> User:
    require(
        actor.is_admin,
        "only an administrator may enable or disable accounts",
        "仅管理员可启用或停用账号",
    )
    user = await _user_named(username)
    async with in_transaction() as conn:
        await lock_administrators(conn)
        await User.filter(id=user.id).using_db(conn).update(active=active)
        admin = await Membership.filter(user_id=user.id, role=Role.ADMIN).using_db(conn).exists()
        if not active and admin:
            await keep_an_administrator(conn)
        if not active:
            await _revoke_sessions(user.id, conn)
        await audit.record(
            actor.username,
            "user.enable" if active else "user.disable",
            "user",
            user.id,
            {"active": user.active},
            {"active": active},
            connection=conn,
        )
    return await User.get(id=user.id)
