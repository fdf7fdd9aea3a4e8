"""A round scored from its stored inputs: what every scorecard, report and snapshot of the
round is read from (built by ``scorecards.compute_round``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evaluator.engine import Result
from evaluator.systems import IndicatorSystem


@dataclass(frozen=True)
class Computed:
    system: IndicatorSystem
    inputs: pd.DataFrame
    result: Result
    units: list[str]
    notes: dict  # (unit, leaf) → explanation of a leaf computed from a register
    waivers: list[tuple[str, str, str]] = field(default_factory=list)  # (unit, leaf, decision)
    key: str = ""  # round_cache.inputs_key of what the result follows from ("" = not kept)
