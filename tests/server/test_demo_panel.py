"""The demo's panel: three evaluators score every round (one at times harsher, one more
lenient), one wide disagreement adjudicated by the lead; the county's results are those of
the evaluator's own values (the middle of three), and the reliability figures name the
lenient rater."""

from __future__ import annotations

import numpy as np

from evaluator.demo.county import cast
from evaluator.demo.load import load_demo
from evaluator.demo.panel import HARSH, LENIENT, panel_rows
from evaluator.demo.scoring import run_demo
from evaluator.services.actors import Actor
from evaluator.services.reliability import round_reliability
from evaluator.services.scorecards import compute_round
from evaluator.store.audit import AuditEvent
from evaluator.store.rounds import Adjudication, RoundAssignment


async def test_the_demo_panel(db, evidence_dir):
    report = run_demo(None)
    loaded = await load_demo(report)
    first = loaded.rounds[0]
    assigned = await RoundAssignment.filter(round_id=first.id).count()
    assert assigned == 4  # the lead and three evaluators
    assert await Adjudication.filter(round_id=first.id).count() == 1
    assert await AuditEvent.filter(action="round.adjudicate").count() == 1

    figures = await round_reliability(Actor.system(), first.id)
    assert figures["icc_raters"] == 3 and figures["icc_units"] > 100
    assert figures["raters"][0]["rater"] == LENIENT and figures["raters"][0]["severity"] > 0
    assert figures["raters"][-1]["rater"] == HARSH and figures["raters"][-1]["severity"] < 0
    assert 0.5 < figures["icc"]["icc2_1"]["value"] < 1

    # the middle of three is the evaluator's value: the county's results are the offline
    # demo's (but for the weak station, whose story — an upheld appeal — moves its total)
    weak = cast(report.county)["weak"][0]
    for r in loaded.rounds:
        done = await compute_round(r)
        for unit in (u for u in done.units if u != weak):
            stored, offline = float(done.result.total[unit]), float(report.result.total[unit])
            assert abs(stored - offline) < 1e-9, (unit, stored, offline)


async def test_the_demo_spot_check_has_a_purchaser_and_a_supervisor(db, evidence_dir):
    """issue 17's demo: the first contract spot-checked on the pools system by three
    third-party evaluators, the bureau's officer (purchaser) and a supervisor; every part
    submitted, the round open for the lead; the ICC reads the third party's block."""
    from evaluator.services import rounds as round_svc
    from evaluator.services.actors import actor_for
    from evaluator.services.completeness import decide_gap, round_gaps
    from evaluator.store.orgs import User
    from evaluator.store.rounds import Score

    report = run_demo(None)
    loaded = await load_demo(report)
    spot = loaded.spot_check
    assert spot is not None and spot.state.value == "open" and spot.kind.value == "spot_check"
    assert (await spot.system).system_code == "station-1000-pools"
    staff = await RoundAssignment.filter(round_id=spot.id).prefetch_related("user")
    roles = {(a.user.username, a.role.value, a.rater_role) for a in staff}
    assert roles == {
        ("lead", "lead_evaluator", "third_party"),
        ("evaluator", "evaluator", "third_party"),
        (HARSH, "evaluator", "third_party"),
        (LENIENT, "evaluator", "third_party"),
        ("bureau", "evaluator", "purchaser"),
        ("supervisor", "evaluator", "supervisor"),
    }
    assert all(a.submitted_at is not None for a in staff if a.role.value == "evaluator")
    by_rater: dict[str, set[str]] = {}
    for leaf, rater in await Score.filter(round_id=spot.id).values_list("leaf", "rater__username"):
        by_rater.setdefault(rater, set()).add(leaf.split(".")[0])
    assert by_rater["bureau"] == {"P2"} and by_rater["supervisor"] == {"P3"}
    assert by_rater["evaluator"] == by_rater[HARSH] == by_rater[LENIENT] >= {"P1"}

    figures = await round_reliability(Actor.system(), spot.id)
    assert figures["icc_raters"] == 3 and figures["icc_units"] > 20  # the pools' lone raters out
    assert figures["raters"][0]["rater"] == LENIENT

    # the lead can finish it: decide the gaps the visit leaves, then submit
    lead = await actor_for(await User.get(username="lead"))
    for gap in await round_gaps(spot):
        await decide_gap(lead, spot.id, gap.unit, gap.leaf, "accepted_missing", "未取得佐证")
    spot = await round_svc.submit_round(lead, spot, (await type(spot).get(id=spot.id)).version)
    assert spot.state.value == "submitted"


def test_the_two_other_raters_stay_within_a_level_of_each_other():
    report = run_demo(None)
    rows = report.inputs[report.inputs["leaf"].isin([n.code for n in report.system.leaves])]
    rows = rows.reset_index(drop=True)
    harsh = panel_rows(report.system, rows, HARSH)["value"].to_numpy(dtype=float)
    lenient = panel_rows(report.system, rows, LENIENT)["value"].to_numpy(dtype=float)
    truth = rows["value"].to_numpy(dtype=float)
    both = ~np.isnan(truth)
    assert (harsh[both] <= truth[both] + 1e-9).all() and (lenient[both] >= truth[both] - 1e-9).all()
    rubric = rows["leaf"].map(lambda c: report.system.nodes[c].method == "rubric").to_numpy()
    assert (lenient[both & rubric] - harsh[both & rubric] <= 1 + 1e-9).all()
    assert (lenient[both & rubric] > truth[both & rubric]).any()
