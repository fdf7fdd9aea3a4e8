"""The one scoring engine: pure and vectorised (numpy/pandas), no I/O."""

from evaluator.engine.inputs import Inputs, prepare_inputs
from evaluator.engine.result import Result
from evaluator.engine.score import score, score_inputs

__all__ = ["Inputs", "Result", "prepare_inputs", "score", "score_inputs"]
