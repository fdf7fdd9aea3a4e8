"""A region's roll-up for a quarter, a half year or a year (汇总上报): counties → city →
province; JSON or the workbook. Civil-affairs officers read their bureau's region and the
regions below it; administrators and auditors any region (docs/rollups.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Literal

from pydantic import Field
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw

from evaluator.decisions.rollup import parse_period
from evaluator.reporting.workbooks.rollup import rollup_workbook
from evaluator.server import parsing
from evaluator.server.api.evidence import content_disposition
from evaluator.server.auth import actor_of
from evaluator.server.docs import doc
from evaluator.server.models import In, Out, render
from evaluator.services import rollups

bp = Blueprint("rollups")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RollupQuery(In):
    period: str = Field(
        max_length=10,
        description="a quarter (2026-Q3), a half year (2026-H2) or a year (2026) 期间",
    )
    region: str | None = Field(
        None,
        max_length=12,
        description="region code (GB/T 2260); your bureau's region when omitted 行政区划代码",
    )
    format: Literal["json", "xlsx"] = "json"


class RegionOut(Out):
    code: str
    name: str
    level: str
    parent: str | None


class PeriodOut(Out):
    label: str
    label_zh: str
    start: dt.date
    end: dt.date


class ColumnOut(Out):
    key: str = Field(description="the figure: `grade.<round kind>.<grade>`, `findings.<severity>`…")
    en: str
    zh: str
    money: bool = Field(description="an amount in fen (else a count)")


class RowOut(Out):
    region: RegionOut
    depth: int = Field(description="0 for the region asked for, 1 for its children…")
    figures: dict[str, int] = Field(description="every column's figure; money in fen")


class RollupOut(Out):
    region: RegionOut
    period: PeriodOut
    today: dt.date = Field(description="the day of the report (figures 'today' are on it)")
    columns: list[ColumnOut]
    rows: list[RowOut]


@bp.get("/rollups")
@doc(
    "A region's roll-up for a quarter, half year or year 汇总上报",
    query=RollupQuery,
    response={
        "application/json": RollupOut,
        XLSX: {"type": "string", "format": "binary"},
    },
    errors=(403, 404),
    description="Each row's figures are its own region's plus the sum of the regions below "
    "it. `format=xlsx` answers the workbook (汇总表) instead of JSON.",
)
async def show_rollup(request: Request) -> HTTPResponse:
    q = parsing.query(request, RollupQuery)
    period = parse_period(q.period, path="query.period")
    rollup = await rollups.region_rollup(actor_of(request), q.region, period)
    document = rollups.document(rollup)
    if q.format == "xlsx":
        data = await asyncio.to_thread(rollup_workbook, document)
        return raw(
            data,
            content_type=XLSX,
            headers={
                "Content-Disposition": content_disposition(
                    f"汇总-{rollup.root.name}-{rollup.period.label}.xlsx"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
    return render(RollupOut.model_validate(document))
