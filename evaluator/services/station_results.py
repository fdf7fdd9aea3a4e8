"""The stations' approved results an agency round reads (its portfolio leaves P1–P3).

An agency-scored round (``unit: agency``) whose system measures leaves with the metrics
over :data:`~evaluator.evidence.metrics.RESULTS_KIND` reads the approved results of the
**same contract's own evaluation of its stations** (``OWN_EVALUATIONS``: mid-term, final,
annual; never a spot check): the latest such round evaluated on or before the agency
round's date (``as_of``, then the latest created), whose system scores stations.

**What was approved is what is shown, forever.** The rows come from the station round's
approval snapshot, never from a recomputation: the station round's newest snapshot (its
snapshot in force) — until the agency round is approved; from then on, the newest one
written at or before the agency round's own snapshot in force. So a station round approved,
reopened or approved again after the agency round's approval changes nothing in the agency
round's results (and its snapshot still verifies); a rescore after an upheld appeal on
the agency round amends its approval and reads what the approval read (a reopened agency
round reads afresh, and its new approval freezes what it read then). A station round reopened for an
appeal is read with its last approved results until it is approved again (what was
approved stands until something else is): reading "approved rounds only" would make an
agency round approved during the reopening read differently from the same round
afterwards.

No station round with approved results: no document, and the leaves stay with the raters'
values (as a measured leaf does before its register is imported).

The rows are turned into metric values by the one metric library
(:mod:`evaluator.evidence.metrics.results`, through :func:`evaluator.evidence.measure.compute_metrics`):
this module only reads.
"""

from __future__ import annotations

import json

import pandas as pd

from evaluator.evidence.measure import compute_metrics, measured_leaves
from evaluator.evidence.metrics import RESULTS_KIND, Period
from evaluator.evidence.metrics.results import RESULTS_COLUMNS
from evaluator.services.cohorts import Cohort
from evaluator.services.systems import system_of
from evaluator.store.audit import AuditEvent
from evaluator.store.base import OWN_EVALUATIONS, RoundState
from evaluator.store.rounds import ApprovalSnapshot, Round, SystemVersion
from evaluator.systems import IndicatorSystem


async def _cutoff(round_: Round, conn=None):
    """When the agency round's approval in force froze its results (None: not approved):
    the time of the snapshot its latest approval wrote, as the audit trail names it. A
    rescore after an upheld appeal amends that approval: it reads what the approval read,
    so that its snapshot, too, is reproduced by every later read."""
    if round_.state != RoundState.APPROVED:
        return None
    written = (
        await AuditEvent.filter(
            object_type="round", object_id=str(round_.id), action="round.snapshot"
        )
        .using_db(conn)
        .order_by("-seq")
        .values_list("after", flat=True)
    )
    for after in written:
        doc = json.loads(after or "{}")
        if doc.get("after") == "appeal" or "snapshot" not in doc:
            continue
        snapshot = await ApprovalSnapshot.get_or_none(id=doc["snapshot"]).using_db(conn)
        return None if snapshot is None else snapshot.created_at
    return None


async def _snapshot(candidate: Round, cutoff, conn=None) -> ApprovalSnapshot | None:
    """The candidate station round's approved snapshot as the agency round reads it: its
    newest (the one in force), or its newest written at or before ``cutoff``."""
    if cutoff is None:
        if candidate.snapshot_in_force is None:  # never approved
            return None
        return await ApprovalSnapshot.get(id=candidate.snapshot_in_force).using_db(conn)
    return (
        await ApprovalSnapshot.filter(round_id=candidate.id, created_at__lte=cutoff)
        .using_db(conn)
        .order_by("-created_at")
        .first()
    )


async def approved_station_results(round_: Round, cohort: Cohort, conn=None) -> pd.DataFrame | None:
    """The rows (columns :data:`RESULTS_COLUMNS`) of the station round the agency round
    reads (see the module docstring), every row counting for the round's one unit; None
    when no station round of the contract has approved results to read."""
    cutoff = await _cutoff(round_, conn)
    candidates = (
        await Round.filter(
            contract_id=round_.contract_id,
            kind__in=list(OWN_EVALUATIONS),
            as_of__lte=round_.as_of,
            system__unit="station",
        )
        .exclude(id=round_.id)
        .using_db(conn)
        .order_by("-as_of", "-created_at")
    )
    for candidate in candidates:
        snapshot = await _snapshot(candidate, cutoff, conn)
        if snapshot is None:
            continue
        system = await system_of(await SystemVersion.get(id=candidate.system_id).using_db(conn))
        results = json.loads(snapshot.results)
        grade_zh = {g.code: g.zh for g in system.spec.grades}
        rows = [
            {
                "station": unit,
                "evaluated": code,
                "round": str(candidate.id),
                "round_kind": str(candidate.kind),
                "as_of": candidate.as_of.isoformat(),
                "snapshot": str(snapshot.id),
                "total": float(doc["total"]),
                "out_of": float(system.total_points),
                "grade": str(doc["grade"]),
                "grade_zh": grade_zh.get(str(doc["grade"]), str(doc["grade"])),
                "lowest_grade": system.spec.grades[-1].code,
                "vetoes": ";".join(doc.get("vetoes") or ()),
            }
            for unit in cohort.units
            for code, doc in sorted(results.items())
        ]
        return pd.DataFrame(rows, columns=list(RESULTS_COLUMNS))
    return None


async def results_metrics(
    round_: Round, system: IndicatorSystem, cohort: Cohort, conn=None
) -> dict | None:
    """The metrics document of the stations' approved results for the round's leaves that
    read them (as a register import keeps one); None when the system measures none or no
    approved station results exist."""
    if system.unit != "agency" or not measured_leaves(system, RESULTS_KIND):
        return None
    frame = await approved_station_results(round_, cohort, conn)
    if frame is None:
        return None
    contract = cohort.contract
    period = Period(contract.period_start, min(round_.as_of, contract.period_end))
    return compute_metrics(frame, RESULTS_KIND, system, cohort.units, period)


def portfolio(notes: dict, unit: str) -> dict | None:
    """What an agency card shows of the stations' approved results its leaves read: the
    round(s), each station's approved total and grade, and the counts (None when no leaf
    of the unit was measured from them). Every results leaf reads the same rows."""
    details = [
        note["detail"]
        for (u, _), note in sorted(notes.items())
        if u == unit and note.get("register_kind") == RESULTS_KIND
    ]
    if not details:
        return None
    stations = details[0]["stations"]
    return {
        "rounds": details[0]["rounds"],
        "stations": stations,
        "evaluated": len(stations),
        "mean": next((d["mean"] for d in details if "mean" in d), None),  # P2's, if measured
        "passing": sum(1 for s in stations if s["passed"]),
    }
