"""The spot check's draw (analysis/spot_sample.py): reproducible from the seed and the codes,
checked against digests computed outside Python (``printf 'SEED:ST01' | sha256sum``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluator.analysis.spot_sample import draw, rank_key, sample_size

SEED = "c0ffee00-0000-4000-8000-000000000001"
CODES = [f"ST{i:02d}" for i in range(1, 8)]


def test_the_draw_by_hand():
    # sha256sum of "SEED:code", first 12 hex digits, lowest first:
    # ST04 5dbd62b20b9b, ST07 72cb5c5355aa, ST06 92e116dafeab, ST05 c2f288e5b721, ST01 c87e…
    assert rank_key(SEED, "ST04").startswith("5dbd62b20b9b")
    assert draw(CODES, 3, SEED) == ["ST04", "ST06", "ST07"]
    assert draw(CODES, 4, SEED) == ["ST04", "ST05", "ST06", "ST07"]
    assert draw(CODES, 0, SEED) == [] and draw(CODES, 7, SEED) == CODES
    # another seed, another draw: ST03 04c68015c29d, ST02 0f140060fa66, ST01 46ca88c69ea7
    assert draw(CODES, 3, SEED[:-1] + "2") == ["ST01", "ST02", "ST03"]
    with pytest.raises(ValueError):
        draw(CODES, 8, SEED)


def test_a_share_asks_for_at_least_that_share():
    assert sample_size(10, share=0.3) == 3  # 0.3 × 10 is 3.0000000000000004 in floats
    assert sample_size(7, share=0.3) == 3  # 2.1 rounded up
    assert sample_size(5, share=0.01) == 1  # never none
    assert sample_size(4, share=1) == 4
    assert sample_size(9, count=2) == 2 and sample_size(9) == 9


@given(
    st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=30, unique=True),
    st.integers(0, 30),
    st.text(max_size=40),
)
def test_the_draw_is_a_subset_of_its_size_whatever_the_order(codes, k, seed):
    k = min(k, len(codes))
    chosen = draw(codes, k, seed)
    assert len(chosen) == k and set(chosen) <= set(codes) and chosen == sorted(chosen)
    assert draw(list(reversed(codes)), k, seed) == chosen
    # a larger sample of the same seed keeps the smaller one (the ranking is one list)
    assert set(chosen) <= set(draw(codes, min(k + 1, len(codes)), seed))
