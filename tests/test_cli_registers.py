"""`evaluator rounds`, `evaluator import` and `evaluator metrics` end to end on a stored demo
county (an embedded SQLite database of the test's own)."""

from __future__ import annotations

import re

import pytest

from evaluator.cli import main
from evaluator.cli.common import with_database


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


@pytest.fixture
def stored_demo_files(tmp_path, monkeypatch):
    """The demo county stored, with its registers written to ``tmp_path / "out"``."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0
    return tmp_path / "out"


def _round_of(contract: str, capsys) -> str:
    capsys.readouterr()
    assert main(["rounds"]) == 0
    listed = capsys.readouterr().out
    return re.search(rf"^([0-9a-f-]{{36}})\s+{contract}\s", listed, re.M)[1]


def test_the_lead_accepts_or_rejects_a_pending_replacement(stored_demo_files, tmp_path, capsys):
    round_id = _round_of("341521-SGZ-2026-01", capsys)
    _reopen(round_id)
    ledger = (stored_demo_files / "registers" / "341521-SGZ-2026-01" / "finance.csv").read_text(
        encoding="utf-8-sig"
    )
    versions = []
    for n in (1, 2):  # after the scores: each replacement waits for the lead
        path = tmp_path / f"finance-v{n + 1}.csv"
        path.write_text(ledger.replace("记-01001", f"记-01001-更正{n}", 1), encoding="utf-8")
        assert main(["import", "finance", str(path), "--round", round_id, "--as", "agency1"]) == 0
        assert "waits for the lead evaluator" in capsys.readouterr().out
        assert main(["registers", round_id]) == 0
        pending = re.search(
            r"^finance\s+pending 待确认\s+.*\s([0-9a-f-]{36})$", capsys.readouterr().out, re.M
        )
        versions.append(pending[1])

    assert main(["registers", round_id, "--reject", versions[0], "--as", "lead"]) == 2
    assert "a rejection needs a reason" in capsys.readouterr().err
    assert main(["registers", round_id, "--reason", "x"]) == 2  # --reason alone
    assert main(["registers", round_id, "--accept", "v3", "--as", "lead"]) == 2  # not an id
    assert "is not a register version id" in capsys.readouterr().err
    assert main(["registers", round_id, "--accept", versions[0], "--as", "agency1"]) == 2
    assert "only the round's lead evaluator" in capsys.readouterr().err

    assert main(["registers", round_id, "--accept", versions[0], "--as", "lead"]) == 0
    out = capsys.readouterr().out
    assert f"accepted 已接受: finance-v2.csv → finance {versions[0]}" in out
    assert re.search(rf"^finance\s+in force 现行\s+finance-v2.csv .* {versions[0]}$", out, re.M)
    # the second was imported against the version just replaced: a conflict, not a silent win
    assert main(["registers", round_id, "--accept", versions[1], "--as", "lead"]) == 2
    assert "no longer in force" in capsys.readouterr().err
    reason = "与原始凭证不符"
    assert (
        main(["registers", round_id, "--reject", versions[1], "--reason", reason, "--as", "lead"])
        == 0
    )
    out = capsys.readouterr().out
    assert f"rejected 已退回: finance-v3.csv → finance {versions[1]}" in out
    assert f"reason 理由: {reason}" in out


def test_the_lead_decides_the_gaps_of_a_round(stored_demo, capsys):
    assert main(["gaps", _round_of("341521-SGZ-2026-03", capsys)]) == 0
    assert "no gaps 无缺项" in capsys.readouterr().out
    round_id = _round_of("341521-SGZ-2026-01", capsys)  # the lead accepted a missing value
    assert main(["gaps", round_id]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^(ST\d+)\s+(\S+)\s+accepted missing 确认缺失", out, re.M)
    assert listed and f"{len(listed)} gap(s) 个缺项, 0 undecided 未处理" in out
    unit, leaf = listed[0]
    decide = ["gaps", round_id, "--decide", unit, leaf]
    assert main([*decide, "not_applicable", "--reason", "x", "--as", "lead"]) == 2  # approved
    assert "locked" in capsys.readouterr().err.lower()
    _reopen(round_id)
    assert main([*decide, "clear", "--as", "lead"]) == 0
    out = capsys.readouterr().out
    assert f"cleared 已撤销: {unit} {leaf} → clear" in out
    assert re.search(rf"^{unit}\s+{leaf}\s+UNDECIDED 未处理", out, re.M)
    assert "cannot be submitted or approved" in out
    assert main([*decide, "not_applicable", "--as", "lead"]) == 2
    assert "a reason is required" in capsys.readouterr().err
    assert main([*decide, "not_applicable", "--reason", "x", "--as", "agency1"]) == 2
    assert main(["gaps", round_id, "--reason", "x"]) == 2  # --reason alone
    assert main([*decide, "not_applicable", "--reason", "站点不设党支部", "--as", "lead"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"^{unit}\s+{leaf}\s+not applicable 不适用", out, re.M)
    assert "reason 理由: 站点不设党支部" in out and "0 undecided 未处理" in out
