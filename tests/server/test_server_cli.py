"""`evaluator serve` checks and `evaluator user …` against a database of this pass's kind."""

from __future__ import annotations

import asyncio
import io

import pytest

from evaluator.cli import main
from evaluator.cli.common import with_database
from evaluator.cli.server import banner, check_serve
from evaluator.demo.load import DemoLogin
from evaluator.errors import InvalidInput
from evaluator.services import auth
from evaluator.services.actors import Actor
from evaluator.services.organisations import create_organisation
from evaluator.store.base import OrgKind


def test_serve_refuses_several_workers_on_sqlite(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/x.sqlite3")
    assert main(["serve", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "SQLite allows exactly one worker" in err and "SQLite 只能使用 1 个工作进程" in err
    assert main(["serve", "--demo", "--host", "0.0.0.0"]) == 2
    assert "--demo" in capsys.readouterr().err
    check_serve(4, sqlite=False, demo=False, host="0.0.0.0")  # PostgreSQL: as many as planned
    with pytest.raises(InvalidInput):
        check_serve(0, sqlite=False, demo=False, host="127.0.0.1")


def test_banner_prints_the_url_and_one_account_per_role():
    logins = [
        DemoLogin("admin", "admin", "demo-admin-2026"),
        DemoLogin("agency", "agency1", "demo-agency-2026"),
        DemoLogin("agency", "agency2", "demo-agency-2026"),
    ]
    text = banner("127.0.0.1", 8000, 1, logins)
    assert "http://127.0.0.1:8000/api/v1" in text and "/docs/openapi.json" in text
    assert "admin      admin      demo-admin-2026" in text
    assert (
        "agency1    demo-agency-2026   (also 另有 agency2" in text
        and text.count("demo-agency-2026") == 2
    )  # account line + curl example


@pytest.fixture
def cli_database(empty_database, monkeypatch) -> str:
    url = asyncio.run(empty_database("cli"))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["migrate"]) == 0
    return url


def stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def signs_in(username: str, password: str) -> bool:
    try:
        with_database(auth.login(username, password, "cli-test"))
    except auth.AuthFailed:
        return False
    return True


def test_user_create_passwd_disable(cli_database, monkeypatch, capsys):
    org = with_database(create_organisation(Actor.system(), OrgKind.BUREAU, "安平县民政局"))
    stdin(monkeypatch, "first secret password\n")
    assert (
        main(
            ["user", "create", "ada", "--org", str(org.id), "--role", "auditor", "--password-stdin"]
        )
        == 0
    )
    assert signs_in("ada", "first secret password")

    stdin(monkeypatch, "second secret password\r\n")
    assert main(["user", "passwd", "ada", "--password-stdin"]) == 0
    assert not signs_in("ada", "first secret password") and signs_in(
        "ada", "second secret password"
    )

    assert main(["user", "disable", "ada"]) == 0
    assert not signs_in("ada", "second secret password")
    assert main(["user", "enable", "ada"]) == 0 and signs_in("ada", "second secret password")

    out = capsys.readouterr()
    assert "secret password" not in out.out + out.err

    stdin(monkeypatch, "short\n")
    assert main(["user", "passwd", "ada", "--password-stdin"]) == 2  # too short
    assert (
        main(
            [
                "user",
                "create",
                "bob",
                "--org",
                "not-a-uuid",
                "--role",
                "auditor",
                "--password-stdin",
            ]
        )
        == 2
    )
    stdin(monkeypatch, "a third long password\n")
    assert (
        main(
            ["user", "create", "ada", "--org", str(org.id), "--role", "auditor", "--password-stdin"]
        )
        == 2
    )  # exists
    assert "already exists" in capsys.readouterr().err


def test_passwords_are_asked_twice_on_a_terminal(cli_database, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "passwd", "nobody"]) == 2  # not a terminal and no --password-stdin
    assert "--password-stdin" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["one long password", "another long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "passwd", "nobody"]) == 2
    assert "两次输入的密码不一致" in capsys.readouterr().err


def test_the_offline_workbook_on_the_command_line(cli_database, tmp_path, capsys, evidence_dir):
    from services.workflow_fixtures import build_county
    from test_http_offline_workbook import fill
    from test_http_reliability import PANEL_SYSTEM

    county = with_database(build_county(system=PANEL_SYSTEM))
    blank = tmp_path / "评分表.xlsx"
    round_id = str(county.round_a.id)
    assert main(["workbook", "export", round_id, "--output", str(blank), "--as", "evaluator"]) == 0
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(blank.read_bytes(), {("ST01", "R1", ""): (3, "现场查看")}))
    assert main(["workbook", "import", str(filled), "--as", "evaluator"]) == 0
    assert "1 values written" in capsys.readouterr().out
    wrong = tmp_path / "wrong.xlsx"
    wrong.write_bytes(fill(blank.read_bytes(), {("ST01", "R2", ""): (9, None)}))
    assert main(["workbook", "import", str(wrong), "--as", "evaluator"]) == 2
    assert "wrong.xlsx ST01!F" in capsys.readouterr().err
    assert main(["workbook", "import", str(filled), "--as", "evaluator2"]) == 2
    assert "exported for evaluator" in capsys.readouterr().err


def test_reliability_of_a_round_a_system_and_a_raters_drift(cli_database, capsys):
    import json

    from api_fixtures import sign_in_everyone
    from services.workflow_fixtures import build_county
    from test_http_reliability import PANEL_SYSTEM, scored_panel

    async def setup():
        world = await sign_in_everyone(await build_county(system=PANEL_SYSTEM))
        return await scored_panel(world)

    r = with_database(setup())
    assert main(["reliability", str(r.id), "--as", "bureau"]) == 0
    out = capsys.readouterr().out
    assert "icc2_1" in out and "evaluator" in out and "severity" in out
    assert main(["reliability", "--system", str(r.system_id), "--as", "bureau", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["icc_raters"] == 3
    assert main(["reliability", "--drift", "evaluator", "--as", "bureau", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["severity"] > 0
    assert main(["reliability", str(r.id), "--as", "agency_a"]) == 2
    assert "仅本轮主评估员" in capsys.readouterr().err
