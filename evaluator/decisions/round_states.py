"""The lifecycle of an evaluation round (评估轮次), as a table of legal transitions.

::

    draft ──open──▶ open ──submit──▶ submitted ──approve──▶ approved (locked)
                     ▲                  │                      │
                     └──────return──────┘                    reopen (with a reason)
                                        ▲                      ▼
                                        └───────submit──── reopened

- ``open`` and ``submit``: the round's lead evaluator;
- ``return`` (with a reason), ``approve`` and ``reopen`` (with a reason): an officer of the
  buying bureau;
- an administrator may do everything.

Every other (state, action) pair is refused with both languages. Pure: states and roles
are plain strings (the values of ``store.base.RoundState``); the service checks who the
actor is, the version and the dates, and writes in one transaction.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from evaluator.errors import Problem, StateError

STATES: Final = ("draft", "open", "submitted", "approved", "reopened")
ACTIONS: Final = ("open", "submit", "return", "approve", "reopen")
ROLES: Final = ("admin", "lead", "bureau")  # the roles the table names (and everybody else)

TRANSITIONS: Final[MappingProxyType[tuple[str, str], str]] = MappingProxyType(
    {
        ("draft", "open"): "open",
        ("open", "submit"): "submitted",
        ("reopened", "submit"): "submitted",
        ("submitted", "return"): "open",
        ("submitted", "approve"): "approved",
        ("approved", "reopen"): "reopened",
    }
)
# the state each action leads to (also the word of the refusal: "cannot become …")
TARGET: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "open": "open",
        "submit": "submitted",
        "return": "open",
        "approve": "approved",
        "reopen": "reopened",
    }
)
# who may take each action, besides an administrator
ACTOR: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"open": "lead", "submit": "lead", "return": "bureau", "approve": "bureau", "reopen": "bureau"}
)
NEEDS_REASON: Final = frozenset({"return", "reopen"})


def may(action: str, roles: frozenset[str] | set[str]) -> bool:
    """Whether someone holding ``roles`` (of :data:`ROLES`) may take ``action``."""
    return "admin" in roles or ACTOR[action] in roles


def next_state(state: str, action: str) -> str:
    """The state after ``action``, or StateError naming the state and the target."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        target = TARGET[action]
        raise StateError(
            Problem(
                f"a round in state {state} cannot become {target}",
                f"处于 {state} 状态的轮次不能变为 {target}",
            )
        ) from None
