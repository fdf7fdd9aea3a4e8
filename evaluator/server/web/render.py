"""Pages rendered on the server: one Jinja2 environment (autoescaped), the language chosen
per user (a cookie, Chinese by default), the CSRF token for forms and scripts, and the
security headers every page carries."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from sanic.request import Request
from sanic.response import HTTPResponse, html

from evaluator.decisions.words import blocked_by_en, blocked_by_zh
from evaluator.reporting import labels
from evaluator.reporting.report import yuan
from evaluator.server import csrf

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "evaluator_lang"
LANGS = ("zh", "en")
# no inline script or style, nothing from another site, never framed
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pts"] = lambda x, d=2: "—" if x is None else f"{x:.{d}f}"
    env.filters["pct"] = lambda x: "—" if x is None else f"{100 * x:.1f}%"
    env.filters["yuan"] = yuan
    return env


WORDS = {
    "kind": labels.KIND_ZH,
    "state": labels.ROUND_STATE_ZH,
    "outcome": labels.OUTCOME_ZH,
    "severity": labels.SEVERITY_ZH,
    "finding": labels.STATE_ZH,
    "tranche": labels.TRANCHE_ZH,
    "evidence": labels.EVIDENCE_ZH,
    "role": labels.ROLE_ZH,
}


def _word(lang: str, table: str, code: str | None) -> str:
    """A code as a word of the page's language (Chinese from the labels, English as is)."""
    if code is None:
        return "—"
    if table == "block":  # a tranche's blocking condition
        return blocked_by_zh(code) if lang == "zh" else blocked_by_en(code)
    return WORDS[table].get(code, code) if lang == "zh" else code.replace("_", " ")


def located_lines(text: str, problems) -> list[dict]:
    """The lines of an uploaded file, numbered, each marked when a problem is on it."""
    bad = {p.line for p in problems if p.line is not None}
    return [
        {"number": i, "text": line, "bad": i in bad}
        for i, line in enumerate(text.splitlines(), start=1)
    ]


def lang_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else "zh"


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """A page: the template with the user, language, CSRF token and ``t(zh, en)``."""
    lang = lang_of(request)
    actor = getattr(request.ctx, "actor", None)
    token = getattr(request.ctx, "token", None)
    text = (
        environment()
        .get_template(template)
        .render(
            lang=lang,
            t=lambda zh, en: zh if lang == "zh" else en,
            word=lambda table, code: _word(lang, table, code),
            actor=actor,
            csrf_token=csrf.token_for(token) if actor is not None and token else "",
            request_path=request.path,
            **context,
        )
    )
    return html(text, status=status, headers=SECURITY_HEADERS | {"Cache-Control": "no-store"})
