"""One input boundary (issue 18): no route reads the raw request — body, query, form, files,
stream — outside the modules that parse it against the limits: ``server.parsing`` (the JSON
API: typed models, located 422s), ``server.web.inputs`` (the pages), and the middleware that
applies ``server.limits`` to every request before any route runs (``server.auth``), with the
CSRF check reading its own token (``server.csrf``)."""

from __future__ import annotations

import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "evaluator" / "server"
RAW = re.compile(
    r"\brequest\.(body|args|query_args|query_string|get_args|get_query_args|form|get_form|"
    r"files|json|load_json|stream|raw_url)\b"
)
BOUNDARY = {"parsing.py", "limits.py", "auth.py", "csrf.py", "web/inputs.py"}


def test_no_route_reads_the_raw_request_outside_the_boundary():
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        name = path.relative_to(SERVER).as_posix()
        if name in BOUNDARY:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if RAW.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "raw request reads outside the input boundary:\n" + "\n".join(found)


def test_the_check_finds_a_raw_read():
    assert RAW.search("    name = request.args.get('x')")
    assert RAW.search("data = request.body or b''")
    assert not RAW.search("data = parsing.body(request, Model)")
