"""One cell vocabulary: the offline ``evaluator score`` input and the registers read a
number the same way (:mod:`evaluator.tables.cells`)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluator.engine.inputs import FALSE_WORDS, TRUE_WORDS, read_numbers
from evaluator.evidence.columns import Column
from evaluator.tables.cells import Bad, finite_number, parse_fen, parse_number, parse_percent

DECIMAL = Column("x", "x", "x", "decimal")
INTEGER = Column("x", "x", "x", "integer")

FULL_WIDTH = str.maketrans("0123456789.,+-", "０１２３４５６７８９．，＋－")


def engine(text: str) -> float | None:
    values, bad = read_numbers(pd.Series([text], dtype=object))
    return None if bad[0] else float(values[0])


def register(column: Column, text: str) -> float | None:
    got = column.parse(text.strip())  # the table reader strips every cell
    return None if isinstance(got, Bad) else float(got)


def _typed(x: float, style: int, width: bool, minus: str) -> str:
    text = [repr(x), f"{x:,}", f"{x:.2f}", f"{x:,.3f}", f"{x:e}", str(int(x))][style]
    text = text.replace("-", minus)
    return text.translate(FULL_WIDTH) if width else text


numbers_as_typed = st.builds(
    _typed,
    st.floats(-1e12, 1e12, allow_nan=False),
    st.integers(0, 5),
    st.booleans(),
    st.sampled_from(["-", "\u2212", "\uff0d"]),
)
scribbles = st.text(
    alphabet="0123456789０１２３４５６７８９,.，．+-−－eE %％ 人a\u3000", min_size=1, max_size=12
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(numbers_as_typed, scribbles))
def test_engine_and_registers_read_every_cell_alike(text):
    assume(text.strip() and text.strip().lower() not in TRUE_WORDS | FALSE_WORDS)
    assert engine(text) == register(DECIMAL, text)
    # an integer column takes the whole numbers among them, the same ones
    whole = register(INTEGER, text)
    if whole is not None:
        assert engine(text) == whole


@pytest.mark.parametrize(
    ("text", "value"),
    [("１２．５", 12.5), ("−3", -3.0), ("－3", -3.0), ("1,234.5", 1234.5), ("１，２００", 1200.0)],
)
def test_the_offline_input_reads_what_registers_read(text, value):
    assert engine(text) == value == register(DECIMAL, text)


@pytest.mark.parametrize("text", ["12 人", "1,23", "nan", "inf", "1e400", "abc"])
def test_both_refuse(text):
    assert engine(text) is None and register(DECIMAL, text) is None


def test_finite_number():
    assert parse_number("1e400") == float("inf")
    assert finite_number("1e400") is None
    assert finite_number("−１２") == -12.0


@pytest.mark.parametrize(
    ("text", "share"), [("85%", 0.85), ("８５％", 0.85), ("12.5 %", 0.125), ("−5%", -0.05)]
)
def test_percentages(text, share):
    assert parse_percent(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["85", "%", "abc%", "1e400%", "85%%"])
def test_not_percentages(text):
    assert parse_percent(text) is None


def test_money_reads_unicode_minus_and_full_width():
    assert parse_fen("−１，２３４．５６") == -123456
