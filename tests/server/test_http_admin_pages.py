"""The account pages: a user changes their own password (the current one first, every
session ends); the administrator creates accounts, grants and revokes roles, disables and
re-enables, resets passwords — never leaving the service without an active administrator;
the holiday schedules are shown to everyone and added by the administrator, every problem
against its line."""

from __future__ import annotations

from api_fixtures import PASSWORD
from test_http_calendars import SCHEDULE_2027

from evaluator import clock
from evaluator.services import auth
from evaluator.store.audit import AuditEvent
from evaluator.store.orgs import Membership, User


def bearer(world, name: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


async def post(api, world, who: str, path: str, **form) -> object:
    return await api.client.post(path, headers=bearer(world, who), data=form)


async def test_a_user_changes_their_own_password_with_the_current_one(api, world):
    wrong = await post(api, world, "agency_a", "/account/password", current="nope", new="x" * 12)
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    same = await post(api, world, "agency_a", "/account/password", current=PASSWORD, new=PASSWORD)
    assert same.status_code == 422 and "新密码与当前密码相同" in same.text
    short = await post(api, world, "agency_a", "/account/password", current=PASSWORD, new="short")
    assert short.status_code == 422 and "密码至少需要" in short.text

    new = "a new long passphrase"
    done = await post(api, world, "agency_a", "/account/password", current=PASSWORD, new=new)
    assert done.status_code == 302 and done.headers["location"] == "/login?changed=1"
    assert await auth.authenticate(world.tokens["agency_a"]) is None  # every session ended
    assert (await auth.login("agency_a", new, "198.51.100.9")).token
    page = await api.client.get("/login?changed=1")
    assert "密码已修改" in page.text


async def test_the_administrator_manages_accounts_and_roles(api, world):
    bureau = world.county.bureau
    users = await api.client.get("/admin/users", headers=bearer(world, "admin"))
    assert users.status_code == 200 and 'id="user-agency_a"' in users.text

    created = await post(
        api,
        world,
        "admin",
        "/admin/users",
        action="create",
        username="zhang.san",
        display_name="张三",
        organisation=str(bureau.id),
        role="bureau_officer",
        password="first password 1",
    )
    assert created.status_code == 302 and created.headers["location"] == "/admin/users?done=create"
    user = await User.get(username="zhang.san")
    assert await Membership.filter(user=user, role="bureau_officer").count() == 1
    assert (await auth.login("zhang.san", "first password 1", "198.51.100.9")).token

    again = await post(
        api, world, "admin", "/admin/users", action="grant", username="zhang.san",
        organisation=str(bureau.id), role="bureau_officer",
    )  # fmt: skip
    assert again.status_code == 409 and 'id="user-zhang.san"' in again.text  # shown on the page
    auditor = await post(
        api, world, "admin", "/admin/users", action="grant", username="zhang.san",
        organisation=str(bureau.id), role="auditor",
    )  # fmt: skip
    assert auditor.status_code == 302
    revoked = await post(
        api, world, "admin", "/admin/users", action="revoke", username="zhang.san",
        organisation=str(bureau.id), role="bureau_officer",
    )  # fmt: skip
    assert revoked.status_code == 302
    assert [m.role.value for m in await Membership.filter(user=user)] == ["auditor"]

    disabled = await post(
        api, world, "admin", "/admin/users", action="disable", username="zhang.san"
    )
    assert disabled.status_code == 302
    assert not (await User.get(username="zhang.san")).active
    reset = await post(
        api, world, "admin", "/admin/users", action="password", username="zhang.san",
        password="second password 2",
    )  # fmt: skip
    assert reset.status_code == 302
    await post(api, world, "admin", "/admin/users", action="enable", username="zhang.san")
    assert (await auth.login("zhang.san", "second password 2", "198.51.100.9")).token

    bad = await post(
        api, world, "admin", "/admin/users", action="grant", username="zhang.san",
        organisation="not-an-id", role="auditor",
    )  # fmt: skip
    assert bad.status_code == 404 and "未找到机构" in bad.text

    actions = [e.action for e in await AuditEvent.filter(object_id=str(user.id)).order_by("seq")]
    assert actions == [
        "user.create",
        "membership.grant",
        "membership.grant",
        "membership.revoke",
        "user.disable",
        "user.password",
        "user.enable",
    ]


async def test_the_last_administrator_is_never_disabled_or_demoted(api, world):
    bureau = world.county.bureau
    for form in (
        {"action": "disable", "username": "admin"},
        {"action": "revoke", "username": "admin", "organisation": str(bureau.id), "role": "admin"},
    ):
        r = await post(api, world, "admin", "/admin/users", **form)
        assert r.status_code == 409 and "最后一名在用管理员" in r.text, form
    assert (await User.get(username="admin")).active
    assert await Membership.filter(user__username="admin", role="admin").count() == 1


async def test_other_users_see_no_account_list_and_change_nothing(api, world):
    for name in ("bureau", "agency_a", "evaluator", "auditor"):
        page = await api.client.get("/admin/users", headers=bearer(world, name))
        assert page.status_code == 403 and "agency_b" not in page.text, name
        r = await post(api, world, name, "/admin/users", action="disable", username="agency_b")
        assert r.status_code == 403 and "agency_b" not in r.text.split("<main", 1)[1], name
    assert (await User.get(username="agency_b")).active


async def test_the_holiday_schedules_page(api, world):
    clock.pin(clock.today().replace(year=2026))
    page = await api.client.get("/calendars?year=2026", headers=bearer(world, "agency_a"))
    assert page.status_code == 200 and "2026-10-01" in page.text and "国庆节" in page.text
    assert 'action="/calendars"' not in page.text  # only the administrator adds a year
    future = await api.client.get("/calendars?year=2031", headers=bearer(world, "bureau"))
    assert future.status_code == 200 and "暂定" in future.text

    broken = SCHEDULE_2027.replace("to: 2027-02-13", "to: 2027-13-45")
    r = await post(api, world, "admin", "/calendars", text=broken, name="2027.yaml")
    assert r.status_code == 422 and "未保存" in r.text
    line = broken.splitlines().index("    to: 2027-13-45") + 1
    assert f'<span id="line-{line}" class="bad">' in r.text and f'href="#line-{line}"' in r.text

    ok = await post(api, world, "admin", "/calendars", text=SCHEDULE_2027, name="2027.yaml")
    assert ok.status_code == 201 and 'id="added"' in ok.text and "2027-02-20" in ok.text
    assert "调休上班" in ok.text
