"""The table the ICC of a round reads (services.reliability.largest_block): the slots
scored by the same two or more raters; a pool with one rater of its own is left out."""

from __future__ import annotations

import pandas as pd

from evaluator.services.reliability import largest_block


def _rated(rows):
    return pd.DataFrame(rows, columns=["slot", "rater", "share"])


def test_a_purchasers_lone_pool_is_left_out_of_the_third_partys_table():
    rows = [
        (f"S/P1.{i}", r, 0.1 * i + d)
        for i in range(1, 5)
        for r, d in (("a", 0), ("b", 0.05), ("c", -0.05))
    ]
    rows += [("S/P2.1", "buyer", 0.8), ("S/P2.2", "buyer", 0.6), ("S/P3.1", "sup", 0.5)]
    block = largest_block(_rated(rows))
    assert list(block.columns) == ["a", "b", "c"] and len(block) == 4
    assert block.loc["S/P1.2", "b"] == 0.25


def test_the_set_of_raters_with_the_most_ratings_wins():
    # raters a, b on three slots (6 ratings) against x, y, z on one slot (3 ratings); a slot
    # one of the three missed belongs to another block
    rows = [(f"u{i}", r, 0.5) for i in range(3) for r in ("a", "b")]
    rows += [("v", r, 0.4) for r in ("x", "y", "z")]
    rows += [("w", "x", 0.1), ("w", "y", 0.2)]
    block = largest_block(_rated(rows))
    assert list(block.columns) == ["a", "b"] and list(block.index) == ["u0", "u1", "u2"]


def test_nobody_agrees_with_a_lone_rater():
    assert largest_block(_rated([("s1", "a", 0.1), ("s2", "b", 0.2)])).empty
    assert largest_block(_rated([])).empty
