"""The metric library: named computations that fill leaves from registers.

See docs/metrics.md (generated from these definitions) for every metric's formula.
"""

from __future__ import annotations

from evaluator.evidence.metrics.base import INSUFFICIENT_SAMPLE, Metric, Param, Period
from evaluator.evidence.metrics.finance import FINANCE_METRICS
from evaluator.evidence.metrics.reports import REPORT_METRICS
from evaluator.evidence.metrics.results import RESULTS_KIND, RESULTS_METRICS
from evaluator.evidence.metrics.services import SERVICE_METRICS
from evaluator.evidence.metrics.staff import STAFF_METRICS
from evaluator.evidence.metrics.surveys import SURVEY_METRICS
from evaluator.evidence.metrics.volunteers import VOLUNTEER_METRICS
from evaluator.systems.vocabulary import CONTRACT_FIELDS, TARGET_KEYS

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        *STAFF_METRICS,
        *SERVICE_METRICS,
        *REPORT_METRICS,
        *FINANCE_METRICS,
        *VOLUNTEER_METRICS,
        *SURVEY_METRICS,
        *RESULTS_METRICS,
    )
}

__all__ = [
    "CONTRACT_FIELDS",
    "INSUFFICIENT_SAMPLE",
    "METRICS",
    "RESULTS_KIND",
    "TARGET_KEYS",
    "Metric",
    "Param",
    "Period",
]
