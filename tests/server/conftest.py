"""Fixtures of the HTTP tests (helpers in ``api_fixtures``)."""

from __future__ import annotations

import pytest
from api_fixtures import FAST_HASHER, Api, World, app_name, sign_in_everyone
from services.workflow_fixtures import build_county

from evaluator.server import create_app
from evaluator.services import auth


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with minimal cost in tests (real hashes, only cheaper)."""
    monkeypatch.setattr(auth, "HASHER", FAST_HASHER)


@pytest.fixture
async def api(db) -> Api:
    async with Api(create_app(app_name(), register_orm=False)) as running:
        yield running


@pytest.fixture
async def world(db) -> World:
    """The workflow county (two agencies, two open rounds) plus an administrator, every
    user with a password and a session token."""
    return await sign_in_everyone(await build_county())
