"""Who may open or post each HTML page (the API's table is test_http_matrix.py): every page
route has a row, anonymous callers are sent to the sign-in page, an agency never opens
another agency's round or station, writes follow the services' rules, and every page
carries the security headers."""

from __future__ import annotations

import pytest
from api_fixtures import approved_with_evidence, fresh_round

from evaluator.server.web.render import SECURITY_HEADERS


def page_routes(app) -> set[tuple[str, str]]:
    return {
        (method, "/" + route.path)
        for route in app.router.routes
        for method in route.methods
        if method not in ("HEAD", "OPTIONS") and route.name.split(".")[1] == "web"
    }


# (method, route) → {role: status}; a page answers 200, a redirect 302, refusals as pages
TABLE = {
    ("GET", "/"): {"bureau": 200, "agency_a": 200, "evaluator": 200, "anon": 302},
    ("GET", "/login"): {"anon": 200},
    ("POST", "/login"): {"anon": 401},  # a wrong password, shown on the page
    ("POST", "/logout"): {"anon": 302},
    ("GET", "/lang/<lang:str>"): {"anon": 302},
    ("GET", "/rounds/<round_id:uuid>"): {
        "bureau": 200,
        "agency_a": 200,
        "agency_b": 404,
        "other_bureau": 404,
        "anon": 302,
    },
    ("GET", "/rounds/<round_id:uuid>/stations/<code:str>"): {
        "bureau": 200,
        "agency_a": 200,
        "agency_b": 404,
        "other_bureau": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/act"): {"agency_a": 403, "agency_b": 404, "anon": 302},
    ("POST", "/rounds/<round_id:uuid>/decision"): {"agency_a": 403, "agency_b": 404, "anon": 302},
    ("POST", "/rounds/<round_id:uuid>/assignments"): {
        "agency_a": 403,
        "agency_b": 404,
        "evaluator": 403,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/my-part"): {
        "agency_a": 403,
        "agency_b": 404,
        "lead": 403,  # the lead has no part of their own to submit
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/assignments/<username:str>/reopen"): {
        "agency_a": 403,
        "agency_b": 404,
        "evaluator": 403,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/workbook"): {
        "agency_a": 403,
        "agency_b": 404,
        "evaluator": 422,  # no file
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/adjudications"): {
        "evaluator": 422,  # no value given
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/gaps"): {
        "agency_a": 403,
        "agency_b": 404,
        "evaluator": 403,  # the lead decides
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/tranches/<code:str>/release"): {
        "agency_a": 403,
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/tranches/<code:str>/apply"): {
        "bureau": 403,  # only the contract's agency applies
        "agency_a": 422,  # no voucher given
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/payment-applications/<application_id:uuid>/return"): {
        "bureau": 404,  # no such application
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/payment-applications/<application_id:uuid>/withdraw"): {
        "agency_a": 404,  # no such application
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/findings/<finding_id:uuid>/plan"): {
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/stations/<code:str>/appeal"): {
        "agency_b": 404,
        "anon": 302,
    },
    ("POST", "/rounds/<round_id:uuid>/citations/<citation_id:uuid>/review"): {
        "evaluator": 422,  # no verdict given
        "agency_b": 404,
        "anon": 302,
    },
    ("GET", "/rollups"): {"bureau": 200, "auditor": 200, "agency_a": 403, "anon": 302},
    ("GET", "/audit"): {"auditor": 200, "admin": 200, "bureau": 403, "agency_a": 403, "anon": 302},
    ("GET", "/systems/new"): {"bureau": 200, "agency_a": 200, "anon": 302},
    ("POST", "/systems/new"): {"agency_a": 403, "bureau": 422, "anon": 302},
    ("GET", "/account"): {"bureau": 200, "agency_a": 200, "evaluator": 200, "anon": 302},
    ("POST", "/account/password"): {"agency_a": 422, "anon": 302},  # the current one is wrong
    ("GET", "/admin/users"): {
        "admin": 200,
        "bureau": 403,
        "agency_a": 403,
        "evaluator": 403,
        "auditor": 403,
        "anon": 302,
    },
    ("POST", "/admin/users"): {"admin": 422, "bureau": 403, "agency_a": 403, "anon": 302},
    ("GET", "/calendars"): {"bureau": 200, "agency_a": 200, "anon": 302},
    ("POST", "/calendars"): {"admin": 422, "bureau": 403, "agency_a": 403, "anon": 302},
}


async def test_every_page_route_has_a_row(api):
    assert page_routes(api.app) == set(TABLE)


def fill(route: str, round_id, finding_id) -> str:
    return (
        route.replace("<round_id:uuid>", str(round_id))
        .replace("<code:str>", "ST01")
        .replace("<finding_id:uuid>", str(finding_id))
        .replace("<citation_id:uuid>", str(finding_id))
        .replace("<application_id:uuid>", str(finding_id))
        .replace("<lang:str>", "en")
        .replace("<username:str>", "evaluator")
    )


@pytest.mark.parametrize("entry", sorted(TABLE), ids=lambda e: f"{e[0]} {e[1]}")
async def test_pages(api, world, entry):
    method, route = entry
    r, _ = await approved_with_evidence(world)
    path = fill(route, r.id, "00000000-0000-0000-0000-000000000000")
    for role, expected in TABLE[entry].items():
        token = None if role == "anon" else world.tokens[role]
        form = {
            "/login": {"username": "bureau", "password": "wrong"},
            "/rounds/<round_id:uuid>/act": {"action": "approve"},
        }.get(route, {})
        response = await api.client.request(
            method, path, headers={"Authorization": f"Bearer {token}"} if token else {}, data=form
        )
        assert response.status_code == expected, (role, method, path, response.status_code)
        if response.status_code in (200, 401, 403, 404, 422):
            assert response.headers["content-type"].startswith("text/html"), role
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value, (role, name)
        if expected == 302 and route not in ("/logout", "/lang/<lang:str>"):
            assert response.headers["location"].startswith("/login"), role


async def test_an_open_round_is_blind_to_its_agency_on_the_pages(api, world):
    r = await fresh_round(world, "open")
    token = world.tokens["agency_a"]
    headers = {"Authorization": f"Bearer {token}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=headers)
    assert page.status_code == 200 and "评估结果在审定后公布" in page.text
    station = await api.client.get(f"/rounds/{r.id}/stations/ST01", headers=headers)
    assert station.status_code == 403


async def test_the_lead_sees_where_the_raters_disagree(api, world):
    from evaluator.services.scoring import record_score

    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    await record_score(world.actors["evaluator"], r.id, "ST01", "L00", 8)
    await record_score(world.actors["evaluator2"], r.id, "ST01", "L00", 2)
    await record_score(world.actors["evaluator"], r.id, "ST01", "L01", 5)
    await record_score(world.actors["evaluator2"], r.id, "ST01", "L01", 5)
    lead = {"Authorization": f"Bearer {world.tokens['lead']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    assert page.status_code == 200
    rows = page.text.split('id="spread-table"', 1)[1].split("</table>", 1)[0]
    assert "<td>L00</td>" in rows and "2–8" in rows and ">6<" in rows
    assert "<td>L01</td>" not in rows  # agreed: not listed
    evaluator = {"Authorization": f"Bearer {world.tokens['evaluator']}"}
    assert 'id="spread"' not in (await api.client.get(f"/rounds/{r.id}", headers=evaluator)).text


async def test_the_audit_page_verifies_the_chain(api, world):
    auditor = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    page = await api.client.get("/audit", headers=auditor)
    assert page.status_code == 200 and "哈希链完整" in page.text


async def test_the_lead_decides_the_gaps_on_the_round_page(api, world):
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    lead = {"Authorization": f"Bearer {world.tokens['lead']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    undecided = int(page.text.split('id="undecided">', 1)[1].split("<", 1)[0])
    assert undecided > 0 and 'id="gap-ST01-L00"' in page.text
    form = {"unit": "ST01", "leaf": "L00", "decision": "not_applicable", "reason": ""}
    refused = await api.client.post(f"/rounds/{r.id}/gaps", headers=lead, data=form)
    assert refused.status_code == 422  # a reason is needed
    form["reason"] = "本站未开展该项服务"
    done = await api.client.post(f"/rounds/{r.id}/gaps", headers=lead, data=form)
    assert done.status_code == 302 and done.headers["location"] == f"/rounds/{r.id}#complete"
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    assert int(page.text.split('id="undecided">', 1)[1].split("<", 1)[0]) == undecided - 1
    row = page.text.split('id="gap-ST01-L00"', 1)[1].split("</tr>", 1)[0]
    assert "本站未开展该项服务" in row and 'value="clear"' in row
    clear = {"unit": "ST01", "leaf": "L00", "decision": "clear", "reason": ""}
    assert (
        await api.client.post(f"/rounds/{r.id}/gaps", headers=lead, data=clear)
    ).status_code == 302
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    assert int(page.text.split('id="undecided">', 1)[1].split("<", 1)[0]) == undecided


async def test_the_evaluation_agencys_lead_staffs_a_round_on_its_page(api, world):
    from evaluator.services.interests import declare

    r = await fresh_round(world, "draft", assign=())
    await declare(world.actors["evaluator2"], world.county.agency_a.id, "employment")
    lead = {"Authorization": f"Bearer {world.tokens['lead']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    section = page.text.split('id="staff"', 1)[1].split("</section>", 1)[0]
    assert "尚未分派" in section
    assert 'value="evaluator2" disabled' in section and "回避" in section
    for form in ({"username": "lead", "role": "lead_evaluator"}, {"username": "evaluator"}):
        done = await api.client.post(f"/rounds/{r.id}/assignments", headers=lead, data=form)
        assert done.status_code == 302 and done.headers["location"] == f"/rounds/{r.id}#staff"
    tied = await api.client.post(
        f"/rounds/{r.id}/assignments", headers=lead, data={"username": "evaluator2"}
    )
    assert tied.status_code == 409 and "应回避" in tied.text
    page = await api.client.get(f"/rounds/{r.id}", headers=lead)
    section = page.text.split('id="staff"', 1)[1].split("</section>", 1)[0]
    assert "<li>lead · 主评估员</li>" in section and "<li>evaluator · 评估员</li>" in section
    agency = {"Authorization": f"Bearer {world.tokens['agency_a']}"}
    assert 'id="staff"' not in (await api.client.get(f"/rounds/{r.id}", headers=agency)).text


async def test_the_round_page_shows_how_far_the_raters_agree_to_those_who_may_see_it(api, world):
    from evaluator.services.scoring import record_score

    r = await fresh_round(world, "open", assign=("lead", "evaluator", "evaluator2"))
    for leaf, (a, b) in {"L00": (8, 2), "L01": (5, 5)}.items():
        await record_score(world.actors["evaluator"], r.id, "ST01", leaf, a)
        await record_score(world.actors["evaluator2"], r.id, "ST01", leaf, b)
    for who, sees in (("lead", True), ("bureau", True), ("evaluator", False), ("agency_a", False)):
        page = await api.client.get(
            f"/rounds/{r.id}", headers={"Authorization": f"Bearer {world.tokens[who]}"}
        )
        assert page.status_code == 200
        assert ('id="agreement"' in page.text) is sees, who
    lead = await api.client.get(
        f"/rounds/{r.id}", headers={"Authorization": f"Bearer {world.tokens['lead']}"}
    )
    section = lead.text.split('id="agreement"', 1)[1].split("</section>", 1)[0]
    assert "ICC(2,1)" in section and "4 条无上限指标的评分未计入" in section  # ratio leaves only


async def test_the_agency_applies_for_a_tranche_and_the_bureau_returns_it(api, world):
    r, _ = await approved_with_evidence(world)

    async def post(token: str, path: str, data) -> int:
        answer = await api.client.post(
            path, headers={"Authorization": f"Bearer {world.tokens[token]}"}, data=data
        )
        return answer.status_code

    async def read(token: str) -> str:
        answer = await api.client.get(
            f"/rounds/{r.id}", headers={"Authorization": f"Bearer {world.tokens[token]}"}
        )
        assert answer.status_code == 200
        return answer.text

    assert 'id="apply-T1"' in await read("agency_a")
    assert 'id="apply-T1"' not in await read("bureau")
    form = {"kind": ["invoice", "", "staff_roster"], "reference": ["发票 No. 12", "", "名册"]}
    assert await post("agency_a", f"/rounds/{r.id}/tranches/T1/apply", form) == 302
    seen = await read("bureau")
    assert 'id="application-T1"' in seen and "发票 No. 12" in seen and "名册" in seen
    assert "/payment-applications/" in seen  # the bureau's return form
    assert 'id="apply-T1"' not in await read("agency_a")  # one live application
    application = seen.split("/payment-applications/")[1].split("/")[0]
    back = f"/rounds/{r.id}/payment-applications/{application}/return"
    assert await post("agency_a", back, {"reason": "x"}) == 403
    assert await post("bureau", back, {"reason": ""}) == 422
    assert await post("bureau", back, {"reason": "缺少评估结果"}) == 302
    again = await read("agency_a")
    assert "缺少评估结果" in again and 'id="apply-T1"' in again
    assert await post("agency_a", f"/rounds/{r.id}/tranches/T1/apply", form) == 302
    mine = await read("agency_a")
    second = mine.split("/payment-applications/")[1].split("/")[0]
    assert f"/payment-applications/{second}/withdraw" in mine
    withdraw = f"/rounds/{r.id}/payment-applications/{second}/withdraw"
    assert await post("bureau", withdraw, {}) == 403
    assert await post("agency_a", withdraw, {}) == 302
    assert 'id="apply-T1"' in await read("agency_a")  # withdrawn: it may apply again
