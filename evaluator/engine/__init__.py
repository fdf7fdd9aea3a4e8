"""The one scoring engine: pure and vectorised (numpy/pandas), no I/O."""

from evaluator.engine.inputs import Inputs, prepare_inputs
from evaluator.engine.reconcile import reconcile, reconcile_report
from evaluator.engine.result import Result
from evaluator.engine.score import score, score_inputs

__all__ = [
    "Inputs",
    "Result",
    "prepare_inputs",
    "reconcile",
    "reconcile_report",
    "score",
    "score_inputs",
]
