"""The register kinds (台账) by name, and who supplies each. A schema is data: the parser
(:mod:`evaluator.evidence.parse`), the templates and ``docs/registers.md``
(:mod:`evaluator.evidence.templates`) are all generated from it; so is the ownership table
the registers service checks every import against (``SUPPLIERS``)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Supplier:
    """Whose evidence a register is. ``agency``: the service agency keeps it and imports
    it; the evaluation side (the round's evaluators, lead, an administrator) may import it
    too, e.g. a copy collected on site. ``evaluator``: the evaluator's own instrument; only
    the evaluation side imports it, never the evaluated agency."""

    code: str
    en: str
    zh: str
    agency_may_import: bool


AGENCY = Supplier(
    "agency",
    "the service agency (its operational register); the round's evaluators may import it too",
    "承接机构提供的业务台账，本轮评估员亦可导入",
    True,
)
EVALUATOR = Supplier(
    "evaluator",
    "the evaluation side only, the round's evaluators and lead evaluator (the evaluator's own"
    " instrument)",
    "评估方（本轮评估员及主评估员）专用，是评估方的调查工具",
    False,
)

# Who supplies each kind. Every kind has an entry (a test checks it): a new kind must say.
SUPPLIERS: dict[str, Supplier] = {
    "staff": AGENCY,
    "service_log": AGENCY,
    "reports": AGENCY,
    "finance": AGENCY,
    "volunteers": AGENCY,
    "satisfaction": EVALUATOR,  # the survey measures the agency: it must not write it
}

__all__ = [
    "AGENCY",
    "EVALUATOR",
    "REGISTERS",
    "SUPPLIERS",
    "Message",
    "Rule",
    "Schema",
    "Supplier",
    "Violation",
]
