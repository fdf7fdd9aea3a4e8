"""Write the OpenAPI document the server serves at ``/docs/openapi.json`` to a file
(``make openapi`` → ``docs/openapi.json``): pretty, sorted keys, UTF-8.

The document is built by sanic-ext when the app starts, so the app is started in process
through the ASGI lifespan protocol (no database, no socket) and asked for it.

    python -m evaluator.server.openapi_dump [OUT]      (default docs/openapi.json)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from evaluator.server.app import create_app

SPEC_PATH = "/docs/openapi.json"
DEFAULT_OUT = Path("docs/openapi.json")


async def _asgi_get(app, path: str) -> tuple[int, bytes]:
    """GET ``path`` from an ASGI app, with its lifespan started and stopped around it."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 0),
        "server": ("localhost", 80),
    }
    await app(scope, receive, send)
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def openapi_document() -> dict:
    """The document exactly as a running server serves it."""
    app = create_app("evaluator_openapi", register_orm=False)
    status, body = asyncio.run(_asgi_get(app, SPEC_PATH))
    if status != 200:
        raise RuntimeError(f"{SPEC_PATH} answered {status}")
    return json.loads(body)


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(render(openapi_document()), encoding="utf-8")
    print(f"written 已写入: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
