"""The HTTP adapter: a sanic app (``create_app``) serving the JSON API under ``/api/v1``,
``/healthz`` and the OpenAPI document at ``/docs/openapi.json``. Handlers parse input,
call one service and render; rules live in ``evaluator.services``."""

from evaluator.server.app import create_app

__all__ = ["create_app"]
