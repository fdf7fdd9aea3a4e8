"""The OpenAPI document: the committed docs/openapi.json is the one the server serves,
and it is usable by client generators (ids, references, security, problem responses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sanic import Sanic

from evaluator.server.openapi_dump import openapi_document, render

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Sanic, "test_mode", True)  # other apps start in this process too
        return openapi_document()


def test_the_committed_document_is_current(document):
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else "{}"
    if committed != render(document):
        old = json.loads(committed)
        changed = sorted(set(old.get("paths", {})) ^ set(document["paths"])) or [
            "(contents of operations or schemas)"
        ]
        pytest.fail(
            f"docs/openapi.json differs from the document the server serves: run `make openapi` and commit it "
            f"(接口文档已过期：请运行 make openapi). Changed: {', '.join(changed)}"
        )


def test_the_document_is_usable_by_client_generators(document):
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    operation_ids = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            operation_ids.append(op["operationId"])
            assert op.get("summary"), (method, path)
            if path.startswith("/api/v1/") and path != "/api/v1/auth/login":
                assert op["security"] == [{"bearer": []}, {"cookie": []}], (method, path)
                assert "401" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/ProblemDocument"
                    }
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
    assert '"type": "null"' not in text  # OpenAPI 3.0 says nullable: true
