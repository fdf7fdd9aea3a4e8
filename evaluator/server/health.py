"""``/healthz``: 200 when the database answers and every migration is applied, else 503;
``/livez``: 200 while the process serves, touching nothing (a liveness probe, and the bare
route load tests measure against)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.server.docs import doc
from evaluator.server.models import render
from evaluator.store.db import check_ready

bp = Blueprint("health")


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


@bp.get("/healthz")
@doc(
    "Health: database reachable and migrated 健康检查",
    response=HealthOut,
    errors=(503,),
    public=True,
)
async def healthz(request: Request) -> HTTPResponse:
    await check_ready()
    return render(HealthOut(), headers={"Cache-Control": "no-store"})


class LiveOut(BaseModel):
    status: Literal["alive"] = "alive"


_ALIVE = LiveOut()


@bp.get("/livez")
@doc("Liveness: the process serves (no database) 存活检查", response=LiveOut, public=True)
async def livez(request: Request) -> HTTPResponse:
    return render(_ALIVE, headers={"Cache-Control": "no-store"})
