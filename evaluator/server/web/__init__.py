"""The HTML pages (server-rendered, Chinese first): templates/ and static/ served by the app
itself — no CDN, no web font, no build step."""

from __future__ import annotations

from pathlib import Path

from evaluator.server.web import admin as _admin  # noqa: F401  (its pages join bp)
from evaluator.server.web import panel as _panel  # noqa: F401  (its forms join bp)
from evaluator.server.web.pages import bp

STATIC = Path(__file__).parent / "static"
API_DOCS_HTML = STATIC / "api-docs.html"  # the /docs viewer: local, no CDN

__all__ = ["API_DOCS_HTML", "STATIC", "bp"]
