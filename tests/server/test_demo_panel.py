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
