"""The offline scoring workbook over HTTP: exported for a rater (one sheet per station,
drop-downs, a very hidden stamp), filled as a rater would in Excel, imported — exactly the
values typed; a stamp changed by hand, another round, a value out of range and a value
changed on the server since the export each give their located message and write nothing."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

from api_fixtures import assert_problem, fresh_round, sign_in_everyone
from openpyxl import load_workbook
from services.workflow_fixtures import build_county
from test_http_reliability import PANEL_SYSTEM

from evaluator.services.scoring import record_score
from evaluator.store.rounds import Score

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fill(data: bytes, values: dict[tuple[str, str, str], tuple]) -> bytes:
    """Type values into the workbook: (sheet, leaf, item) → (value, comment)."""
    wb = load_workbook(io.BytesIO(data))
    for (sheet, leaf, item), (value, comment) in values.items():
        ws = wb[sheet]
        row = next(
            r
            for r in range(3, ws.max_row + 1)
            if ws.cell(r, 1).value == leaf
            and (ws.cell(r, 2).value or "") == item
            and ws.cell(r, 5).value
        )
        ws.cell(row, 6).value = value
        if comment:
            ws.cell(row, 9).value = comment
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(data: bytes, sheet: str, leaf: str, item: str = "") -> int:
    ws = load_workbook(io.BytesIO(data))[sheet]
    return next(
        r
        for r in range(3, ws.max_row + 1)
        if ws.cell(r, 1).value == leaf
        and (ws.cell(r, 2).value or "") == item
        and ws.cell(r, 5).value
    )


async def setup(api):
    world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
    r = await fresh_round(world, "open", assign=("lead", "evaluator"))
    await record_score(world.actors["evaluator"], r.id, "ST01", "R1", 2)
    got = await api.client.get(
        f"/api/v1/rounds/{r.id}/workbook",
        headers={"Authorization": f"Bearer {world.tokens['evaluator']}"},
    )
    assert got.status_code == 200, got.text
    assert (
        got.headers["content-type"] == XLSX and "attachment" in got.headers["content-disposition"]
    )
    return world, r, got.content


async def post(
    api, world, round_id, data: bytes, who: str = "evaluator", name: str = "评分表.xlsx"
):
    return await api.post(
        f"/rounds/{round_id}/workbook",
        token=world.tokens[who],
        content=data,
        headers={"Content-Type": XLSX, "X-Filename": quote(name)},
    )


async def mine(world, round_id) -> dict:
    rows = await Score.filter(round_id=round_id, rater_id=world.county.users["evaluator"].id)
    return {(s.unit, s.leaf, s.item): (s.value, s.comment, s.version) for s in rows}


async def test_the_workbook_round_trips_exactly(api, db, evidence_dir):
    world, r, data = await setup(api)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["ST01", "ST02", "_stamp"]
    assert wb["_stamp"].sheet_state == "veryHidden" and wb["ST01"].protection.sheet
    stamp = json.loads(wb["_stamp"]["A1"].value)
    assert stamp["rater"] == "evaluator" and stamp["versions"]["ST01/R1/"] == 1
    assert wb["ST01"].cell(row_of(data, "ST01", "R1"), 6).value == 2  # the value at export
    levels = [dv.formula1 for dv in wb["ST01"].data_validations.dataValidation]
    assert '"0,1,2,3,4"' in levels and '"0,1"' in levels

    typed = {
        ("ST01", "R1", ""): (3, "复核后上调"),
        ("ST01", "R2", ""): (4, None),
        ("ST01", "C1", "a"): (1, None),
        ("ST01", "C1", "b"): (0, "未公示"),
        ("ST01", "N1", ""): (7, None),
        ("ST02", "R3", ""): (1, None),
    }
    done = await post(api, world, r.id, fill(data, typed))
    assert done.status_code == 200, done.text
    assert (done.json()["written"], done.json()["unchanged"]) == (6, 0)
    stored = await mine(world, r.id)
    assert {k: v[0] for k, v in stored.items()} == {
        ("ST01", "R1", ""): 3,
        ("ST01", "R2", ""): 4,
        ("ST01", "C1", "a"): 1,
        ("ST01", "C1", "b"): 0,
        ("ST01", "N1", ""): 7,
        ("ST02", "R3", ""): 1,
    }
    assert stored[("ST01", "R1", "")][1:] == ("复核后上调", 2)  # overwritten: version 2
    assert stored[("ST01", "C1", "b")][1] == "未公示"


async def test_a_value_changed_on_the_server_is_a_conflict_and_nothing_is_written(
    api, db, evidence_dir
):
    world, r, data = await setup(api)
    await record_score(world.actors["evaluator"], r.id, "ST01", "R1", 4, expected_version=1)
    filled = fill(data, {("ST01", "R1", ""): (3, None), ("ST01", "R2", ""): (4, None)})
    refused = await post(api, world, r.id, filled)
    problem = assert_problem(refused, 409)
    assert "changed on the server since the export" in refused.text
    assert problem["problems"][0]["where"] == f"评分表.xlsx ST01!F{row_of(data, 'ST01', 'R1')}"
    assert set(await mine(world, r.id)) == {("ST01", "R1", "")}  # R2 not written
    assert (await mine(world, r.id))[("ST01", "R1", "")][0] == 4


async def test_bad_workbooks_are_refused_with_where_and_write_nothing(api, db, evidence_dir):
    world, r, data = await setup(api)
    before = await mine(world, r.id)

    # a value out of range, and a word in a number cell
    bad = fill(data, {("ST01", "R2", ""): (7, None), ("ST02", "R1", ""): ("三级", None)})
    refused = await post(api, world, r.id, bad, name="张三评分表.xlsx")
    problem = assert_problem(refused, 422)
    wheres = " | ".join(p["where"] for p in problem["problems"])
    assert f"张三评分表.xlsx ST01!F{row_of(data, 'ST01', 'R2')}" in wheres, wheres
    assert f"张三评分表.xlsx ST02!F{row_of(data, 'ST02', 'R1')}" in wheres, wheres

    # the stamp changed by hand
    wb = load_workbook(io.BytesIO(fill(data, {("ST01", "R2", ""): (3, None)})))
    stamp = json.loads(wb["_stamp"]["A1"].value)
    stamp["versions"]["ST01/R1/"] = 7
    wb["_stamp"]["A1"].value = json.dumps(stamp, ensure_ascii=False, sort_keys=True)
    out = io.BytesIO()
    wb.save(out)
    tampered = await post(api, world, r.id, out.getvalue())
    assert_problem(tampered, 422)
    assert "changed by hand" in tampered.text and "_stamp" in tampered.text

    # another round's address, another rater, not a workbook at all
    other = await fresh_round(world, "open", assign=("lead", "evaluator"))
    wrong = await post(api, world, other.id, fill(data, {("ST01", "R2", ""): (3, None)}))
    assert_problem(wrong, 422)
    assert f"this workbook is for round {r.id}" in wrong.text
    theirs = await post(api, world, r.id, fill(data, {("ST01", "R2", ""): (3, None)}), who="lead")
    assert_problem(theirs, 422)
    assert "exported for evaluator" in theirs.text
    junk = await post(api, world, r.id, b"PK\x03\x04 not really")
    assert_problem(junk, 422)

    assert await mine(world, r.id) == before


async def test_who_exports_which_workbook(api, db, evidence_dir):
    world, r, _ = await setup(api)
    lead = await api.get(f"/rounds/{r.id}/workbook?rater=evaluator", token=world.tokens["lead"])
    assert lead.status_code == 200
    assert_problem(
        await api.get(f"/rounds/{r.id}/workbook?rater=lead", token=world.tokens["evaluator"]), 403
    )
    assert_problem(await api.get(f"/rounds/{r.id}/workbook", token=world.tokens["agency_b"]), 404)
    assert_problem(await api.get(f"/rounds/{r.id}/workbook", token=world.tokens["bureau"]), 403)


async def test_the_workbook_on_the_round_page(api, db, evidence_dir):
    world, r, data = await setup(api)
    headers = {"Authorization": f"Bearer {world.tokens['evaluator']}"}
    page = await api.client.get(f"/rounds/{r.id}", headers=headers)
    assert f'href="/api/v1/rounds/{r.id}/workbook"' in page.text
    assert 'id="imported"' not in page.text  # nothing was imported: no banner
    filled = fill(data, {("ST01", "R2", ""): (3, None)})
    files = {"file": ("评分表.xlsx", filled, XLSX)}
    done = await api.client.post(f"/rounds/{r.id}/workbook", headers=headers, files=files)
    assert done.status_code == 302 and done.headers["location"] == f"/rounds/{r.id}?imported=1"
    shown = await api.client.get(done.headers["location"], headers=headers)
    assert 'id="imported"' in shown.text
    bad = fill(data, {("ST01", "R3", ""): (9, None)})
    refused = await api.client.post(
        f"/rounds/{r.id}/workbook", headers=headers, files={"file": ("bad.xlsx", bad, XLSX)}
    )
    assert refused.status_code == 422
    assert f"bad.xlsx ST01!F{row_of(data, 'ST01', 'R3')}" in refused.text
    assert f'href="/rounds/{r.id}"' in refused.text  # back to the round


async def test_a_submitted_part_takes_no_workbook(api, db, evidence_dir):
    from evaluator.services import panel_staff

    world, r, data = await setup(api)
    await panel_staff.submit_part(world.actors["evaluator"], r.id)
    refused = await post(api, world, r.id, fill(data, {("ST01", "R2", ""): (3, None)}))
    assert_problem(refused, 409)
    assert "submitted your part" in refused.text
