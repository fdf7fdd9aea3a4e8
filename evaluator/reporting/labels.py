"""The Chinese words of the codes reports show (states, kinds, sources): the decisions'
vocabulary (evaluator/decisions/words.py), under the names the renderers use."""

from __future__ import annotations

from evaluator.decisions.words import (
    EVIDENCE_ZH,
    GRADE_ON_ZH,
    OUTCOME_ZH,
    ROLE_ZH,
    ROUND_STATE_ZH,
    SEVERITY_ZH,
    SOURCE_ZH,
    TRANCHE_ZH,
)
from evaluator.decisions.words import FINDING_STATE_ZH as STATE_ZH
from evaluator.decisions.words import ROUND_KIND_ZH as KIND_ZH

__all__ = [
    "EVIDENCE_ZH",
    "GRADE_ON_ZH",
    "KIND_ZH",
    "OUTCOME_ZH",
    "ROLE_ZH",
    "ROUND_STATE_ZH",
    "SEVERITY_ZH",
    "SOURCE_ZH",
    "STATE_ZH",
    "TRANCHE_ZH",
]
