"""Indicator-system language: schema, loading with located errors, canonical form and hash."""

from evaluator.systems.loader import load_rubric_set, load_system, parse_system
from evaluator.systems.model import IndicatorSystem, Node

__all__ = ["IndicatorSystem", "Node", "load_rubric_set", "load_system", "parse_system"]
