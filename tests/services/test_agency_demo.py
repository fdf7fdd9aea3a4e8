"""A worked case on the demo county: an agency-annual round of each demo contract, on the
date of its approved mid-term round, with the finance ledger the demo's agency keeps.

P1–P3 are worked out here from the stations' approved snapshot as stored (the JSON the
approval froze), F3 from the ledger's amounts as the agency typed them (yuan text → fen by
integer arithmetic): neither goes through the metric code under test. The demo's agencies
spend 62% on personnel (evaluator/demo/registers.py), so each falls under the county
plan's 90% and DV-BUDGET asks for a correction."""

from __future__ import annotations

import json

import pytest

from evaluator.decisions.deviations import find_deviations
from evaluator.demo.load import load_demo
from evaluator.demo.scoring import run_demo
from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services.actors import actor_for
from evaluator.services.registers import import_register
from evaluator.services.scorecards import agency_scorecard, compute_round
from evaluator.services.systems import register_system
from evaluator.shipped import shipped_system
from evaluator.store.base import Role, RoundKind
from evaluator.store.contracts import Contract
from evaluator.store.orgs import Membership, User
from evaluator.store.rounds import ApprovalSnapshot, Round


def fen(text: str) -> int:
    """The ledger's amount as the demo writes it ("1234.56") in fen, by integers alone."""
    yuan, _, cents = str(text).replace(",", "").partition(".")
    return int(yuan) * 100 + int((cents + "00")[:2])


def county_contract(report, code: str):
    return next(c for c in report.county.contracts if c.code == code)


async def test_the_demo_county_s_agencies_worked_through(db, tmp_path):
    report = run_demo(None)
    loaded = await load_demo(report)
    users = {u.username: u for u in await User.all()}
    bureau, lead = await actor_for(users["bureau"]), users["lead"]
    version = await register_system(
        await actor_for(users["admin"]),
        shipped_system("agency-annual").read_text(encoding="utf-8"),
        "agency-annual.yaml",
    )
    checked = 0
    for mid_term in loaded.rounds:
        contract = await Contract.get(id=mid_term.contract_id)
        agency_user = await User.get(
            id__in=await Membership.filter(
                organisation_id=contract.agency_id, role=Role.AGENCY_USER
            ).values_list("user_id", flat=True)
        )
        round_ = await rs.create_round(
            bureau,
            contract=contract,
            evaluation_agency=await mid_term.evaluation_agency,
            kind=RoundKind.ANNUAL,
            system=version,
            as_of=mid_term.as_of,
            elapsed=mid_term.elapsed,
        )
        await panel_staff.assign(await actor_for(users["admin"]), round_, lead, Role.LEAD_EVALUATOR)
        round_ = await rs.open_round(await actor_for(lead), round_, round_.version)
        ledger = report.registers[contract.code]["finance"]
        path = tmp_path / f"{contract.code}-finance.csv"
        ledger.to_csv(path, index=False, encoding="utf-8")
        await import_register(await actor_for(agency_user), round_.id, "finance", path)

        card = await agency_scorecard(bureau, round_.id)
        got = {leaf["leaf"]: leaf for leaf in card["leaves"]}
        # the stations' approved results, read by hand from the stored snapshot
        stored = await Round.get(id=mid_term.id)
        snapshot = await ApprovalSnapshot.get(id=stored.snapshot_in_force)
        results = json.loads(snapshot.results)
        totals = [doc["total"] for doc in results.values()]
        passing = [
            code for code, doc in results.items() if doc["grade"] != "fail" and not doc["vetoes"]
        ]
        assert got["P1"]["raw"] == len(results) == len(contract_codes := sorted(results))
        assert got["P2"]["measured"]["value"] == pytest.approx(sum(totals) / len(totals))
        assert got["P3"]["measured"]["value"] == pytest.approx(len(passing) / len(results))
        assert [s["code"] for s in card["portfolio"]["stations"]] == contract_codes
        assert card["portfolio"]["rounds"][0]["snapshot"] == str(snapshot.id)
        # F3: the ledger's personnel fen over all its fen, every station summed
        amounts = [fen(a) for a in ledger["金额（元）"]]
        personnel = sum(
            a for a, c in zip(amounts, ledger["支出类别"], strict=True) if c == "人员经费"
        )
        detail = got["F3"]["measured"]["detail"]
        assert (detail["category_fen"], detail["total_fen"]) == (personnel, sum(amounts))
        assert got["F3"]["measured"]["value"] == personnel / sum(amounts)
        assert 0.6 < personnel / sum(amounts) < 0.64  # the demo's 62%: below the plan's 90%
        assert got["F3"]["points"] == 0  # 0.62 ÷ 0.9 < 0.8: no band
        # F4: the ledger's spending (yuan) against the contract's station budgets summed
        budgets = sum(t.budget_yuan for t in county_contract(report, contract.code).targets)
        f4 = got["F4"]["measured"]
        assert (f4["value"], f4["target"]) == (sum(amounts) / 100, budgets)
        assert f4["target_from"] == "contract.targets.budget"
        # F6: every demo entry has its vouchers
        assert got["F6"]["measured"]["value"] == 1.0 and got["F6"]["points"] == 1
        done = await compute_round(await Round.get(id=round_.id))
        budget = [
            d
            for d in find_deviations(done.system, done.result, done.notes)
            if d.rule == "DV-BUDGET"
        ]
        assert [(d.unit, d.severity) for d in budget] == [(str(contract.agency_id), "correction")]
        checked += 1
    assert checked == len(report.county.contracts) == len(loaded.rounds) >= 3
