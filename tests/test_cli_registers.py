"""`evaluator rounds`, `evaluator import` and `evaluator metrics` end to end on a stored demo
county (an embedded SQLite database of the test's own)."""

from __future__ import annotations

import re

import pytest

from evaluator.cli import main
from evaluator.cli.db import with_database


@pytest.fixture
def stored_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["demo"]) == 0


def _reopen(round_id: str) -> None:
    from evaluator.services import rounds as rs
    from evaluator.services.actors import Actor
    from evaluator.store.rounds import Round

    async def run():
        r = await Round.get(id=round_id)
        await rs.reopen_round(Actor.system(), r, r.version, "补充志愿者台账")

    with_database(run())


def test_import_and_metrics_commands(stored_demo, tmp_path, capsys):
    capsys.readouterr()
    assert main(["rounds"]) == 0
    listed = capsys.readouterr().out
    first = re.search(r"^([0-9a-f-]{36})\s+341521-SGZ-2026-01\s+mid_term\s+approved", listed, re.M)
    assert first, listed
    round_id = first[1]
    good = tmp_path / "志愿者名册.csv"
    good.write_text(
        "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\nV1,ST01,是,12.5\nV2,ST02,是,3\n",
        encoding="gb18030",
    )
    assert main(["import", "volunteers", str(good), "--round", round_id]) == 2  # approved: locked
    assert "locked" in capsys.readouterr().err
    _reopen(round_id)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "志愿者编号,站点编码,已在全国志愿服务信息系统注册,志愿服务时数\nV1,ST01,是,十二\nV2,ST99,是,3\n",
        encoding="utf-8",
    )
    assert main(["import", "volunteers", str(bad), "--round", round_id]) == 2
    err = capsys.readouterr().err
    assert (
        "bad.csv row 2 column 志愿服务时数" in err
        and "bad.csv row 3 column 站点编码" in err
        and "ST99" in err
    )
    assert main(["import", "volunteers", str(good), "--round", round_id]) == 0
    out = capsys.readouterr().out
    assert (
        "imported 已导入: 志愿者名册.csv → volunteers" in out
        and "replaces 替换" in out
        and "D2.1 (volunteers_registered)" in out
    )
    assert main(["import", "volunteers", str(good), "--round", round_id]) == 0
    assert "unchanged 未变化" in capsys.readouterr().out
    assert main(["metrics", "--round", round_id, "--station", "ST01"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"ST01\s+D2\.2\s+volunteer_hours\s+12\.5", table), table
    assert main(["import", "volunteers", str(good), "--round", "not-a-round"]) == 2
    assert "is not a round id" in capsys.readouterr().err
