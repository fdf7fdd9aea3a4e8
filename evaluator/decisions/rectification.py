"""The rectification lifecycle of a finding (整改), as a table of legal transitions.

::

    open ──submit_plan──▶ plan_submitted ──submit_evidence──▶ evidence_submitted ──verify──▶ closed
      │                         ▲                                   │
      │                         └───────────submit_plan── rejected ◀┘ reject (with a comment)
      │                                                      │
      └──(deadline passed: open, plan_submitted, rejected)──▶ overdue ──▶ escalated
                                                                 (a new finding one step more severe)

An observation needs no plan: an evaluator acknowledges it (open → closed). A termination
finding has no lifecycle of its own: it stays open (it recommends ending the contract and
blocks tranches) until the bureau's decision ends the contract or an evaluator closes it
after an upheld appeal. Every other (state, action) pair is refused with both languages.
"""

from __future__ import annotations

from evaluator.errors import Problem, StateError

STATES = (
    "open",
    "plan_submitted",
    "evidence_submitted",
    "closed",
    "rejected",
    "overdue",
    "escalated",
)
AGENCY_ACTIONS = ("submit_plan", "submit_evidence")
EVALUATOR_ACTIONS = ("verify", "reject", "acknowledge", "close")
SYSTEM_ACTIONS = ("expire", "escalate")

_CORRECTIVE = {
    ("open", "submit_plan"): "plan_submitted",
    ("rejected", "submit_plan"): "plan_submitted",
    ("overdue", "submit_plan"): "plan_submitted",
    ("plan_submitted", "submit_evidence"): "evidence_submitted",
    ("rejected", "submit_evidence"): "evidence_submitted",
    ("evidence_submitted", "verify"): "closed",
    ("evidence_submitted", "reject"): "rejected",
    ("open", "expire"): "overdue",
    ("plan_submitted", "expire"): "overdue",
    ("rejected", "expire"): "overdue",
    ("overdue", "escalate"): "escalated",
}
TRANSITIONS = {
    "observation": {("open", "acknowledge"): "closed"},
    "correction": _CORRECTIVE,
    "suspension": _CORRECTIVE,
    "termination": {("open", "close"): "closed"},
}
OPEN_STATES = frozenset({"open", "plan_submitted", "evidence_submitted", "rejected", "overdue"})


def next_state(severity: str, state: str, action: str) -> str:
    """The state after ``action``, or StateError naming what may be done now."""
    table = TRANSITIONS[severity]
    try:
        return table[(state, action)]
    except KeyError:
        allowed = sorted(a for (s, a) in table if s == state) or ["nothing"]
        raise StateError(
            Problem(
                f"a {severity} finding in state {state} cannot {action.replace('_', ' ')} (now: {', '.join(allowed)})",
                f"处于 {state} 状态的{severity}类问题不能执行 {action}（当前可执行：{'、'.join(allowed)}）",
                path="action",
            )
        ) from None
