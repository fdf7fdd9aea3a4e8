"""Every (severity, state, action) of the rectification lifecycle: the legal ones give the
documented next state, every other is refused with both languages."""

from __future__ import annotations

import itertools

import pytest

from evaluator.decisions.rectification import (
    AGENCY_ACTIONS,
    EVALUATOR_ACTIONS,
    STATES,
    SYSTEM_ACTIONS,
    TRANSITIONS,
    next_state,
)
from evaluator.errors import StateError

LEGAL = {
    "correction": {
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
    },
    "observation": {("open", "acknowledge"): "closed"},
    "termination": {("open", "close"): "closed"},
}
LEGAL["suspension"] = LEGAL["correction"]
ACTIONS = AGENCY_ACTIONS + EVALUATOR_ACTIONS + SYSTEM_ACTIONS


def test_the_table_is_the_documented_one():
    assert TRANSITIONS == LEGAL


@pytest.mark.parametrize(
    ("severity", "state", "action"), list(itertools.product(LEGAL, STATES, ACTIONS))
)
def test_every_transition(severity, state, action):
    expected = LEGAL[severity].get((state, action))
    if expected is not None:
        assert next_state(severity, state, action) == expected
    else:
        with pytest.raises(StateError) as caught:
            next_state(severity, state, action)
        (problem,) = caught.value.problems
        assert state in problem.en and problem.zh and problem.path == "action"


def test_evidence_awaiting_verification_never_expires():
    with pytest.raises(StateError):
        next_state("correction", "evidence_submitted", "expire")
    for final in ("closed", "escalated"):
        for action in ACTIONS:
            with pytest.raises(StateError):
                next_state("correction", final, action)
