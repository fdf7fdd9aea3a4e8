"""The metric library: named computations that fill leaves from registers.

See docs/metrics.md (generated from these definitions) for every metric's formula.
"""

from __future__ import annotations

from evaluator.evidence.metrics.base import INSUFFICIENT_SAMPLE, Metric, Param, Period
from evaluator.evidence.metrics.finance import FINANCE_METRICS
from evaluator.evidence.metrics.reports import REPORT_METRICS
from evaluator.evidence.metrics.services import SERVICE_METRICS
from evaluator.evidence.metrics.staff import STAFF_METRICS
from evaluator.evidence.metrics.surveys import SURVEY_METRICS
from evaluator.evidence.metrics.volunteers import VOLUNTEER_METRICS

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        *STAFF_METRICS,
        *SERVICE_METRICS,
        *REPORT_METRICS,
        *FINANCE_METRICS,
        *VOLUNTEER_METRICS,
        *SURVEY_METRICS,
    )
}

# Contract fields a measure's target may name: ``contract.targets.<key>`` reads the station's
# per-station targets (ContractStation.targets), ``contract.staffing_min`` the contract's.
TARGET_KEYS = {
    "staff": ("合同约定驻站社工人数", "contracted social workers per station"),
    "cases": ("个案目标数", "target number of cases"),
    "groups": ("小组目标数", "target number of groups"),
    "activities": ("活动目标场次", "target number of activities"),
    "visits": ("探访目标人数", "target number of visits"),
    "tasks": ("交办事项数", "tasks assigned by the purchaser"),
    "volunteers": ("志愿者目标人数", "target number of registered volunteers"),
    "volunteer_hours": ("志愿服务目标时长", "target volunteer hours"),
    "budget": ("年度预算（元）", "annual budget (yuan)"),
    "reports": ("应报报告份数", "reports due"),
}
CONTRACT_FIELDS = {
    "contract.staffing_min": (
        "合同约定每站最少社工人数",
        "contract's minimum social workers per station",
    )
}

__all__ = [
    "CONTRACT_FIELDS",
    "INSUFFICIENT_SAMPLE",
    "METRICS",
    "TARGET_KEYS",
    "Metric",
    "Param",
    "Period",
]
