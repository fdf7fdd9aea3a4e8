"""The evaluation report (评估报告): a report document of :mod:`evaluator.services.reports`
through a Markdown template (Jinja2) of ``reports/`` — shipped, or a bureau's own copy —
then HTML (markdown-it-py, tables on, the print stylesheet inlined, charts as inline SVG)
and PDF (headless Chromium, where it is installed). A template's own mistakes are reported
with its file and line, never as a traceback."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt

from evaluator.errors import InvalidInput, Problem
from evaluator.reporting.charts import family_bars_svg
from evaluator.reporting.labels import (
    EVIDENCE_ZH,
    KIND_ZH,
    OUTCOME_ZH,
    SEVERITY_ZH,
    SOURCE_ZH,
    STATE_ZH,
    TRANCHE_ZH,
)
from evaluator.shipped import shipped_dir

TEMPLATES = {"station": "station.md.j2", "contract": "contract.md.j2"}
CHART_MARK = "@@family-chart@@"  # where a template puts the chart (replaced by the SVG)
STYLESHEET = "print.css"
PDF_TIMEOUT_SECONDS = 120


# -- filters ------------------------------------------------------------------------------
def yuan(fen: int) -> str:
    """Integer fen as yuan, exact: 123456789 → ¥1,234,567.89 (never through a float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def points(value: float | None, decimals: int = 2) -> str:
    """A score half-up at ``decimals``; — for none (a skipped node)."""
    if value is None:
        return "—"
    step = Decimal(1).scaleb(-decimals)
    return str(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def percent(share: float | None, decimals: int = 1) -> str:
    return "—" if share is None else f"{100 * share:.{decimals}f}%"


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#<>!])")


def cell(value: Any) -> str:
    """Text as text in Markdown (a table cell, a heading): Markdown's punctuation escaped,
    lines joined. HTML in it is never HTML: the Markdown is rendered with raw HTML off."""
    if value is None or value == "":
        return "—"
    text = str(value).replace("\r", " ").replace("\n", " ")
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def number(value: float | None) -> str:
    """An input as given (up to 6 significant digits)."""
    return "—" if value is None else f"{value:.6g}"


# -- what the narrative says ----------------------------------------------------------------
def narrative(doc: dict) -> dict[str, Any]:
    """The facts a short narrative is written from: the strongest and the weakest family by
    share of points, and the three leaves that lost most points."""
    families = [f for f in doc["card"]["families"] if f["max"]]
    shares = sorted(families, key=lambda f: (f["points"] or 0) / f["max"])
    leaves = [
        leaf
        for leaf in doc["card"]["leaves"]
        if leaf["method"] != "bonus" and leaf["points"] is not None
    ]
    lost = sorted(leaves, key=lambda x: -(x["max_points"] - x["points"]))
    return {
        "strongest": shares[-1] if shares else None,
        "weakest": shares[0] if shares else None,
        "lost": [
            leaf | {"lost": leaf["max_points"] - leaf["points"]}
            for leaf in lost[:3]
            if leaf["max_points"] - leaf["points"] > 1e-9
        ],
    }


# -- rendering ------------------------------------------------------------------------------
def render_markdown(doc: dict, template_dir: Path | None = None) -> str:
    """The report of ``doc`` (kind station or contract) as Markdown."""
    folder = Path(template_dir) if template_dir is not None else shipped_dir("reports")
    name = TEMPLATES.get(doc["kind"])
    if name is None:
        raise InvalidInput(
            Problem(
                f"no evaluation report for a {doc['kind']} document",
                f"{doc['kind']} 文档没有评估报告",
                path="format",
            )
        )
    env = _environment(str(folder))
    decimals = doc["system"]["decimals"]
    context = {
        **doc,
        "decimals": decimals,
        "story": narrative(doc) if doc["kind"] == "station" else None,
        "chart": CHART_MARK,
        "SEVERITY_ZH": SEVERITY_ZH,
        "OUTCOME_ZH": OUTCOME_ZH,
        "KIND_ZH": KIND_ZH,
        "STATE_ZH": STATE_ZH,
        "TRANCHE_ZH": TRANCHE_ZH,
        "SOURCE_ZH": SOURCE_ZH,
        "EVIDENCE_ZH": EVIDENCE_ZH,
    }
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(
            Problem(
                f"template error: {exc.message}",
                f"模板有误：{exc.message}",
                file=exc.filename or name,
                line=exc.lineno,
            )
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise InvalidInput(
            Problem(
                f"template {exc.name} not found in {folder}",
                f"在 {folder} 中找不到模板 {exc.name}",
                file=str(folder / str(exc.name)),
            )
        ) from None
    except (jinja2.UndefinedError, TypeError, ValueError, KeyError) as exc:
        file, line = _template_line(exc, folder)
        raise InvalidInput(
            Problem(f"template error: {exc}", f"模板有误：{exc}", file=file or name, line=line)
        ) from None


def render_html(doc: dict, template_dir: Path | None = None) -> str:
    """The report as one standalone HTML document (stylesheet inlined, SVG charts, no
    external reference), ready to print on A4."""
    folder = Path(template_dir) if template_dir is not None else shipped_dir("reports")
    body = _markdown().render(render_markdown(doc, folder))
    # the one piece of markup that is ours: the chart, put where the template asked for it
    body = body.replace(f"<p>{CHART_MARK}</p>", _chart(doc)).replace(CHART_MARK, "")
    style = (
        (folder / STYLESHEET).read_text(encoding="utf-8") if (folder / STYLESHEET).is_file() else ""
    )
    title = _title(doc)
    running_text = (
        f"{title} · {doc['system']['id']} {doc['system']['version']} {doc['system']['hash'][:19]}"
    )
    running = escape(running_text)
    margin = _css_string(running_text)
    pages = (
        "@page { @top-left { content: " + margin + "; font-size: 8pt; color: #666; }\n"
        '  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }'
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>\n{style}\n{pages}\n</style>\n</head>\n<body>\n"
        f'<div class="running">{running}</div>\n<main>\n{body}</main>\n</body>\n</html>\n'
    )


def render_pdf(html: str) -> bytes:
    """The HTML printed to PDF by headless Chromium; a clear refusal where it is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise InvalidInput(
            Problem(
                "PDF needs Chromium: install the Debian packages chromium and fonts-noto-cjk "
                "(apt-get install chromium fonts-noto-cjk), or use --format html and print "
                "from a browser",
                "生成 PDF 需要 Chromium：请安装 Debian 软件包 chromium 与 fonts-noto-cjk"
                "（apt-get install chromium fonts-noto-cjk），或改用 --format html 后在浏览器中打印",
                path="format",
            )
        )
    with tempfile.TemporaryDirectory(prefix="evaluator-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-pdf-header-footer",
                    f"--user-data-dir={tmp}/profile",
                    f"--print-to-pdf={out}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT_SECONDS,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise InvalidInput(
                Problem(
                    f"Chromium could not print the report ({type(exc).__name__})",
                    "Chromium 未能生成 PDF",
                    path="format",
                )
            ) from None
        data = out.read_bytes() if out.is_file() else b""
    if not data.startswith(b"%PDF"):
        raise InvalidInput(
            Problem("Chromium wrote no PDF", "Chromium 未生成 PDF 文件", path="format")
        )
    return data


# -- pieces ---------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(yuan=yuan, pts=points, pct=percent, cell=cell, num=number)
    return env


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # raw HTML off: whatever a station, an agency or a comment is called stays text
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _chart(doc: dict) -> str:
    card = doc["card"]
    if "families" not in card or card.get("families") is None:
        return ""
    county = doc.get("county") or {}
    return family_bars_svg(card["families"], county.get("family_means"))


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line ends escaped; ``<``
    too, so that it cannot close the style element)."""
    escaped = "".join(
        c if c.isalnum() or c in " ·-_.:()（）" or ord(c) > 127 else f"\\{ord(c):x} " for c in text
    )
    return f'"{escaped}"'


def _title(doc: dict) -> str:
    if doc["kind"] == "station":
        return f"{doc['station']['name']}评估报告"
    return f"{doc['card']['agency']['name']}评估报告（{doc['contract']['code']}）"


def _template_line(exc: BaseException, folder: Path) -> tuple[str | None, int | None]:
    """The template file and line a rendering error comes from (Jinja2 gives its frames
    the template's file name)."""
    tb = exc.__traceback__
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") or Path(name).parent == folder:
            found = (Path(name).name, tb.tb_lineno)
        tb = tb.tb_next
    return found
