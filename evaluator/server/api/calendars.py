"""The working-day calendar (节假日安排): every holiday and make-up working day of a year,
official (published by the State Council) or provisional (derived from the law), with its
source; an administrator adds a year's schedule as YAML (every problem located by line and
path), and the provisional dates it settles are recomputed in the same transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from evaluator.errors import CalendarError, Problem
from evaluator.server import parsing
from evaluator.server.api.evidence import header_text
from evaluator.server.api.systems import YAML_TYPES
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.errors import UnsupportedMediaType
from evaluator.server.models import Out, render
from evaluator.services import calendars

bp = Blueprint("calendars", url_prefix="/calendars")
DEFAULT_FILE = "calendar.yaml"


class Names(Out):
    zh: str
    en: str


class SourceOut(Out):
    zh: str
    en: str
    document: str | None = Field(description="the notice's number, when given 文号")


class CalendarDayOut(Out):
    date: dt.date
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")
    working: bool
    kind: Literal["holiday", "make_up_workday"] = Field(
        description="holiday 放假; make_up_workday 调休上班 (a Saturday or Sunday worked)"
    )
    holiday: str | None = Field(description="the holiday's code, e.g. spring_festival")
    name: Names | None
    provisional: bool = Field(description="derived from the law, not yet published 暂定")


class YearOut(Out):
    year: int
    kind: Literal["official", "provisional"]
    provisional: bool
    origin: Literal["package", "shipped", "added", "law"] = Field(
        description="package: chinese-calendar; shipped: calendars/ of this release; added: an "
        "administrator's file; law: derived from the statutory holidays (provisional)"
    )
    source: SourceOut
    version: str
    revisions: int = Field(description="how many times an administrator added this year")
    days: list[CalendarDayOut]


class RecomputedOut(Out):
    kind: Literal["finding", "appeal_window"]
    id: str = Field(description="the finding's or the round's id")
    before: dt.date | None
    after: dt.date
    basis: Literal["official", "provisional"]
    note: str


class AddedOut(Out):
    year: int
    revision: int
    unchanged: bool = Field(description="the same content was already the year's newest revision")
    schedule: YearOut = Field(description="the year as now in force")
    recomputed: list[RecomputedOut] = Field(
        description="stored provisional dates this schedule settled (deadlines, appeal windows)"
    )


@bp.get("/<year:int>")
@doc(
    "A year's holidays and make-up working days, official or provisional 年度节假日安排",
    response=YearOut,
    errors=(422,),
    description="Years 1901–2099. A year the State Council has not published is provisional "
    "(暂定): derived from the National Holidays Regulation, no make-up working days.",
)
async def show_calendar(request: Request, year: int) -> HTTPResponse:
    actor_of(request)
    try:
        view = await calendars.show(year)
    except CalendarError as exc:
        raise CalendarError([dataclasses.replace(p, path="year") for p in exc.problems]) from None
    return render(YearOut.model_validate(calendars.year_document(view)))


@bp.post("")
@doc(
    "Add a year's holiday schedule (YAML body; an administrator) 添加节假日安排",
    body={"text/yaml": {"type": "string"}},
    response=AddedOut,
    status=(200, 201),
    errors=(403, 409, 413, 415, 422),
    headers={"X-Filename": "file name used to locate problems, percent-encoded UTF-8 文件名"},
    description="The schedule's YAML (calendars/README.md): invalid files answer 422 with every "
    "problem located (line and path) 校验失败时逐项定位. A new schedule (or revision) → 201, and "
    "the provisional deadlines and appeal windows it settles are recomputed (listed in "
    "`recomputed`); the same content again → 200 unchanged.",
)
async def add_calendar(request: Request) -> HTTPResponse:
    actor = actor_of(request)
    text, file = _yaml(request)
    added = await calendars.add_schedule(actor, text, file)
    view = await calendars.show(added.schedule.year)
    body = AddedOut(
        year=added.schedule.year,
        revision=added.revision,
        unchanged=added.unchanged,
        schedule=YearOut.model_validate(calendars.year_document(view)),
        recomputed=[
            RecomputedOut(
                kind=c.kind,
                id=c.object_id,
                before=c.before,
                after=c.after,
                basis=c.basis,
                note=c.note,
            )
            for c in added.recomputed
        ],
    )
    headers = {"Location": f"/api/v1/calendars/{added.schedule.year}"}
    return render(body, 200 if added.unchanged else 201, headers)


def _yaml(request: Request) -> tuple[str, str]:
    """The body as UTF-8 YAML text and the file name that locates its problems."""
    kind = request.content_type.split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise UnsupportedMediaType(
            Problem(
                f"send the schedule as text/yaml, not {kind or 'nothing'}",
                f"请以 text/yaml 发送节假日安排，而非 {kind or '空类型'}",
                path="Content-Type",
            )
        )
    name = header_text(request.headers.get("x-filename", ""))
    # a name is data only (problem locations, the stored row): no control characters
    file = "".join(c for c in name if c.isprintable()).strip()[:255] or DEFAULT_FILE
    return parsing.yaml_text(request, file), file
