"""From a parsed register to the metric values a round keeps, and from those to the leaf
inputs the engine scores. Pure: no database, no clock.

Two sets of values are computed for a register of kind K:

- ``leaves``: one per leaf whose ``measure`` names a metric over K, with that measure's
  parameters (the values that fill those leaves);
- ``library``: every metric over K with its default parameters (shown to evaluators as
  reference figures, e.g. the personnel share of spending when judging a checklist item).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from evaluator.evidence.metrics import METRICS, RESULTS_KIND, Metric, Period
from evaluator.systems import IndicatorSystem
from evaluator.systems.vocabulary import TARGET_PREFIX


def measured_leaves(
    system: IndicatorSystem, kind: str | None = None
) -> dict[str, tuple[Metric, dict]]:
    """Leaf code → (metric, given params) for the leaves computed from registers (of ``kind``)."""
    out = {}
    for node in system.nodes.values():
        measure = getattr(node.spec, "measure", None) if node.is_leaf else None
        if measure is None:
            continue
        metric = METRICS[measure.metric]
        if kind is None or metric.kind == kind:
            out[node.code] = (metric, dict(measure.params))
    return out


def _plain(x):
    if isinstance(x, float):
        return None if math.isnan(x) else x
    return x


def _values(frame: pd.DataFrame) -> dict[str, dict]:
    columns = (frame.index, frame["value"], frame["n"], frame["flags"], frame["detail"])
    return {
        str(station): {
            "value": _plain(float(value)),
            "n": _plain(float(n)),
            "flags": list(flags),
            "detail": detail,
        }
        for station, value, n, flags, detail in zip(*columns, strict=True)
    }


def compute_metrics(
    frame: pd.DataFrame, kind: str, system: IndicatorSystem, stations: Sequence[str], period: Period
) -> dict:
    """The JSON document a register import keeps (see the module docstring). A metric run
    with the same parameters for several leaves (or the library) is computed once."""
    runs: dict[str, dict] = {}

    def values(metric: Metric, params: dict | None) -> tuple[dict, dict]:
        resolved = metric.resolved(params)
        key = metric.name + json.dumps(resolved, sort_keys=True)
        if key not in runs:
            runs[key] = _values(metric.run(frame, stations, period, params))
        return resolved, runs[key]

    leaves = {}
    for code, (metric, params) in measured_leaves(system, kind).items():
        resolved, got = values(metric, params)
        leaves[code] = {"metric": metric.name, "params": resolved, "stations": got}
    library = {}
    for m in METRICS.values():
        if m.kind == kind:
            resolved, got = values(m, None)
            library[m.name] = {"params": resolved, "stations": got}
    return {
        "period": [period.start.isoformat(), period.end.isoformat()],
        "leaves": leaves,
        "library": library,
    }


def target_of(
    target, station_targets: Mapping[str, object], staffing_min: int | None
) -> float | None:
    """A measure's target for one station: a number, ``contract.targets.<key>`` from the
    station's contract targets, or ``contract.staffing_min``; None when the contract does not
    give it (or gives a negative number). A contract target of 0 is returned as 0: the
    leaf's ``zero_target`` rule decides what it means."""
    if target is None or isinstance(target, int | float):
        return None if target is None else float(target)
    if target == "contract.staffing_min":
        return None if staffing_min is None else float(staffing_min)
    value = station_targets.get(target[len(TARGET_PREFIX) :])
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def measured_inputs(
    system: IndicatorSystem,
    metrics: Mapping[str, dict],
    targets: Mapping[str, Mapping[str, object]],
    staffing_min: int | None,
) -> tuple[pd.DataFrame, dict[tuple[str, str], dict]]:
    """Engine input rows (unit, leaf, value, target, n) for measured leaves, from the
    ``metrics`` documents of the round's active imports (by kind), and per (unit, leaf) the
    explanation: metric, parameters, figures, flags, target and where it came from.

    A leaf whose register kind has no import is absent (its raters' values stand); a unit
    whose metric is undefined (a share of nothing) gets no value (the missing rule applies);
    a contract target the contract does not give is flagged ``no_target`` and left unscored,
    as is a contract target of 0 where the leaf's ``zero_target`` rule is ``error``; under
    ``zero`` or ``skip`` a target of 0 is passed on (with or without a value) for the engine
    to apply the rule.
    """
    rows, notes = [], {}
    for code, (metric, _) in measured_leaves(system).items():
        doc = metrics.get(metric.kind)
        if doc is None or code not in doc.get("leaves", {}):
            continue
        spec = system.nodes[code].spec.measure
        entry = doc["leaves"][code]
        for unit, got in entry["stations"].items():
            target = target_of(spec.target, targets.get(unit, {}), staffing_min)
            flags = list(got["flags"])
            zero_refused = target == 0 and system.zero_target_rule(system.nodes[code]) == "error"
            if spec.target is not None and (target is None or zero_refused):
                flags.append("no_target")
            notes[(unit, code)] = {
                "source": "results" if metric.kind == RESULTS_KIND else "register",
                "register_kind": metric.kind,
                "metric": metric.name,
                "params": entry["params"],
                "value": got["value"],
                "n": got["n"],
                "target": target,
                "target_from": spec.target,
                "detail": got["detail"],
                "flags": flags,
            }
            if "no_target" in flags or (got["value"] is None and target != 0):
                continue
            n = (
                got["n"] if system.nodes[code].method == "likert" else None
            )  # a sample size only counts there
            rows.append(
                {
                    "unit": unit,
                    "leaf": code,
                    "item": None,
                    "value": got["value"],
                    "target": target,
                    "n": n,
                }
            )
    frame = pd.DataFrame(rows, columns=["unit", "leaf", "item", "value", "target", "n"])
    return frame, notes
