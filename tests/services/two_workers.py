"""``evaluator serve --workers 2`` on 127.0.0.1 against the test database, for the races
that only two processes show (PostgreSQL: SQLite allows one worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_until_up(base: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"evaluator serve exited with {process.returncode}")
            try:
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("evaluator serve did not answer /healthz in time")


@asynccontextmanager
async def two_workers(database_url: str, evidence_dir: Path) -> AsyncIterator[str]:
    """The base URL of a two-worker server; stopped (SIGINT, then SIGKILL) on the way out."""
    async with served(database_url, evidence_dir, workers=2) as (base, _):
        yield base


@asynccontextmanager
async def served(
    database_url: str, evidence_dir: Path, *, workers: int = 1, env: dict | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen]]:
    """(base URL, process) of ``evaluator serve`` in a session of its own (``os.killpg``
    reaches every worker); stopped on the way out unless already killed."""
    port = _free_port()
    environment = (
        os.environ | {"DATABASE_URL": database_url, "EVIDENCE_DIR": str(evidence_dir)} | (env or {})
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evaluator",
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
