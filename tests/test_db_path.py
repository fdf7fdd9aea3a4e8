"""A SQLite database that cannot be opened fails at once with its path (issue 18: a path
whose folder is a file hung for 45 s), for `evaluator migrate` and `evaluator serve`."""

from __future__ import annotations

import time

import pytest

from evaluator.cli import main


@pytest.mark.parametrize(
    ("where", "says"),
    [
        (lambda tmp: tmp / "a-file" / "x.sqlite3", "is a file, not a folder"),
        (lambda tmp: tmp / "missing" / "x.sqlite3", "does not exist"),
        (lambda tmp: tmp, "is a folder, not a database file"),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "1"]])
def test_a_database_that_cannot_be_opened_fails_at_once(
    tmp_path, monkeypatch, capsys, where, says, command
):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    path = where(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{path}")
    started = time.monotonic()
    assert main(command) == 2
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert str(path) in err and says in err and "无法打开 SQLite 数据库" in err
