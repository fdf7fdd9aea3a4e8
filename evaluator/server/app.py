"""The sanic application factory.

``create_app(register_orm=True)`` reads the settings (refusing a bad value: see
``evaluator.settings``) and opens the database before the server starts (refusing
an unmigrated one) and closes it after it stops; tests pass ``register_orm=False`` and
own the database themselves. App names are global in sanic, so each call gets a unique
name unless one is given (``evaluator serve`` names it ``evaluator``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sanic import Sanic
from sanic_ext import Extend, openapi  # explicit: a missing extension must fail loudly

from evaluator import settings
from evaluator.server import web
from evaluator.server.api import api_group
from evaluator.server.auth import COOKIE, attach_actor, check_inputs
from evaluator.server.errors import ProblemHandler
from evaluator.server.health import bp as health_bp
from evaluator.services import schedule
from evaluator.store import db

API_TITLE = "evaluator API — 社工站第三方评估"
API_VERSION = "1.0.0"
REQUEST_MAX_SIZE = 5 * 1024 * 1024  # JSON and YAML bodies; evidence uploads stream past it


def create_app(
    name: str | None = None, *, register_orm: bool = True, database_url: str | None = None
) -> Sanic:
    app = Sanic(name or f"evaluator_{uuid.uuid4().hex[:12]}", error_handler=ProblemHandler())
    app.config.update(
        {
            "REQUEST_MAX_SIZE": REQUEST_MAX_SIZE,
            "FALLBACK_ERROR_FORMAT": "json",
            "API_TITLE": API_TITLE,
            "API_VERSION": API_VERSION,
            "API_DESCRIPTION": "JSON API under /api/v1; errors are RFC 7807 application/problem+json with "
            "bilingual titles and located problems. See docs/api.md. 错误以 problem+json 返回，中英双语。",
            # sanic-ext's viewers load their scripts and fonts from public CDNs, which bureau
            # networks often cannot reach: /docs serves our own page and script instead
            "OAS_UI_DEFAULT": "redoc",
            "OAS_UI_REDOC": True,
            "OAS_PATH_TO_REDOC_HTML": str(web.API_DOCS_HTML),
            "OAS_UI_SWAGGER": False,
            "OAS_IGNORE_HEAD": True,
            "OAS_IGNORE_OPTIONS": True,
            "OAS_AUTODOC": False,
            "CORS": False,  # same-origin API; the session cookie is SameSite=Strict
            # sanic-ext's automatic HEAD/OPTIONS routes re-finalise the router once per
            # route at start-up (~1 s); this API serves neither.
            "HTTP_AUTO_HEAD": False,
            "HTTP_AUTO_OPTIONS": False,
        }
    )
    Extend(app)
    app.ext.openapi.add_security_scheme(
        "bearer", "http", scheme="bearer", description="token from POST /api/v1/auth/login"
    )
    app.ext.openapi.add_security_scheme(
        "cookie",
        "apiKey",
        location="cookie",
        name=COOKIE,
        description="set by POST /api/v1/auth/login",
    )
    app.register_middleware(check_inputs, "request")  # first: no service sees what fails
    app.register_middleware(attach_actor, "request")
    app.blueprint(api_group())
    app.blueprint(health_bp)
    app.blueprint(web.bp)
    openapi.exclude(bp=web.bp)  # the pages are not part of the JSON API's document
    app.static("/static", web.STATIC, name="static")
    if register_orm:
        # a served app reads its settings now: a bad value refuses to start (a located,
        # bilingual InvalidInput naming the variable and the value), not on some request
        settings.reload()
        url = db.database_url(database_url)

        @app.before_server_start
        async def open_database(app: Sanic) -> None:
            await db.open_database(url)

        @app.after_server_start
        async def start_schedule(app: Sanic) -> None:
            """Each worker looks for due daily work now and then; one runs it per day
            (services/schedule.py). ``SCHEDULE_MINUTES=0``: never (cron only)."""
            minutes = settings.get().schedule_minutes
            if minutes:
                every = dt.timedelta(minutes=minutes)
                app.add_task(schedule.keep_running(every), name="schedule")

        @app.after_server_stop
        async def close_database(app: Sanic) -> None:
            await db.close_database()

    return app
