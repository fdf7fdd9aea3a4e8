"""Sessions over HTTP: login, the cookie, wrong passwords, throttling, logout, expiry."""

from __future__ import annotations

import datetime as dt
import logging

from api_fixtures import PASSWORD, Api, app_name, assert_problem

from evaluator.server import create_app
from evaluator.services import auth
from evaluator.services.auth import token_digest
from evaluator.store.auth import Session


async def test_login_returns_a_token_and_sets_a_strict_httponly_cookie(api, world):
    r = await api.post("/auth/login", json={"username": "bureau", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["user"]["username"] == "bureau"
    assert body["user"]["roles"] == [
        {"role": "bureau_officer", "organisation_id": str(world.county.bureau.id)}
    ]
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"evaluator_session={body['token']};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (local): a Secure cookie would never come back
    me = await api.get("/auth/me", token=body["token"])
    assert me.status_code == 200 and me.json()["username"] == "bureau"


async def test_the_cookie_is_secure_over_https_and_authenticates(db, world):
    app = create_app(app_name(), register_orm=False)
    app.config.PROXIES_COUNT = 1  # behind a TLS-terminating proxy that sanic trusts
    async with Api(app) as api:
        api.client.base_url = "https://evaluator.test"
        api.client.headers["X-Forwarded-Proto"] = "https"
        api.client.headers["X-Forwarded-For"] = "203.0.113.7"
        r = await api.post("/auth/login", json={"username": "auditor", "password": PASSWORD})
        assert "Secure" in r.headers["set-cookie"]
        me = await api.get("/auth/me")  # no Authorization header: the cookie jar sends the session
        assert me.status_code == 200 and me.json()["username"] == "auditor"
        forged = await api.post("/auth/logout")  # the cookie alone, as a cross-site form sends it
        assert_problem(forged, 403)
        out = await api.post("/auth/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
        assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
        assert_problem(
            await api.get("/auth/me", headers={"Cookie": f"evaluator_session={r.json()['token']}"}),
            401,
        )


async def test_wrong_password_is_a_401_problem_that_names_nothing(api, world, caplog):
    caplog.set_level(logging.DEBUG)
    r = await api.post("/auth/login", json={"username": "bureau", "password": "wrong password 1"})
    body = assert_problem(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"].startswith("Bearer")
    unknown = await api.post(
        "/auth/login", json={"username": "nobody", "password": "wrong password 1"}
    )
    assert unknown.json()["detail"] == body["detail"]  # whether the user exists is not revealed
    assert "wrong password 1" not in caplog.text


async def test_five_failures_throttle_the_account_with_retry_after(api, world):
    for _ in range(auth.MAX_ACCOUNT_FAILURES):
        assert (
            await api.post("/auth/login", json={"username": "lead", "password": "not the password"})
        ).status_code == 401
    r = await api.post(
        "/auth/login", json={"username": "lead", "password": PASSWORD}
    )  # even the right one
    assert_problem(r, 429, "too-many-attempts")
    assert 1 <= int(r.headers["retry-after"]) <= 15 * 60 + 1
    other = await api.post("/auth/login", json={"username": "evaluator", "password": PASSWORD})
    assert other.status_code == 200  # another account from the same address is not locked out


async def test_logout_revokes_the_token(api, world):
    token = world.tokens["evaluator"]
    assert (await api.post("/auth/logout", token=token)).status_code == 204
    body = assert_problem(await api.get("/auth/me", token=token), 401)
    assert "expired or signed out" in body["detail"]
    assert (await Session.get(token_hash=token_digest(token))).revoked_at is not None


async def test_an_expired_token_is_refused(api, world):
    token = world.tokens["agency_a"]
    await Session.filter(token_hash=token_digest(token)).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    assert_problem(await api.get("/rounds", token=token), 401, "unauthenticated")
    assert_problem(await api.get("/rounds", token="not-a-token"), 401)
    assert_problem(await api.get("/rounds", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


async def test_tokens_and_passwords_never_reach_the_log(api, world, caplog):
    caplog.set_level(logging.DEBUG)
    r = await api.post("/auth/login", json={"username": "auditor", "password": PASSWORD})
    token = r.json()["token"]
    await api.get("/auth/me", token=token)
    await api.post("/auth/logout", token=token)
    assert PASSWORD not in caplog.text and token not in caplog.text
