"""Every (state, action, role) of a round's lifecycle: the legal ones give the documented
next state, every other state is refused with both languages, and only the documented
roles may act."""

from __future__ import annotations

import itertools

import pytest

from evaluator.decisions.round_states import (
    ACTIONS,
    ACTOR,
    NEEDS_REASON,
    ROLES,
    STATES,
    TRANSITIONS,
    may,
    next_state,
)
from evaluator.errors import StateError

LEGAL = {
    ("draft", "open"): "open",
    ("open", "submit"): "submitted",
    ("reopened", "submit"): "submitted",
    ("submitted", "return"): "open",
    ("submitted", "approve"): "approved",
    ("approved", "reopen"): "reopened",
}
# who may take each action: the round's lead drives, the buying bureau decides
WHO = {
    "open": {"admin", "lead"},
    "submit": {"admin", "lead"},
    "return": {"admin", "bureau"},
    "approve": {"admin", "bureau"},
    "reopen": {"admin", "bureau"},
}
EVERYBODY = (*ROLES, "evaluator", "agency", "nobody")


def test_the_table_is_the_documented_one():
    assert dict(TRANSITIONS) == LEGAL
    assert set(ACTOR) == set(ACTIONS) and {"return", "reopen"} == NEEDS_REASON
    assert {s for pair in LEGAL for s in pair[:1]} | set(LEGAL.values()) == set(STATES)


@pytest.mark.parametrize(
    ("state", "action", "role"), list(itertools.product(STATES, ACTIONS, EVERYBODY))
)
def test_every_transition_and_role(state, action, role):
    assert may(action, {role}) == (role in WHO[action])
    expected = LEGAL.get((state, action))
    if expected is not None:
        assert next_state(state, action) == expected
    else:
        with pytest.raises(StateError) as caught:
            next_state(state, action)
        (problem,) = caught.value.problems
        assert state in problem.en and state in problem.zh


def test_the_refusal_names_the_state_and_the_target():
    with pytest.raises(StateError) as caught:
        next_state("submitted", "open")  # opening is from draft only: returning is the bureau's
    assert str(caught.value.problems[0]) == (
        "a round in state submitted cannot become open (处于 submitted 状态的轮次不能变为 open)"
    )


def test_an_approved_round_only_reopens():
    assert [a for a in ACTIONS if ("approved", a) in TRANSITIONS] == ["reopen"]


def test_the_states_are_the_stored_ones():
    from evaluator.store.base import RoundState

    assert tuple(s.value for s in RoundState) == STATES
