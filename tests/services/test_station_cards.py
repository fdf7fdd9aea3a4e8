"""A round's cards built together (scorecards.station_cards, a chunk of stations at a
time) are the cards built one at a time, and the plain-row read of the raters' values
(round_inputs.round_raw) is the ORM's read, value for value and type for type — the input
digests of approved snapshots follow from it and must never move."""

from __future__ import annotations

import pandas as pd
import pytest
from workflow_fixtures import build_county

from evaluator.demo.load import load_demo
from evaluator.demo.scoring import run_demo
from evaluator.services import round_inputs, scorecards
from evaluator.services.actors import Actor
from evaluator.services.interests import excluded_raters
from evaluator.store.contracts import Station
from evaluator.store.rounds import Round, Score


async def _orm_raw(round_: Round) -> pd.DataFrame:
    """The raters' values as the ORM reads them (round_raw before its plain-row read)."""
    rows = await Score.filter(round_id=round_.id, value__isnull=False).values_list(
        "unit", "leaf", "item", "value", "target", "n", "rater_id"
    )
    frame = pd.DataFrame(rows, columns=round_inputs.INPUT_COLUMNS)
    frame["item"] = frame["item"].replace("", None)
    frame["rater"] = frame["rater"].astype(str)
    tied = await excluded_raters(round_)
    if tied:
        frame = frame[~frame["rater"].isin(tied)]
    return frame.sort_values(
        ["unit", "leaf", "item", "rater"], na_position="first", kind="stable"
    ).reset_index(drop=True)


@pytest.fixture
async def demo(db):
    await load_demo(run_demo(None))
    return await Round.all().order_by("created_at")


async def test_every_card_of_a_round_equals_the_card_built_alone(demo, monkeypatch):
    monkeypatch.setattr(round_inputs, "RAW_CHUNK", 2)  # several statements per round
    system = Actor.system()
    compared = 0
    for round_ in demo:
        if round_.state.value == "draft":
            continue
        done = await scorecards.compute_round(round_)
        if done.system.unit != "station":
            continue
        seen = []
        async for code, card in scorecards.station_cards(round_, done, chunk=3):
            station = await Station.get(code=code)
            alone = await scorecards.station_scorecard(system, round_.id, station.id)
            assert card == alone, (round_.kind, code)
            seen.append(code)
            compared += 1
        assert seen == list(done.units)
    assert compared >= 15


async def test_plain_row_read_equals_the_orm_read(demo, monkeypatch):
    for chunk in (1, 2, 500):
        monkeypatch.setattr(round_inputs, "RAW_CHUNK", chunk)
        for round_ in demo:
            expected = await _orm_raw(round_)
            got = await round_inputs.round_raw(round_)
            pd.testing.assert_frame_equal(got, expected)
            assert list(got.dtypes) == list(expected.dtypes)
    assert len(expected) > 0


async def test_plain_row_read_of_a_round_without_values_equals_the_orm_read(db):
    county = await build_county()
    for round_ in (county.round_a, county.round_b):
        expected = await _orm_raw(round_)
        got = await round_inputs.round_raw(round_)
        assert got.empty and list(got.dtypes) == list(expected.dtypes)
        pd.testing.assert_frame_equal(got, expected)
