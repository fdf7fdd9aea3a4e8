"""One report document in one format: the bytes, their media type and a file name people
can keep (Chinese, with the station or contract and the round's date). The same function
serves the API, the command line and the demo."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from evaluator.errors import InvalidInput, Problem

FORMATS = {
    "station": ("xlsx", "html", "md", "pdf"),
    "contract": ("xlsx", "html", "md", "pdf"),
    "summary": ("xlsx", "json"),
}
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}


@dataclass(frozen=True)
class Output:
    data: bytes
    media_type: str
    file_name: str


def check_format(kind: str, fmt: str) -> str:
    """The format, or a located refusal naming the formats of this kind of report."""
    if fmt not in FORMATS[kind]:
        allowed = ", ".join(FORMATS[kind])
        raise InvalidInput(
            Problem(
                f"format must be one of {allowed} for a {kind} report, not {fmt!r}",
                f"{kind} 报告的格式须为 {allowed} 之一，不能为 {fmt!r}",
                path="format",
            )
        )
    return fmt


def render(doc: dict, fmt: str, templates: Path | None = None) -> Output:
    """The document ``doc`` (``doc["kind"]``: station, contract or summary) as ``fmt``;
    ``templates``: a folder of the report's own templates (default: the shipped ones).
    CPU-bound: adapters call it off the event loop."""
    kind = doc["kind"]
    check_format(kind, fmt)
    name = file_name(doc, fmt)
    if fmt == "xlsx":
        from evaluator.reporting import workbooks

        writer = {
            "station": workbooks.station_workbook,
            "contract": workbooks.contract_workbook,
            "summary": workbooks.summary_workbook,
        }[kind]
        return Output(writer(doc), MEDIA[fmt], name)
    if fmt == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True)
        return Output(text.encode("utf-8"), MEDIA[fmt], name)
    from evaluator.reporting import report

    if fmt == "md":
        return Output(report.render_markdown(doc, templates).encode("utf-8"), MEDIA[fmt], name)
    html = report.render_html(doc, templates)
    if fmt == "html":
        return Output(html.encode("utf-8"), MEDIA[fmt], name)
    return Output(report.render_pdf(html), MEDIA[fmt], name)


def file_name(doc: dict, fmt: str) -> str:
    """``评估报告-ST08-城关镇社会工作服务站-2026-09-30.pdf``, ``评分卡-….xlsx``,
    ``评估汇总-341521-SGZ-2026-01-2026-09-30.xlsx``: safe on every file system."""
    kind = doc["kind"]
    if kind == "summary":
        parts = ["评估汇总", doc["contract"]["code"], doc["round"]["as_of"]]
    else:
        what = "评分卡" if fmt == "xlsx" else "评估报告"
        as_of = doc["card"]["round"]["as_of"]
        if kind == "station":
            parts = [what, doc["station"]["code"], doc["station"]["name"], as_of]
        else:
            parts = [what, doc["contract"]["code"], doc["card"]["agency"]["name"], as_of]
    stem = "-".join(_safe(p) for p in parts if p)
    return f"{stem}.{fmt}"


def _safe(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", str(text)).strip("_")[:60]
