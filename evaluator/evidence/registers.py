"""The register kinds (台账) by name. A schema is data: the parser
(:mod:`evaluator.evidence.parse`), the templates and ``docs/registers.md``
(:mod:`evaluator.evidence.templates`) are all generated from it."""

from __future__ import annotations

from evaluator.evidence.kinds.finance import FINANCE
from evaluator.evidence.kinds.reports import REPORTS
from evaluator.evidence.kinds.satisfaction import SATISFACTION
from evaluator.evidence.kinds.service_log import SERVICE_LOG
from evaluator.evidence.kinds.staff import STAFF
from evaluator.evidence.kinds.volunteers import VOLUNTEERS
from evaluator.evidence.schema import Message, Rule, Schema, Violation

REGISTERS: dict[str, Schema] = {
    s.kind: s for s in (STAFF, SERVICE_LOG, REPORTS, FINANCE, VOLUNTEERS, SATISFACTION)
}

__all__ = ["REGISTERS", "Message", "Rule", "Schema", "Violation"]
