"""Benchmark: the HTTP API under load (issue 19), with wrk against ``evaluator serve`` on
127.0.0.1.

For each database setting — one worker on SQLite, then 1, 2 and 4 workers on PostgreSQL —
the script serves a prepared database and measures, each for ``--seconds`` with wrk
(``--connections`` connections, ``--latency``):

- ``GET /livez``: the bare route (no session, no database) — the first baseline;
- ``GET /healthz``: one database query and the migration check;
- ``GET /api/v1/auth/me``: the authenticated trivial route — the second baseline;
- ``GET …/stations/{id}/scorecard`` of an **approved** round (served from its snapshot);
- the same with ``If-None-Match`` (a client's repeat: 304);
- ``GET …/agency-scorecard`` and ``GET …/summary`` (the county summary) of that round;
- ``POST /api/v1/auth/login`` (sign in; the password hash costs most of it).

Then 64 connections (``--writers``) write scores for ``--put-seconds`` (``PUT …/scores``,
each connection on its own slots of a fresh open round, overwriting with the version it
holds), and the database is counted afterwards: every 2xx answer must be one version of one
score row (no write lost), every version one ``score.write`` audit event (none duplicated),
no 5xx and no 409, and the audit chain must verify.

Datasets: ``--preset county`` is the demo county (15 stations); ``--preset province``
loads the synthetic 2,500-station cohort of ``benchmarks/cohort.py`` and approves its
round, so the scorecard figures can be compared across a round's size.

    .venv/bin/python benchmarks/bench_api.py [--preset county] [--seconds 10] [--pg-workers 1,2,4]
        [--quick] [--json OUT]

Ratios are against the baselines measured in the same server run. Target: an approved
scorecard GET at ≥ 50 % of ``/auth/me`` and ≥ 10 % of ``/livez``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
PG_ROOT = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
API = "/api/v1"
SCORECARD_VS_ME = 0.50
SCORECARD_VS_LIVEZ = 0.10


@dataclass
class Prepared:
    """What the load needs, read from the database after the set-up."""

    approved_round: str
    station: str
    slots: list[tuple[str, str, str, list[float], dict]]  # unit, leaf, item, values, target/n
    passwords: dict[str, str]  # username → password (the sign-in load takes each in turn)
    writer: str = "evaluator"  # the rater of the approved round who writes in the load


# -- databases and set-up (in process, through the services) ----------------------------------
def sqlite_url(directory: Path) -> str:
    return f"sqlite://{directory / 'bench.db'}"


async def _pg_admin(sql: str) -> None:
    import asyncpg  # noqa: PLC0415

    conn = await asyncpg.connect(f"{PG_ROOT}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return f"{PG_ROOT}/{name}"


def drop_pg(name: str) -> None:
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _load(url: str, preset: str) -> None:
    from evaluator.store.db import close_database, migrate, open_database  # noqa: PLC0415

    await migrate(url)
    await open_database(url)
    try:
        if preset == "county":
            from evaluator.demo.load import demo_logins, load_demo  # noqa: PLC0415
            from evaluator.demo.scoring import run_demo  # noqa: PLC0415

            await load_demo(await asyncio.to_thread(run_demo, None))
            await demo_logins()
        else:
            import cohort  # noqa: PLC0415 (benchmarks/cohort.py)

            await cohort.load_for_api(preset)
    finally:
        await close_database()


async def _prepared(url: str, preset: str) -> Prepared:
    """The approved round, a station of it, the bench accounts and the writable slots."""
    from evaluator.store.base import RoundState  # noqa: PLC0415
    from evaluator.store.contracts import ContractStation  # noqa: PLC0415
    from evaluator.store.db import close_database, open_database  # noqa: PLC0415
    from evaluator.store.orgs import User  # noqa: PLC0415
    from evaluator.store.rounds import Round, Score  # noqa: PLC0415

    await open_database(url)
    try:
        approved = (
            await Round.filter(state=RoundState.APPROVED).order_by("as_of", "created_at").first()
        )
        station = await ContractStation.filter(contract_id=approved.contract_id).first()
        writer = "evaluator" if preset == "county" else "rater1"
        rater = await User.get(username=writer)
        rows = await Score.filter(
            round_id=approved.id, rater_id=rater.id, value__isnull=False
        ).values_list("unit", "leaf", "item", "value", "target", "n")
        values: dict[tuple[str, str], set[float]] = {}
        for _, leaf, item, value, _, _ in rows:
            values.setdefault((leaf, item), set()).add(float(value))
        slots = [
            (
                u,
                leaf,
                item,
                sorted(values[(leaf, item)])[:2],
                {k: v for k, v in (("target", target), ("n", n)) if v is not None},
            )
            for u, leaf, item, _, target, n in rows
        ]
        if preset == "county":
            from evaluator.demo.load import demo_password  # noqa: PLC0415

            roles = ("admin", "bureau", "lead", "evaluator", "auditor", "supervisor")
            passwords = {role: demo_password(role) for role in roles} | {
                name: demo_password("evaluator") for name in ("evaluator2", "evaluator3")
            }
        else:
            import cohort  # noqa: PLC0415

            passwords = cohort.BENCH_PASSWORDS
        return Prepared(str(approved.id), str(station.station_id), slots, passwords, writer)
    finally:
        await close_database()


async def _writable_round(url: str, writer: str) -> tuple[str, int]:
    """A fresh open round on the approved round's contract and system, the bench evaluator
    assigned (a new one per server run, so the counts are the run's); and the audit head."""
    from evaluator.services import panel_staff  # noqa: PLC0415
    from evaluator.services import rounds as rs  # noqa: PLC0415
    from evaluator.services.actors import Actor  # noqa: PLC0415
    from evaluator.store.audit import AuditHead  # noqa: PLC0415
    from evaluator.store.base import Role, RoundKind, RoundState  # noqa: PLC0415
    from evaluator.store.db import close_database, open_database  # noqa: PLC0415
    from evaluator.store.orgs import User  # noqa: PLC0415
    from evaluator.store.rounds import Round  # noqa: PLC0415

    await open_database(url)
    try:
        approved = (
            await Round.filter(state=RoundState.APPROVED)
            .order_by("as_of", "created_at")
            .first()
            .prefetch_related("contract", "system", "evaluation_agency")
        )
        system = Actor.system()
        r = await rs.create_round(
            system,
            contract=approved.contract,
            evaluation_agency=approved.evaluation_agency,
            kind=RoundKind.SPOT_CHECK,
            system=approved.system,
            as_of=approved.as_of,
            elapsed=approved.elapsed,
        )
        for name, role in (("lead", Role.LEAD_EVALUATOR), (writer, Role.EVALUATOR)):
            await panel_staff.assign(system, r, await User.get(username=name), role)
        r = await rs.open_round(system, r, r.version)
        head = await AuditHead.get_or_none(id=1)
        return str(r.id), head.seq if head else 0
    finally:
        await close_database()


async def _counted(url: str, round_id: str, head_seq: int) -> dict:
    from evaluator.services import audit  # noqa: PLC0415
    from evaluator.store.audit import AuditEvent  # noqa: PLC0415
    from evaluator.store.db import close_database, open_database  # noqa: PLC0415
    from evaluator.store.rounds import Score  # noqa: PLC0415

    await open_database(url)
    try:
        versions = await Score.filter(round_id=round_id).values_list("version", flat=True)
        events = await AuditEvent.filter(seq__gt=head_seq, action="score.write").count()
        verified = await audit.verify()
        return {
            "rows": len(versions),
            "versions": int(sum(versions)),
            "audit_events": events,
            "chain_ok": verified.ok,
            "chain_events": verified.events,
        }
    finally:
        await close_database()


# -- the server and the load ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(url: str, workers: int, evidence: Path) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "EVIDENCE_DIR": str(evidence),
        "SCHEDULE_MINUTES": "0",  # no scheduled work during a measurement
    }
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed on the way out)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evaluator",
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise SystemExit(f"evaluator serve exited:\n{log.read().decode()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("evaluator serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        try:
            yield base
        except BaseException:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-6000:]
            print(f"evaluator serve's log, the end:\n{tail}", file=sys.stderr)
            raise
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, seconds: int, connections: int, headers=(), script: Path | None = None) -> dict:
    """requests/s, p50 and p99 latency (ms), and the count of answers not 2xx/3xx."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rate, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(bad.group(1)) if bad else 0}


def login(base: str, username: str, password: str) -> str:
    r = httpx.post(
        f"{base}{API}/auth/login", json={"username": username, "password": password}, timeout=30
    )
    r.raise_for_status()
    return r.json()["token"]


async def write_load(
    base: str, token: str, round_id: str, slots: list, writers: int, seconds: float
) -> dict:
    """``writers`` connections, each on its own slots, overwriting with the version it holds;
    every answer counted by status."""
    statuses: dict[int, int] = {}
    samples: dict[int, str] = {}  # the first answer of each status other than 2xx
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    headers = {"Authorization": f"Bearer {token}"}

    async def writer(client: httpx.AsyncClient, mine: list) -> None:
        versions: dict[int, int] = {}
        i = 0
        while time.monotonic() < stop and mine:
            k = i % len(mine)
            unit, leaf, item, values, extra = mine[k]
            h = dict(headers)
            if k in versions:
                h["If-Match"] = f'"{versions[k]}"'
            started = time.perf_counter()
            r = await client.put(
                f"{base}{API}/rounds/{round_id}/scores/{unit}/{leaf}",
                params={"item": item} if item else None,
                json={"value": values[i // len(mine) % len(values)], **extra},
                headers=h,
            )
            latencies.append(time.perf_counter() - started)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code >= 300 and r.status_code not in samples:
                samples[r.status_code] = f"{unit} {leaf} {item}: {r.text[:300]}"
            if r.status_code in (200, 201):
                versions[k] = int(r.headers["etag"].strip('"'))
            i += 1

    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        started = time.monotonic()
        await asyncio.gather(*(writer(client, slots[w::writers]) for w in range(writers)))
        elapsed = time.monotonic() - started
    latencies.sort()
    ok = statuses.get(200, 0) + statuses.get(201, 0)
    return {
        "writers": writers,
        "seconds": round(elapsed, 1),
        "writes_ok": ok,
        "wps": ok / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "samples": {str(k): v for k, v in sorted(samples.items())},
    }


# each request signs in as the next account: the throttle counts attempts in flight per
# account (5) and per address (20), and one account under 8 connections would measure it
LOGIN_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""


def run_setting(
    label: str, url: str, workers: int, prepared: Prepared, args, evidence: Path, tmp: Path
) -> dict:
    round_id, head_seq = asyncio.run(_writable_round(url, prepared.writer))
    a = prepared.approved_round
    with served(url, workers, evidence) as base:
        bureau = login(base, "bureau", prepared.passwords["bureau"])
        # before the sign-in load: its answers count against the throttle's window
        writer_token = login(base, prepared.writer, prepared.passwords[prepared.writer])
        auth = [f"Authorization: Bearer {bureau}"]
        card_url = f"{base}{API}/rounds/{a}/stations/{prepared.station}/scorecard"
        first = httpx.get(card_url, headers={"Authorization": f"Bearer {bureau}"}, timeout=300)
        first.raise_for_status()  # the first read renders and stores the card (not timed)
        for path in (f"/rounds/{a}/agency-scorecard", f"/rounds/{a}/summary"):
            httpx.get(
                f"{base}{API}{path}", headers={"Authorization": f"Bearer {bureau}"}, timeout=300
            ).raise_for_status()
        lua = tmp / "login.lua"
        lua.write_text(
            LOGIN_LUA
            % ", ".join(
                "'" + json.dumps({"username": u, "password": p}) + "'"
                for u, p in prepared.passwords.items()
            )
        )
        s, c = args.seconds, args.connections
        runs = {
            "livez": wrk(f"{base}/livez", s, c),
            "healthz": wrk(f"{base}/healthz", s, c),
            "auth_me": wrk(f"{base}{API}/auth/me", s, c, auth),
            "scorecard": wrk(card_url, s, c, auth),
            "scorecard_304": wrk(
                card_url, s, c, [*auth, f"If-None-Match: {first.headers['etag']}"]
            ),
            "agency_scorecard": wrk(f"{base}{API}/rounds/{a}/agency-scorecard", s, c, auth),
            "summary": wrk(f"{base}{API}/rounds/{a}/summary", s, c, auth),
            "sign_in": wrk(f"{base}{API}/auth/login", s, c, script=lua),
        }
        writes = asyncio.run(
            write_load(base, writer_token, round_id, prepared.slots, args.writers, args.put_seconds)
        )
    counted = asyncio.run(_counted(url, round_id, head_seq))
    me, live, card = runs["auth_me"]["rps"], runs["livez"]["rps"], runs["scorecard"]["rps"]
    statuses = writes["statuses"]
    writes["check"] = {
        "no_5xx": not any(k.startswith("5") for k in statuses),
        "no_conflict": "409" not in statuses,
        "no_lost_write": counted["versions"] == writes["writes_ok"],
        "no_duplicate_event": counted["audit_events"] == writes["writes_ok"],
        "chain_verifies": counted["chain_ok"],
    }
    return {
        "setting": label,
        "workers": workers,
        "get": runs,
        "scorecard_vs_auth_me": card / me,
        "scorecard_vs_livez": card / live,
        "writes": writes,
        "counted": counted,
    }


def table(results: list[dict], preset: str) -> str:
    lines = [
        f"### {preset}",
        "",
        "| setting | route | req/s | p50 ms | p99 ms | not 2xx/3xx |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for name, m in r["get"].items():
            lines.append(
                f"| {r['setting']} | {name} | {m['rps']:,.0f} | {m['p50_ms']:.1f} | "
                f"{m['p99_ms']:.1f} | {m['non_2xx']} |"
            )
    lines += [
        "",
        "| setting | scorecard ÷ auth/me | scorecard ÷ livez | writes/s (64 conns) | p99 ms | "
        "2xx writes | rows · versions · audit events | statuses | checks |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        w, n = r["writes"], r["counted"]
        checks = (
            "all hold"
            if all(w["check"].values())
            else ", ".join(k for k, v in w["check"].items() if not v) + " FAILED"
        )
        lines.append(
            f"| {r['setting']} | {r['scorecard_vs_auth_me']:.0%} | {r['scorecard_vs_livez']:.0%} | "
            f"{w['wps']:,.0f} | {w['p99_ms']:.0f} | {w['writes_ok']:,} | "
            f"{n['rows']:,} · {n['versions']:,} · {n['audit_events']:,} | "
            f"{' '.join(f'{k}×{v}' for k, v in w['statuses'].items())} | {checks} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="county", choices=["county", "province"])
    ap.add_argument("--seconds", type=int, default=10, help="each wrk run")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--writers", type=int, default=64)
    ap.add_argument("--put-seconds", type=float, default=60)
    ap.add_argument("--pg-workers", default=None, help="e.g. 1,2,4 (the default); '' for none")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--quick", action="store_true", help="3 s runs, 10 s of writes, PG 1 and 2")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--only", choices=["SQLite", "PostgreSQL"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds, args.put_seconds = 3, 10
    if args.pg_workers is None:
        args.pg_workers = "1,2" if args.quick else "1,2,4"
    if args.only is None:
        return _each_database(args)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        settings: list[tuple[str, str, list[int]]] = []
        if args.only == "SQLite":
            settings.append(("SQLite", sqlite_url(tmp), [1]))
        pg_name = f"evaluator_bench_api_{uuid.uuid4().hex[:8]}"
        if args.only == "PostgreSQL":
            settings.append(
                ("PostgreSQL", pg_url(pg_name), [int(w) for w in args.pg_workers.split(",")])
            )
        try:
            for kind, url, workers in settings:
                started = time.monotonic()
                asyncio.run(_load(url, args.preset))
                print(
                    f"{kind}: {args.preset} loaded in {time.monotonic() - started:.0f} s",
                    flush=True,
                )
                prepared = asyncio.run(_prepared(url, args.preset))
                for n in workers:
                    label = f"{kind}, {n} worker{'s' if n > 1 else ''}"
                    result = run_setting(label, url, n, prepared, args, tmp / "evidence", tmp)
                    print(
                        f"{label}: scorecard {result['get']['scorecard']['rps']:,.0f}/s = "
                        f"{result['scorecard_vs_auth_me']:.0%} of /auth/me, "
                        f"{result['scorecard_vs_livez']:.0%} of /livez; "
                        f"writes {result['writes']['writes_ok']:,} ok, checks {result['writes']['check']}",
                        flush=True,
                    )
                    results.append(result)
        finally:
            if args.only == "PostgreSQL" and not os.environ.get("BENCH_KEEP_DB"):
                drop_pg(pg_name)
    args.json.write_text(json.dumps(results, ensure_ascii=False))
    return 0


def _each_database(args) -> int:
    """Each database in a process of its own (the ORM's state is per process); then the
    table, the targets and the JSON of the whole run."""
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as d:
        for kind in ("SQLite", "PostgreSQL"):
            if (kind == "SQLite" and args.no_sqlite) or (
                kind == "PostgreSQL" and not args.pg_workers
            ):
                continue
            out = Path(d) / f"{kind}.json"
            child = [
                *("--preset", args.preset, "--seconds", str(args.seconds)),
                *("--connections", str(args.connections), "--writers", str(args.writers)),
                *("--put-seconds", str(args.put_seconds), "--pg-workers", args.pg_workers),
                *("--only", kind, "--json", str(out)),
            ]
            subprocess.run([sys.executable, __file__, *child], check=True)
            results += json.loads(out.read_text())
    print()
    print(table(results, args.preset))
    failed = []
    for r in results:
        if r["scorecard_vs_auth_me"] < SCORECARD_VS_ME:
            failed.append(f"{r['setting']}: scorecard < {SCORECARD_VS_ME:.0%} of /auth/me")
        if r["scorecard_vs_livez"] < SCORECARD_VS_LIVEZ:
            failed.append(f"{r['setting']}: scorecard < {SCORECARD_VS_LIVEZ:.0%} of /livez")
        if not all(r["writes"]["check"].values()):
            failed.append(f"{r['setting']}: writes lost, duplicated or failed")
    from evaluator import clock  # noqa: PLC0415

    document = {
        "preset": args.preset,
        "date": clock.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "wrk": {"seconds": args.seconds, "connections": args.connections},
        "results": results,
        "targets_missed": failed,
    }
    if args.json:
        args.json.write_text(json.dumps(document, indent=1, ensure_ascii=False))
    print("targets missed:" if failed else "targets met")
    for line in failed:
        print(f"  {line}")
    return 1 if any(not all(r["writes"]["check"].values()) for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
