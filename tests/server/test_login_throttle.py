"""Throttling that counts atomically (issue 18): whatever the concurrency, at most
MAX_ACCOUNT_FAILURES attempts per account and MAX_ADDRESS_FAILURES per address reach the
password check in a window; a successful attempt gives its place back; the window passes.
In process on both databases, and over HTTP against two workers on PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from api_fixtures import PASSWORD
from services.two_workers import two_workers
from tortoise.expressions import F

from evaluator.errors import AuthFailed, Throttled
from evaluator.services import auth
from evaluator.store.auth import LoginBudget


def _count_checks(monkeypatch) -> list[str]:
    """The password checks made (the names of the accounts)."""
    checks: list[str] = []
    real = auth._verify

    async def counted(stored: str, password: str) -> bool:
        checks.append(password)
        await asyncio.sleep(0.01)  # let the other attempts run meanwhile
        return await real(stored, password)

    monkeypatch.setattr(auth, "_verify", counted)
    return checks


async def _attempts(pairs) -> list[str]:
    async def one(username: str, address: str) -> str:
        try:
            await auth.login(username, "not the password", address)
        except Throttled:
            return "429"
        except AuthFailed:
            return "401"
        return "200"

    return await asyncio.gather(*(one(u, a) for u, a in pairs))


async def test_sixty_parallel_guesses_at_one_account_reach_the_check_five_times(world, monkeypatch):
    checks = _count_checks(monkeypatch)
    answers = await _attempts([("lead", f"203.0.113.{i}") for i in range(60)])
    assert answers.count("401") == auth.MAX_ACCOUNT_FAILURES == len(checks)
    assert answers.count("429") == 60 - auth.MAX_ACCOUNT_FAILURES


async def test_sixty_parallel_guesses_from_one_address_reach_the_check_twenty_times(
    world, monkeypatch
):
    checks = _count_checks(monkeypatch)
    names = [f"nobody{i}" for i in range(60)]
    answers = await _attempts([(name, "203.0.113.9") for name in names])
    assert answers.count("401") == auth.MAX_ADDRESS_FAILURES == len(checks)
    assert answers.count("429") == 60 - auth.MAX_ADDRESS_FAILURES


async def test_a_success_gives_its_place_back_and_the_window_passes(world):
    def wrong():
        return auth.login("lead", "not the password", "203.0.113.1")

    for _ in range(auth.MAX_ACCOUNT_FAILURES - 1):
        with pytest.raises(AuthFailed):
            await wrong()
    await auth.login("lead", PASSWORD, "203.0.113.1")  # the fifth place, given back
    with pytest.raises(AuthFailed):
        await wrong()  # the fifth failure still reaches the check
    with pytest.raises(Throttled) as refused:
        await auth.login("lead", PASSWORD, "203.0.113.1")  # even the right password
    assert 1 <= refused.value.retry_after <= 15 * 60 + 1
    # the window passes (its start moved back by the window and a second)
    await LoginBudget.all().update(window_start=F("window_start") - (15 * 60 + 1))
    assert (await auth.login("lead", PASSWORD, "203.0.113.1")).token


async def test_two_workers_let_five_of_sixty_parallel_guesses_through(
    db, db_kind, evidence_dir, world
):
    if db_kind != "postgres":
        pytest.skip("races between sanic workers need PostgreSQL (SQLite allows one worker)")
    async with two_workers(db.url, evidence_dir) as base, httpx.AsyncClient(timeout=60) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{base}/api/v1/auth/login",
                    json={"username": "lead", "password": f"guess {i}"},
                )
                for i in range(60)
            )
        )
    codes = [a.status_code for a in answers]
    assert codes.count(401) == auth.MAX_ACCOUNT_FAILURES, codes
    assert codes.count(429) == 60 - auth.MAX_ACCOUNT_FAILURES, codes


async def test_a_sign_in_cancelled_before_the_check_answers_gives_its_places_back(
    world, monkeypatch
):
    """A client that goes away mid-sign-in (the server cancels the handler) is not a failed
    guess: its places return, so dropped connections cannot lock an address out."""
    started = asyncio.Event()

    async def slow(stored: str, password: str) -> bool:
        started.set()
        await asyncio.sleep(30)
        return False

    monkeypatch.setattr(auth, "_verify", slow)
    for _ in range(auth.MAX_ADDRESS_FAILURES + 5):
        started.clear()
        task = asyncio.create_task(auth.login("lead", PASSWORD, "203.0.113.7"))
        await asyncio.wait_for(started.wait(), 10)  # the check is reached (not throttled)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    used = dict(
        await LoginBudget.filter(bucket__in=["account:lead", "address:203.0.113.7"]).values_list(
            "bucket", "used"
        )
    )
    assert used == {"account:lead": 0, "address:203.0.113.7": 0}
    monkeypatch.undo()
    assert (await auth.login("lead", PASSWORD, "203.0.113.7")).token
