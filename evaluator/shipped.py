"""Where the shipped content (indicators/, rubrics/, reports/, calendars/) lives.

In a source checkout (editable install) it is at the top of the repository; in a wheel
installed with a plain ``pip install .`` it is copied into ``evaluator/_shipped/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return the directory of shipped ``indicators``, ``rubrics``, ``reports`` or ``calendars``."""
    if name not in {"indicators", "rubrics", "reports", "calendars"}:
        raise ValueError(f"no shipped content called {name!r}")
    for candidate in (_PACKAGE / "_shipped" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped {name}/ not found next to the evaluator package")


def shipped_system(system_id: str) -> Path:
    """Path of a shipped indicator system by file stem, e.g. ``station-annual``."""
    return shipped_dir("indicators") / f"{system_id}.yaml"
