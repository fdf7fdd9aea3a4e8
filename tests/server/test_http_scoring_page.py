"""The evaluator's scoring page: a measured leaf shows the register's value with its
figures; each leaf shows its cited evidence with the review status, and the round's
evaluators review it there (a comment unless accepted, versioned); nobody else does."""

from __future__ import annotations

from api_fixtures import sign_in_everyone
from services.workflow_fixtures import build_county
from test_http_registers import HEAD, MEASURED_SYSTEM, post_register

from evaluator.services.citations import cite
from evaluator.services.evidence import attach_evidence
from evaluator.store.registers import Citation


def bearer(world, who: str) -> dict:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


async def test_the_scoring_page_shows_register_values_and_evidence_to_review(api, db, evidence_dir):
    world = await sign_in_everyone(await build_county(system=MEASURED_SYSTEM))
    round_id = world.county.round_a.id
    r = await post_register(api, world, HEAD + "V1,ST01,是,3\nV2,ST01,是,4\nV3,ST01,否,1\n")
    assert r.status_code == 201, r.text
    f = await attach_evidence(
        world.actors["evaluator"], round_id, "签到表.pdf", "application/pdf", b"%PDF sign-in"
    )
    citation, _ = await cite(world.actors["evaluator"], round_id, "ST01", "J1", f.id)

    path = f"/rounds/{round_id}/stations/ST01"
    page = await api.client.get(path, headers=bearer(world, "evaluator"))
    assert page.status_code == 200
    register = page.text.split('id="register-V1"', 1)[1].split("</div>", 1)[0]
    assert "台账计算值" in register and "：2</strong>" in register  # two registered of three
    assert 'id="register-J1"' not in page.text  # judged, not measured
    cited = page.text.split(f'id="citation-{citation.id}"', 1)[1].split("</li>", 1)[0]
    assert "签到表.pdf" in cited and "待审" in cited

    review = f"/rounds/{round_id}/citations/{citation.id}/review"
    bare = await api.client.post(
        review, headers=bearer(world, "evaluator"), data={"status": "rejected", "version": "1"}
    )
    assert bare.status_code == 422  # rejecting needs a comment
    for who, status in (("agency_a", 403), ("agency_b", 404), ("bureau", 403)):
        refused = await api.client.post(
            review,
            headers=bearer(world, who),
            data={"status": "accepted", "version": "1"},
        )
        assert refused.status_code == status, who
    done = await api.client.post(
        review,
        headers=bearer(world, "evaluator"),
        data={"status": "rejected", "comment": "签名缺失", "version": "1"},
    )
    assert done.status_code == 302
    assert done.headers["location"] == f"{path}#citation-{citation.id}"
    stale = await api.client.post(
        review, headers=bearer(world, "evaluator"), data={"status": "accepted", "version": "1"}
    )
    assert stale.status_code == 409  # reviewed meanwhile: not overwritten
    stored = await Citation.get(id=citation.id)
    assert (stored.status.value, stored.comment) == ("rejected", "签名缺失")
    page = await api.client.get(path, headers=bearer(world, "evaluator"))
    cited = page.text.split(f'id="citation-{citation.id}"', 1)[1].split("</li>", 1)[0]
    assert "不采信" in cited and "签名缺失" in cited
