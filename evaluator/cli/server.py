"""``evaluator serve`` and ``evaluator user …`` (thin: parse, call a service, print).

Passwords are read from a terminal (asked twice, not echoed) or from the first line of
standard input (``--password-stdin``); they are never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import uuid
from collections.abc import Sequence
from functools import partial

from evaluator import clock
from evaluator.cli.common import database_url, is_sqlite, with_database
from evaluator.errors import InvalidInput, Problem
from evaluator.services.actors import Actor, Role  # the roles are the choices of --role

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP API (运行 HTTP 服务)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes (SQLite: exactly 1)"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="migrate, load the demo county and its accounts (local demos only)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("user", help="user accounts (用户账号)")
    users = p.add_subparsers(title="user commands", metavar="ACTION")
    c = users.add_parser("create", help="create a user with a role in an organisation")
    c.add_argument("username")
    c.add_argument("--org", required=True, metavar="ORG_ID", help="organisation id (UUID)")
    c.add_argument("--role", required=True, choices=[r.value for r in Role])
    c.add_argument("--display-name", default="")
    c.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    c.set_defaults(handler=cmd_user_create)
    c = users.add_parser("passwd", help="set a user's password (ends their sessions)")
    c.add_argument("username")
    c.add_argument("--password-stdin", action="store_true")
    c.set_defaults(handler=cmd_user_passwd)
    for action, active in (("disable", False), ("enable", True)):
        c = users.add_parser(
            action, help=f"{action} a user ({'停用' if not active else '启用'}账号)"
        )
        c.add_argument("username")
        c.set_defaults(handler=cmd_user_active, active=active)
    p.set_defaults(handler=lambda args: p.print_help() or 2)


# -- serve --------------------------------------------------------------------------------
# The demo, the services (beyond the actors), sanic and the server are imported inside the
# functions that use them: ``evaluator --help`` does not need them (argon2 alone costs
# 0.1 s).
def cmd_serve(args) -> int:
    url = database_url()
    check_serve(args.workers, is_sqlite(url), args.demo, args.host)
    pinned = clock.describe()
    if pinned:
        print(pinned, file=sys.stderr, flush=True)
    # Fail here, in one readable line, rather than in every worker: an unmigrated database
    # is refused (DatabaseNotReady, exit 2); --demo migrates and loads the demo first.
    logins, rounds = (
        with_database(_prepare_demo(), migrate_first=True)
        if args.demo
        else (with_database(_no_demo()), [])
    )
    print(banner(args.host, args.port, args.workers, logins, rounds), flush=True)
    _run(url, args.host, args.port, args.workers)
    return 0


def check_serve(workers: int, sqlite: bool, demo: bool, host: str) -> None:
    problems = []
    if workers < 1:
        problems.append(
            Problem("--workers must be 1 or more", "--workers 须不小于 1", path="--workers")
        )
    elif workers > 1 and sqlite:
        problems.append(
            Problem(
                "SQLite allows exactly one worker (several processes writing fail with 'database is locked'); "
                "use --workers 1, or PostgreSQL through DATABASE_URL for more",
                "SQLite 只能使用 1 个工作进程（多个进程并发写入会报 database is locked）；请使用 --workers 1，"
                "或通过 DATABASE_URL 使用 PostgreSQL 以启用多进程",
                path="--workers",
            )
        )
    if demo and host not in LOOPBACK:
        problems.append(
            Problem(
                f"--demo sets publicly documented passwords: it listens on this machine only, not on {host}",
                f"--demo 使用公开的演示密码，只能监听本机地址，不能监听 {host}",
                path="--host",
            )
        )
    if problems:
        raise InvalidInput(problems)


async def _no_demo() -> list:
    await _settle_calendar()
    return []


async def _prepare_demo():
    from evaluator.demo.load import demo_logins, load_demo
    from evaluator.demo.scoring import run_demo

    report = await asyncio.to_thread(run_demo, None)
    loaded = await load_demo(report)
    for line in loaded.story:  # what happened after the first imports (demo.story)
        print(f"demo: {line}", flush=True)
    await _settle_calendar()
    approved = [str(r.id) for r in loaded.rounds if r.state.value == "approved"]
    return await demo_logins(), approved


async def _settle_calendar() -> None:
    """Once, before the workers start: recount the provisional dates a package update may
    have settled (audited; nothing to do most days)."""
    from tortoise.transactions import in_transaction

    from evaluator.services.calendars import recompute

    async with in_transaction() as conn:
        changes = await recompute(Actor.system(), conn, reason="start-up")
    if changes:
        print(
            f"recomputed {len(changes)} provisional date(s) on the calendar now in force "
            f"(已按现行日历重算 {len(changes)} 个暂定日期)",
            flush=True,
        )


def banner(host: str, port: int, workers: int, logins, rounds: Sequence[str] = ()) -> str:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    lines = [
        f"pages 网页: {base}/   (sign in 登录 with an account below 使用下列账号)",
        f"evaluator API 服务: {base}/api/v1   ({workers} worker{'s' if workers > 1 else ''})",
        f"OpenAPI document 接口文档: {base}/docs/openapi.json   (viewer 浏览: {base}/docs, served here 本地提供)",
        f"health 健康检查: {base}/healthz",
    ]
    if logins:
        lines.append("demo accounts 演示账号 (local demonstrations only 仅限本机演示):")
        seen: set[str] = set()
        for login in logins:
            if login.role in seen:
                continue
            seen.add(login.role)
            others = [
                x.username for x in logins if x.role == login.role and x.username != login.username
            ]
            also = f"   (also 另有 {', '.join(others)}, same password 密码相同)" if others else ""
            lines.append(f"  {login.role:<10} {login.username:<10} {login.password}{also}")
        lines.append(
            f"try 试试: curl -s {base}/api/v1/auth/login -H 'Content-Type: application/json' "
            f'-d \'{{"username": "agency1", "password": "demo-agency-2026"}}\''
        )
    if rounds:
        api = f"{base}/api/v1/rounds/{rounds[0]}"
        lines += [
            "reports 报告下载 (signed in 登录后, e.g. as bureau 如局方账号; docs/reports.md):",
            f"  评估汇总 summary      {api}/summary?format=xlsx",
            f"  合同评分卡与评估报告   {api}/agency-scorecard?format=xlsx   (or html, md, pdf)",
            f"  社工站评分卡与评估报告 {api}/stations/<STATION_ID>/scorecard?format=xlsx   (or html, md, pdf)",
            f"  from the shell 命令行: evaluator report summary {rounds[0]}   "
            f"(rounds 轮次: {', '.join(rounds)})",
        ]
    return "\n".join(lines)


def _run(url: str, host: str, port: int, workers: int) -> None:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from evaluator.server.app import create_app

    loader = AppLoader(factory=partial(create_app, "evaluator", database_url=url))
    app = loader.load()
    app.prepare(host=host, port=port, workers=workers, single_process=workers == 1, motd=False)
    if workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


# -- users --------------------------------------------------------------------------------
def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput(
            Problem(
                "no terminal to ask for the password: use --password-stdin",
                "没有可输入密码的终端：请使用 --password-stdin",
                path="--password-stdin",
            )
        )
    first = getpass.getpass("password 密码: ")
    if getpass.getpass("again 再次输入: ") != first:
        raise InvalidInput(
            Problem("the two passwords differ", "两次输入的密码不一致", path="password")
        )
    return first


def cmd_user_create(args) -> int:
    from evaluator.services.accounts import create_account

    password = read_password(args.password_stdin)
    user = with_database(
        create_account(
            Actor.system(),
            args.username,
            organisation_id=_uuid(args.org),
            role=args.role,
            password=password,
            display_name=args.display_name,
        )
    )
    print(f"created 已创建: {user.username} ({args.role}) {user.id}")
    return 0


def cmd_user_passwd(args) -> int:
    from evaluator.services.auth import set_password

    password = read_password(args.password_stdin)
    with_database(set_password(Actor.system(), args.username, password))
    print(f"password set, sessions ended 密码已设置，原有会话已注销: {args.username}")
    return 0


def cmd_user_active(args) -> int:
    from evaluator.services.auth import set_active

    with_database(set_active(Actor.system(), args.username, args.active))
    print(
        f"{'enabled 已启用' if args.active else 'disabled, sessions ended 已停用，会话已注销'}: {args.username}"
    )
    return 0


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(
            Problem(
                f"--org must be an organisation id (UUID), not {text!r}",
                "--org 须为机构编号（UUID）",
                path="--org",
            )
        ) from None
