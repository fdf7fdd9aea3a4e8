"""What a raw value may be: the range of each leaf's input, derived from the system.

One pure function, :func:`value_bounds`, says for a leaf (and, for a checklist, each of
its items) which raw values are admissible; the input check of :mod:`evaluator.engine.inputs`
(offline ``evaluator score``, the scoring services, multi-rater tables) uses it and nothing
else, so a value the CLI refuses is refused over HTTP too, with the same message.

========== =================================================================
method     admissible raw ``value``
========== =================================================================
checklist  each item 0 (not met) or 1 (met)
rubric     one of the leaf's levels (its inline levels or its rubric set)
likert     a mean within ``scale`` (inclusive)
ratio      an actual (or, without a target, a ratio) ≥ 0
count      a count ≥ 0
deduction  a number of incidents ≥ 0
bonus      a count ≥ 0
veto       0 (not confirmed) or 1 (confirmed)
========== =================================================================

Every value must also be a finite number: NaN and ±infinity are never a score. Besides
``value``: ``target`` ≥ 0 (finite; 0 only where the leaf's ``zero_target`` is ``zero`` or
``skip``), ``n`` a whole number 0 … :data:`N_MAX` (it is stored
in a 32-bit column), ``elapsed`` in (0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evaluator.systems.model import IndicatorSystem, Node
from evaluator.systems.schema import LikertLeaf

N_MAX = 2**31 - 1  # the largest sample size (``n``) a score can hold
INT64_MAX = 2**63 - 1  # the largest whole number (money in fen, counts) the store can hold


@dataclass(frozen=True)
class Bounds:
    """Admissible raw values: ``low`` ≤ x ≤ ``high`` (inclusive; ``high`` may be infinite,
    meaning "no upper bound" — x itself must still be finite), and when ``levels`` is given,
    x must be one of those whole numbers."""

    low: float
    high: float = math.inf
    levels: tuple[int, ...] | None = None

    def admits(self, x: float) -> bool:
        if not math.isfinite(x) or x < self.low or x > self.high:
            return False
        return self.levels is None or (float(x).is_integer() and int(x) in self.levels)

    def text(self) -> tuple[str, str]:
        """What the value must be: (English, Chinese), e.g. ``one of 0, 1`` / ``0 or more``."""
        if self.levels is not None:
            shown = ", ".join(str(v) for v in self.levels)
            return f"one of {shown}", f"{shown} 之一"
        if math.isfinite(self.high):
            return f"{self.low:g} to {self.high:g}", f"{self.low:g} 至 {self.high:g}"
        return f"{self.low:g} or more", f"{self.low:g} 及以上"


YES_NO = Bounds(0.0, 1.0, (0, 1))
NON_NEGATIVE = Bounds(0.0)


def value_bounds(system: IndicatorSystem, leaf: Node) -> Bounds:
    """The admissible raw values of a leaf (of each item, for a checklist)."""
    method = leaf.method
    if method == "checklist":
        return YES_NO
    if method == "rubric":
        levels = tuple(sorted(lv.level for lv in system.rubric_levels(leaf)))
        return Bounds(float(levels[0]), float(levels[-1]), levels)
    if method == "likert":
        low, high = leaf.spec_as(LikertLeaf).scale
        return Bounds(float(low), float(high))
    if method in ("ratio", "count", "deduction", "bonus"):
        return NON_NEGATIVE
    raise ValueError(f"{leaf.code} is not a leaf")  # a group: no raw value


def veto_bounds() -> Bounds:
    """A veto row's value: confirmed (1) or not (0)."""
    return YES_NO
