"""The API fuzzed (issue 18): schemathesis draws requests from the committed OpenAPI
document (docs/openapi.json) for every operation, signed in as each role (and as nobody),
against ``evaluator serve`` on the test database (SQLite: one worker; PostgreSQL: two). Half of the
drawn requests aim at real objects (a round, its stations, a contract) so that bodies reach
the services, not only the 404 of an unknown id.

Every response must be no 5xx, a documented status, of the documented content type, and
conform to the documented schema and headers. One schemathesis check is left out:
``positive_data_acceptance`` (a schema-valid request must be accepted) — the document
cannot say every rule of the domain (a reason required to reject, the version a write
expects, a date inside the contract), and each of those refusals is a documented 4xx.

``FUZZ_EXAMPLES`` sets the examples per operation and role (default 6); the counts are
printed (docs/security.md quotes them)."""

from __future__ import annotations

import asyncio
import os
import warnings
from pathlib import Path

import schemathesis
from api_fixtures import sign_in_everyone
from hypothesis import HealthCheck, Phase, given, settings
from services.two_workers import served
from services.workflow_fixtures import build_county

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# every kind of caller: each role, a bureau and an evaluator outside the round's contract,
# and nobody signed in
ROLES = (
    "admin",
    "bureau",
    "other_bureau",
    "lead",
    "evaluator",
    "outsider",
    "agency_a",
    "auditor",
    "anonymous",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SKIPPED = {("POST", "/api/v1/auth/logout")}  # it would end the session the run signs in with


@schemathesis.serializer(XLSX)
def _xlsx(ctx, value):  # a workbook body is bytes (whatever was drawn, as bytes)
    return value if isinstance(value, bytes) else str(value).encode()


def fuzz(base: str, tokens: dict[str, str], real: dict[str, str], examples: int) -> dict:
    """Run the examples; return the counts and every failure (operation, role, reason)."""
    warnings.filterwarnings("ignore", module="schemathesis")
    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    operations = [result.ok() for result in schema.get_all_operations()]
    counts = {"operations": 0, "examples": 0, "statuses": {}}
    failures: list[str] = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        counts["operations"] += 1
        for role in ROLES:
            token = tokens.get(role)  # anonymous: none
            _examples(operation, role, token, base, real, examples, counts, failures)()
    return counts | {"failures": failures}


def _examples(operation, role, token, base, real, examples, counts, failures):
    """The hypothesis test of one operation as one role."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        counts["examples"] += 1
        if counts["examples"] % 2:
            for name, value in real.items():
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value
        response = case.call(base_url=base, headers=headers, timeout=120)
        status = counts["statuses"]
        status[response.status_code] = status.get(response.status_code, 0) + 1
        try:
            case.validate_response(
                response, excluded_checks=[schemathesis.checks.positive_data_acceptance]
            )
        except BaseException as exc:  # noqa: BLE001 - a FailureGroup: keep them all
            failures.append(
                f"{operation.method.upper()} {operation.path} as {role}: "
                f"{response.status_code} {str(exc)[:600]}\n{case.as_curl_command()[:400]}"
            )

    return run


async def test_every_operation_as_every_role_conforms(db, db_kind, evidence_dir, pytestconfig):
    world = await sign_in_everyone(await build_county())
    c = world.county
    real = {
        "round_id": str(c.round_a.id),
        "contract_id": str(c.contract_a.id),
        "station_id": str(c.stations["ST01"].id),
        "unit": "ST01",
        "leaf": "L00",
        "year": "2026",
        "kind": "finance",
        "username": "evaluator",
    }
    examples = int(os.environ.get("FUZZ_EXAMPLES", "6"))
    workers = 2 if db_kind == "postgres" else 1
    async with served(db.url, evidence_dir, workers=workers) as (base, _):
        found = await asyncio.to_thread(fuzz, base, world.tokens, real, examples)
    statuses = dict(sorted(found["statuses"].items()))
    pytestconfig.fuzz_counts = {  # the run's summary prints them (tests/conftest.py)
        "database": db_kind,
        "workers": workers,
        "operations": found["operations"],
        "roles": len(ROLES),
        "examples": found["examples"],
        "failures": len(found["failures"]),
        "statuses": statuses,
    }
    print(
        f"\nfuzzed ({db_kind}, {workers} worker(s)): {found['operations']} operations × "
        f"{len(ROLES)} roles, {found['examples']} examples, statuses {statuses}"
    )
    assert found["operations"] >= 75 and found["examples"] >= found["operations"] * len(ROLES)
    assert not found["failures"], "\n\n".join(found["failures"][:20])
    assert not [s for s in statuses if s >= 500], statuses
