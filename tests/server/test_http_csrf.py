"""CSRF: with the session cookie, a state-changing request needs our CSRF token and must not
come from another site; bearer-token clients are unaffected (issue 16 point 6, issue 18)."""

from __future__ import annotations

from api_fixtures import PASSWORD, assert_problem


async def sign_in_by_cookie(api, username: str) -> str:
    r = await api.post("/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200
    return r.json()["csrf_token"]


async def test_cookie_writes_need_the_token_and_our_origin(api, world):
    csrf = await sign_in_by_cookie(api, "evaluator")
    r = world.county.round_a
    path = f"/rounds/{r.id}/scores/ST01/L00"
    assert_problem(await api.put(path, json={"value": 3}), 403, "forbidden")  # no token
    wrong = await api.put(path, json={"value": 3}, headers={"X-CSRF-Token": "0" * 64})
    assert_problem(wrong, 403)
    evil = await api.put(
        path,
        json={"value": 3},
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    body = assert_problem(evil, 403)
    assert body["problems"][0]["path"] == "origin"
    ok = await api.put(path, json={"value": 3}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    same = await api.put(
        path,
        json={"value": 4, "version": 1},
        headers={"X-CSRF-Token": csrf, "Origin": "http://evaluator.test"},
    )
    assert same.status_code == 200, same.text
    # reads need nothing more than the cookie
    assert (await api.get(f"/rounds/{r.id}/scores")).status_code == 200


async def test_a_cross_site_plain_text_upload_and_logout_are_refused(api, world):
    await sign_in_by_cookie(api, "evaluator")
    r = world.county.round_a
    upload = await api.post(
        f"/rounds/{r.id}/evidence?name=x.txt",
        content=b"hello",
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
    )
    assert_problem(upload, 403)
    upload = await api.post(
        f"/rounds/{r.id}/evidence?name=x.txt",
        content=b"hello",
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(upload, 403)  # same site but no token: refused too
    logout = await api.post("/auth/logout", headers={"Origin": "https://evil.example"})
    assert_problem(logout, 403)
    assert (await api.get("/auth/me")).status_code == 200  # still signed in


async def test_bearer_clients_are_unaffected_and_login_from_another_site_is_refused(api, world):
    r = world.county.round_a
    ok = await api.put(
        f"/rounds/{r.id}/scores/ST01/L01",
        json={"value": 3},
        token=world.tokens["evaluator"],
    )
    assert ok.status_code == 201
    login = await api.post(
        "/auth/login",
        json={"username": "bureau", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert_problem(login, 403)
