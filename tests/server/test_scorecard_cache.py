"""Scorecards at load (issue 19): an approved round's cards served as stored from its
snapshot with an ETag (304 on a repeat, after the same permission checks), and an open
round's result and robustness kept by the digest of their inputs, a write to the round
changing the digest."""

from __future__ import annotations

import asyncio

from api_fixtures import approved_with_evidence, assert_problem, fresh_round, settle_gaps

from evaluator.services import approved_cards, round_cache, scorecards
from evaluator.services import rounds as rs
from evaluator.services.scorecards import compute_round, station_card
from evaluator.services.scoring import record_score
from evaluator.store.decisions import Finding
from evaluator.store.rounds import ApprovalSnapshot, Round, SnapshotCard


def _forget() -> None:
    """Empty every per-worker memory (as a restarted worker)."""
    round_cache.results.clear()
    round_cache.robustness.clear()
    approved_cards._stored.clear()
    approved_cards._every.clear()


async def test_an_approved_card_is_stored_once_and_then_served_as_stored(api, world):
    _forget()
    r, _ = await approved_with_evidence(world)
    station = world.county.stations["ST01"]
    url = f"/rounds/{r.id}/stations/{station.id}/scorecard"
    first = await api.get(url, token=world.tokens["bureau"])
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
    snapshot = await ApprovalSnapshot.get(round_id=r.id)
    stored = await SnapshotCard.get(snapshot_id=snapshot.id, key=f"api:station:{station.code}")
    assert stored.body == first.text and stored.etag == etag

    # a restarted worker, and the round's inputs not even readable: the stored text is served
    _forget()
    misses = round_cache.results.misses
    again = await api.get(url, token=world.tokens["agency_a"])
    assert again.status_code == 200 and again.text == first.text
    assert again.headers["etag"] == etag
    assert round_cache.results.misses == misses  # nothing computed

    # what is shown is what a fresh computation gives from the locked round
    card, _ = await station_card(world.actors["bureau"], r.id, station.id)
    assert again.json()["total"] == card["total"] and again.json()["grade"] == card["grade"]

    # a client holding the text gets 304, and nothing else
    same = await api.get(url, token=world.tokens["bureau"], headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    listed = await api.get(
        url, token=world.tokens["bureau"], headers={"If-None-Match": f'"x", W/{etag}'}
    )
    assert listed.status_code == 304
    other = await api.get(url, token=world.tokens["bureau"], headers={"If-None-Match": '"x"'})
    assert other.status_code == 200 and other.text == first.text

    # the permission checks come before the 304: another agency learns nothing
    assert_problem(
        await api.get(url, token=world.tokens["agency_b"], headers={"If-None-Match": etag}), 404
    )
    assert_problem(await api.get(url, headers={"If-None-Match": etag}), 401)


async def test_the_first_card_read_stores_every_card_of_the_round_as_each_alone(
    api, world, monkeypatch
):
    """One station's first read renders and stores every station card of the round (the
    round computed once); each stored text is the text its own first read would store."""
    _forget()
    r, _ = await approved_with_evidence(world)
    st01, st02 = world.county.stations["ST01"], world.county.stations["ST02"]
    url = f"/rounds/{r.id}/stations/{{}}/scorecard"
    snapshot = await ApprovalSnapshot.get(round_id=r.id)

    async def nothing(round_, done=None, chunk=1000):
        return
        yield

    # each card alone: the round's other cards are not rendered with it
    monkeypatch.setattr(scorecards, "station_cards", nothing)
    alone = {}
    for station in (st01, st02):
        answer = await api.get(url.format(station.id), token=world.tokens["bureau"])
        assert answer.status_code == 200, answer.text
        alone[station.code] = answer.text
    monkeypatch.undo()
    await SnapshotCard.filter(snapshot_id=snapshot.id).delete()
    _forget()

    first = await api.get(url.format(st01.id), token=world.tokens["bureau"])
    assert first.status_code == 200 and first.text == alone["ST01"]
    stored = await SnapshotCard.filter(snapshot_id=snapshot.id, key__startswith="api:station:")
    assert {c.key for c in stored} == {"api:station:ST01", "api:station:ST02"}
    assert {c.key.rsplit(":", 1)[1]: c.body for c in stored} == alone

    # the second station's first read computes nothing: it was stored with the first
    approved_cards._stored.clear()
    misses = round_cache.results.misses
    second = await api.get(url.format(st02.id), token=world.tokens["agency_a"])
    assert second.status_code == 200 and second.text == alone["ST02"]
    assert round_cache.results.misses == misses


async def test_the_agency_card_is_stored_too_and_a_new_snapshot_renders_afresh(api, world):
    _forget()
    r, _ = await approved_with_evidence(world)
    url = f"/rounds/{r.id}/agency-scorecard"
    first = await api.get(url, token=world.tokens["bureau"])
    assert first.status_code == 200, first.text
    assert await SnapshotCard.filter(key="api:agency").count() == 1

    # reopened: no longer approved, computed on every read (and a score changes it)
    reopened = await rs.reopen_round(world.actors["bureau"], r, r.version, "a late register")
    open_card = await api.get(url, token=world.tokens["bureau"])
    assert open_card.status_code == 200 and open_card.json()["round"]["state"] == "reopened"
    await record_score(world.actors["evaluator"], r.id, "ST02", "L00", 3)
    changed = await api.get(url, token=world.tokens["bureau"])
    assert changed.headers["etag"] != open_card.headers["etag"]

    # approved again: a second snapshot, whose card is rendered and stored afresh
    await settle_gaps(reopened, world.actors["lead"])
    reopened = await Round.get(id=r.id)
    submitted = await rs.submit_round(world.actors["lead"], reopened, reopened.version)
    await rs.approve_round(world.actors["bureau"], submitted, submitted.version)
    final = await api.get(url, token=world.tokens["bureau"])
    assert final.status_code == 200 and final.json()["round"]["state"] == "approved"
    assert final.headers["etag"] not in (first.headers["etag"], open_card.headers["etag"])
    assert await SnapshotCard.filter(key="api:agency").count() == 2
    assert final.json()["stations"] != first.json()["stations"]


async def test_an_open_rounds_result_is_kept_by_its_inputs_and_a_write_changes_them(world):
    _forget()
    r = await fresh_round(world, "open")
    actor = world.actors["evaluator"]
    await record_score(actor, r.id, "ST01", "L00", 8)
    first = await compute_round(r)
    assert (round_cache.results.misses, round_cache.results.hits) == (1, 0)
    again = await compute_round(r)
    assert again.result is first.result and again.key == first.key
    assert round_cache.results.hits == 1

    await record_score(actor, r.id, "ST02", "L00", 2)  # any write to the round's inputs
    changed = await compute_round(r)
    assert changed.key != first.key and round_cache.results.misses == 2
    assert changed.result.total["ST02"] != first.result.total["ST02"]

    # the robustness too: computed once per key, whoever asks
    _, done = await station_card(world.actors["lead"], r.id, world.county.stations["ST01"].id)
    misses = round_cache.robustness.misses
    await station_card(world.actors["bureau"], r.id, world.county.stations["ST02"].id)
    assert round_cache.robustness.misses == misses


async def test_concurrent_first_reads_store_one_card(world):
    _forget()
    r, _ = await approved_with_evidence(world)
    calls = 0

    async def render() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return '{"x": 1}'

    texts = await asyncio.gather(*(approved_cards.text(r, "test:race", render) for _ in range(5)))
    assert calls == 1 and len({t.etag for t in texts}) == 1
    # a second worker (empty memory) racing the first: one row, both answer the stored text
    _forget()
    snapshot = await ApprovalSnapshot.get(round_id=r.id)
    assert await SnapshotCard.filter(snapshot_id=snapshot.id, key="test:race").count() == 1
    assert (await approved_cards.text(r, "test:race", render)).body == '{"x": 1}'
    assert calls == 1


async def test_memo_single_flight_bounds_and_failures():
    memo: round_cache.Memo[int] = round_cache.Memo(2)
    started = 0

    async def slow() -> int:
        nonlocal started
        started += 1
        await asyncio.sleep(0.01)
        return 7

    assert await asyncio.gather(*(memo.get("a", slow) for _ in range(4))) == [7] * 4
    assert started == 1
    await memo.get("b", slow)
    await memo.get("c", slow)  # "a" is the least recently used: it leaves
    assert started == 3
    await memo.get("a", slow)
    assert started == 4

    async def broken() -> int:
        raise ValueError("no")

    for _ in range(2):  # a failure is not kept
        try:
            await memo.get("z", broken)
        except ValueError:
            pass
        else:
            raise AssertionError("the failure must propagate")
    assert "z" not in memo._values


async def test_inputs_key_sees_every_change():
    import pandas as pd  # noqa: PLC0415

    frame = pd.DataFrame(
        {"unit": ["A", "B"], "leaf": ["L1", "L1"], "item": [None, None], "value": [1.0, 2.0]}
    )
    base = round_cache.inputs_key(frame, "sha256:s", ["A", "B"], [])
    assert base == round_cache.inputs_key(frame.copy(), "sha256:s", ["B", "A"], [])
    changed = frame.assign(value=[1.0, 2.5])
    assert round_cache.inputs_key(changed, "sha256:s", ["A", "B"], []) != base
    assert round_cache.inputs_key(frame, "sha256:t", ["A", "B"], []) != base
    assert round_cache.inputs_key(frame, "sha256:s", ["A", "B", "C"], []) != base
    waived = [("A", "L1", "not_applicable")]
    assert round_cache.inputs_key(frame, "sha256:s", ["A", "B"], waived) != base
    assert round_cache.inputs_key(frame.iloc[:1], "sha256:s", ["A", "B"], []) != base


async def test_the_summarys_computed_part_is_stored_per_state_of_the_open_findings(api, world):
    _forget()
    r, _ = await approved_with_evidence(world)
    url = f"/rounds/{r.id}/summary"
    first = await api.get(url, token=world.tokens["bureau"])
    assert first.status_code == 200, first.text
    assert await SnapshotCard.filter(key__startswith="summary:").count() == 1

    _forget()  # another worker: the stored part is read, nothing is computed
    again = await api.get(url, token=world.tokens["bureau"])
    assert again.json()["stations"] == first.json()["stations"]
    assert round_cache.results.misses == 0

    # a new open finding: the recommendation's robustness follows from it, so the computed
    # part is stored afresh for the new state; the counts are read live
    before = {s["code"]: s["open_findings"]["correction"] for s in first.json()["stations"]}
    await Finding.create(
        round_id=r.id,
        unit="ST02",
        rule="bench-test",
        severity="correction",
        opened_on=r.as_of,
        explanation_en="x",
        explanation_zh="x",
    )
    changed = await api.get(url, token=world.tokens["bureau"])
    assert await SnapshotCard.filter(key__startswith="summary:").count() == 2
    after = {s["code"]: s["open_findings"]["correction"] for s in changed.json()["stations"]}
    assert after["ST02"] == before["ST02"] + 1 and after["ST01"] == before["ST01"]
    assert round_cache.results.misses == 1  # computed once for the new state


async def test_a_round_rendering_goes_on_when_its_request_goes_away(api, world):
    """The rendering of every card of a round runs in a task of its own: the request that
    started it may time out or be cancelled; the cards are stored all the same, and the
    next reader waits for the same rendering instead of starting another."""
    _forget()
    r, _ = await approved_with_evidence(world)
    round_ = await Round.get(id=r.id)
    started, release = asyncio.Event(), asyncio.Event()
    renderings = []

    async def every():
        renderings.append(1)
        started.set()
        await release.wait()
        for i in range(3):
            yield f"test:{i}", f'{{"n": {i}}}'

    async def one() -> str:
        raise AssertionError("the card comes from the round's rendering")

    reader = asyncio.create_task(approved_cards.text(round_, "test:1", one, ("test", every)))
    await started.wait()
    reader.cancel()  # the client went away, or sanic's response timeout
    await asyncio.gather(reader, return_exceptions=True)
    second = asyncio.create_task(approved_cards.text(round_, "test:2", one, ("test", every)))
    await asyncio.sleep(0)
    release.set()
    assert (await second).body == '{"n": 2}'
    snapshot = await ApprovalSnapshot.get(round_id=r.id)
    keys = await SnapshotCard.filter(snapshot_id=snapshot.id, key__startswith="test:").count()
    assert keys == 3 and renderings == [1]
