"""`evaluator contract`: a stored contract's report schedule and reports due, and the
bureau's change of it, end to end on the stored demo county (its own SQLite database)."""

from __future__ import annotations

import pytest

from evaluator.cli import main


@pytest.fixture
def stored_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["demo"]) == 0


def test_contract_shows_and_guards_its_report_schedule(stored_demo, tmp_path, capsys):
    capsys.readouterr()
    assert main(["contract", "341521-SGZ-2026-02"]) == 0
    out = capsys.readouterr().out
    assert "季度报告 Quarterly report (quarterly)" in out and "(默认 the default)" not in out
    assert "2026-10-15  季度报告 quarterly 2026-Q3" in out
    assert "应交报告 Reports due (18):" in out  # 12 briefs, 4 quarterly, mid-term, final
    assert main(["contract", "341521-SGZ-2026-01"]) == 0
    assert "(默认 the default)" in capsys.readouterr().out

    bad = tmp_path / "schedule.yaml"
    bad.write_text(
        "report_schedule:\n  - {kind: monthly, due_days: 5}\n  - {kind: weekly}\n",
        encoding="utf-8",
    )
    assert main(["contract", "341521-SGZ-2026-02", "--report-schedule", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "schedule.yaml:3 report_schedule[1].kind: unknown report kind 'weekly'" in err
    assert "未知的报告类型" in err

    good = tmp_path / "good.yaml"
    good.write_text("report_schedule:\n  - {kind: monthly, due_days: 5}\n", encoding="utf-8")
    # an evaluator sees the contract but never sets its schedule
    assert (
        main(
            ["contract", "341521-SGZ-2026-02", "--report-schedule", str(good), "--as", "evaluator"]
        )
        == 2
    )
    assert "only the buying bureau" in capsys.readouterr().err
    # the demo's rounds imported its report log: the schedule is locked
    assert (
        main(["contract", "341521-SGZ-2026-02", "--report-schedule", str(good), "--as", "bureau"])
        == 2
    )
    err = capsys.readouterr().err
    assert "locked" in err and "已锁定" in err
