"""A sensitivity report as one document (JSON); laid out as a workbook by
``evaluator.reporting.sensitivity``."""

from __future__ import annotations

from typing import Any

from evaluator.analysis.sensitivity import Outcome, Settings, check_levels
from evaluator.engine.result import Result
from evaluator.systems import IndicatorSystem


def sensitivity_report(
    system: IndicatorSystem,
    result: Result,
    settings: Settings | None = None,
    *,
    groups: dict[str, str] | None = None,
    outcomes: dict[str, Outcome] | None = None,
    attribution: bool = True,
) -> dict[str, Any]:
    """Uncertainty (per unit, per group, per cohort) and, with ``attribution``, Sobol
    indices, the surrogate and PCA weights."""
    from evaluator.analysis.attribution import attribute
    from evaluator.analysis.uncertainty import analyse

    settings = settings or Settings()
    check_levels(system, settings.levels)
    doc = {"system": {"id": system.id, "version": system.version, "hash": system.content_hash}}
    doc |= analyse(system, result, settings, groups, outcomes).to_dict()
    if attribution:
        doc["attribution"] = attribute(system, result, settings)
    return doc
