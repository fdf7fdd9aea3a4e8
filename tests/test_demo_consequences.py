"""The demo's consequences: one station suspended, one agency recommended for rebid, the
others renewed, tranche tables in exact fen; and the commands that show them."""

from __future__ import annotations

import re

import pytest

from evaluator.cli import main
from evaluator.demo.county import cast
from evaluator.demo.scoring import run_demo
from evaluator.demo.text import format_demo


@pytest.fixture(scope="module")
def report():
    return run_demo(None)


def test_one_suspension_one_rebid_the_others_renew(report):
    after = report.consequences
    suspended = {f.unit for f in after.findings if f.severity == "suspension"}
    assert suspended == set(cast(report.county)["weak"])
    outcomes = {code: rec.outcome for code, rec in after.recommendations.items()}
    assert sorted(outcomes.values()) == ["rebid", "renew", "renew"]
    rebid = next(code for code, outcome in outcomes.items() if outcome == "rebid")
    contract = next(c for c in report.county.contracts if c.code == rebid)
    assert set(cast(report.county)["vetoed"]) <= set(contract.stations)
    for c in report.county.contracts:
        table = after.tranches[c.code]
        assert sum(t.amount_fen for t in table) == c.amount_fen
        assert table[0].status == "released"
        assert table[1].status == ("withheld" if c.code == rebid else "due")
    t2 = after.tranches[rebid][1]
    assert t2.blocked_by[0] == "mid_term_passed:failed" and any(
        "DV-FAIL" in b for b in t2.blocked_by
    )


def test_demo_text_prints_findings_recommendations_and_tranches(report):
    text = format_demo(report)
    assert "偏差与整改 Findings" in text and "暂缓——总分不合格" in text
    assert (
        text.count("建议 recommendation 续签 renew") == 2
        and "建议 recommendation 重新招标 rebid" in text
    )
    assert "mid-term not passed 中期评估未通过" in text  # a blocking condition in words
    assert "mid_term_passed:failed" not in text


def test_findings_decide_and_tranches_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_DIR", str(tmp_path / "evidence"))
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["rounds"]) == 0
    rounds = dict(re.findall(r"^([0-9a-f-]{36})\s+(\S+)", capsys.readouterr().out, re.M))
    problem_round = next(r for r, code in rounds.items() if code.endswith("-02"))
    assert main(["findings", problem_round]) == 0
    out = capsys.readouterr().out
    assert "DV-FAIL" in out and "suspension" in out and "DV-VETO" in out
    assert main(["decide", problem_round]) == 0
    assert "recommendation 建议: rebid · status 状态: proposed" in capsys.readouterr().out
    assert main(["decide", problem_round, "--override", "conditional"]) == 2  # no reason
    assert "reason" in capsys.readouterr().err
    assert main(["decide", problem_round, "--accept", "--as", "bureau"]) == 0
    assert "status 状态: accepted · outcome 结论: rebid" in capsys.readouterr().out
    code = rounds[problem_round]
    assert main(["tranches", code, "--release", "T2", "--as", "bureau"]) == 2  # withheld
    refused = capsys.readouterr().err
    assert "withheld" in refused and "状态为“暂缓”" in refused and "中期评估未通过" in refused
    assert main(["tranches", code]) == 0
    table = capsys.readouterr().out
    assert (
        re.search(r"T1\s+50%\s+¥1,020,000\.00\s+signed 合同生效\s+released 已拨付", table)
        and "total 合计     ¥2,040,000.00" in table
    )
    first = next(code for code in rounds.values() if code.endswith("-01"))
    assert main(["tranches", first]) == 0  # the demo's agency applied for T1 before release
    assert re.search(
        r"T1 .*released 已拨付\s+2026-04-23 +applied 已申请 2026-04-09", capsys.readouterr().out
    )
    apply = ["tranches", first, "--apply", "T2", "--as", "agency1"]
    assert main([*apply, "--voucher", "receipt:x"]) == 2
    assert "vouchers[0].kind" in capsys.readouterr().err
    assert (
        main(
            [
                *apply,
                "--voucher",
                "invoice:第二期发票 No. 7",
                "--voucher",
                "evaluation_result:中期评估报告",
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert "applied 已申请: T2" in said and "2 voucher(s) 份凭证" in said
    assert main([*apply[:4], "--voucher", "invoice:x", "--as", "bureau"]) == 2
    assert "仅承接机构可提出拨付申请" in capsys.readouterr().err
    assert main(["findings", problem_round, "--refresh", "--today", "2026-12-31"]) == 0
    assert (
        "refreshed 已更新 (2026-12-31): 0 provisional deadlines recomputed 暂定期限重算, 0 overdue 逾期, 0 escalated 升级"
        in capsys.readouterr().out
    )


def test_demo_prints_robustness(report):
    robust = report.consequences.robustness
    assert robust.settings.samples == 1000 and len(robust.units) == 14
    assert {g["group"] for g in robust.groups} == {c.code for c in report.county.contracts}
    text = format_demo(report)
    assert "稳健性 Robustness to the weights" in text and "fragile stations 不稳健站点" in text


def test_sensitivity_command_writes_json_and_xlsx(tmp_path, capsys):
    import json

    import pandas as pd

    run_demo(tmp_path / "demo")
    raw = str(tmp_path / "demo" / "raw-inputs.csv")
    system = "indicators/station-annual.yaml"
    out = tmp_path / "report.json"
    assert (
        main(
            [
                "sensitivity",
                "--system",
                system,
                "--input",
                raw,
                "--samples",
                "200",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "14 units · 200 weightings" in printed
        and "Sobol total indices" in printed
        and "surrogate" in printed
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["settings"]["samples"] == 200 and doc["attribution"]["surrogate"]["r2"] is not None
    again = tmp_path / "again.json"
    assert (
        main(
            [
                "sensitivity",
                "--system",
                system,
                "--input",
                raw,
                "--samples",
                "200",
                "--output",
                str(again),
            ]
        )
        == 0
    )
    assert json.loads(again.read_text(encoding="utf-8")) == doc  # same seed, same report
    xlsx = tmp_path / "report.xlsx"
    assert (
        main(
            [
                "sensitivity",
                "--system",
                system,
                "--input",
                raw,
                "--samples",
                "100",
                "--no-attribution",
                "--output",
                str(xlsx),
            ]
        )
        == 0
    )
    assert "单位 Units" in pd.read_excel(xlsx, sheet_name=None)
    assert main(["sensitivity", "--system", system, "--input", raw, "--spread", "1.5"]) == 2
