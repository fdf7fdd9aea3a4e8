"""Crash points, for the crash-safety tests (tests/server/test_crash_safety.py).

A write's transaction names the moment its work is half done: ``await crash_point(name)``.
A server process started with ``EVALUATOR_CRASH_POINT=<name>`` that reaches that point
writes the name into the file ``EVALUATOR_CRASH_SIGNAL`` and waits there, to be killed with
SIGKILL — the test then checks that nothing was left half done. Without the variable (every
real deployment) a point costs one environment lookup and does nothing.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

POINTS = ("register.import", "round.approve", "scores.bulk")


async def crash_point(name: str) -> None:
    if os.environ.get("EVALUATOR_CRASH_POINT") != name:
        return
    Path(os.environ["EVALUATOR_CRASH_SIGNAL"]).write_text(name, encoding="utf-8")
    await asyncio.sleep(3600)  # killed here
