"""A round's inputs as the engine reads them: every rater's stored values, the leaves
measured from its registers (with the lead's overrides), the lead's adjudications and gap
decisions, and the digests that make an approval snapshot reproducible."""

from __future__ import annotations

import json

import pandas as pd
from tortoise import connections

from evaluator.canonical import digest
from evaluator.engine import Result
from evaluator.engine.reconcile import reconciliation_by_leaf
from evaluator.evidence.measure import measured_inputs
from evaluator.evidence.metrics import RESULTS_KIND
from evaluator.services.cohorts import Cohort, round_cohort
from evaluator.services.interests import excluded_raters
from evaluator.services.station_results import results_metrics
from evaluator.services.systems import system_of
from evaluator.store.registers import MeasuredOverride, RegisterImport
from evaluator.store.rounds import Adjudication, LeafWaiver, Round, SystemVersion
from evaluator.store.sql import dialect_of, parameter
from evaluator.systems import IndicatorSystem

INPUT_COLUMNS = ["unit", "leaf", "item", "value", "target", "n", "rater"]


RAW_CHUNK = 500  # units read per statement by round_raw (SQLite allows 999 parameters)
_RAW_UNITS = "SELECT DISTINCT unit FROM score WHERE round_id = {0}"


async def round_raw(round_: Round, conn=None) -> pd.DataFrame:
    """Every rater's stored input for the round, as the engine's long table (+ rater).

    Read as plain rows, ``RAW_CHUNK`` units per statement, with each repeated text (unit,
    leaf, item, rater) held once: a national round has millions of values. The columns'
    types are what the rows hold (as the ORM would give them), so digests never move."""
    conn = conn or connections.get("default")
    round_id = str(round_.id)
    _, found = await conn.execute_query(
        _RAW_UNITS.format(parameter(dialect_of(conn), 1)), [round_id]
    )
    units = sorted(r[0] for r in found)
    text: dict = {}
    columns: list[list] = [[] for _ in INPUT_COLUMNS]
    for start in range(0, len(units), RAW_CHUNK):
        chunk = units[start : start + RAW_CHUNK]
        marks = ", ".join(parameter(dialect_of(conn), i + 2) for i in range(len(chunk)))
        sql = (
            "SELECT unit, leaf, item, value, target, n, CAST(rater_id AS TEXT) FROM score "
            f"WHERE round_id = {parameter(dialect_of(conn), 1)} AND value IS NOT NULL AND unit IN ({marks})"
        )
        _, rows = await conn.execute_query(sql, [round_id, *chunk])
        for row in rows:
            for i, column in enumerate(columns):
                v = row[i]
                if i < 3 or i == 6:
                    v = text.setdefault(v, v)
                column.append(v)
    frame = (
        pd.DataFrame(dict(zip(INPUT_COLUMNS, columns, strict=True)))
        if columns[0]
        else pd.DataFrame(columns=INPUT_COLUMNS).astype({"rater": str})  # as the ORM's
    )
    frame["item"] = frame["item"].replace("", None)
    tied = await excluded_raters(round_, conn)  # a tie declared late: their values leave
    if tied:
        frame = frame[~frame["rater"].isin(tied)]
    return frame.sort_values(
        ["unit", "leaf", "item", "rater"], na_position="first", kind="stable"
    ).reset_index(drop=True)


async def active_metrics(round_: Round, conn=None) -> dict[str, dict]:
    """Register kind → the metrics document of the round's version in force."""
    return dict(
        await RegisterImport.filter(round_id=round_.id, active=True)
        .using_db(conn)
        .values_list("kind", "metrics")
    )


async def round_measured(
    round_: Round, system: IndicatorSystem, cohort: Cohort, conn=None
) -> tuple[pd.DataFrame, dict]:
    """Inputs of the leaves computed from the round's registers (and, for an agency round,
    from its stations' approved results: services/station_results.py), and their
    explanations."""
    metrics = await active_metrics(round_, conn)
    results = await results_metrics(round_, system, cohort, conn)
    if results is not None:
        metrics[RESULTS_KIND] = results
    if not metrics:
        return pd.DataFrame(columns=["unit", "leaf", "item", "value", "target", "n"]), {}
    return measured_inputs(system, metrics, cohort.targets, cohort.contract.staffing_min)


async def raters_and_registers(
    round_: Round, system: IndicatorSystem, conn=None, cohort: Cohort | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The raters' rows the results read — the round's units, leaves not computed from a
    register, adjudications not applied — and the measured inputs with their explanations."""
    raw = await round_raw(round_, conn)
    if cohort is None:
        cohort = await round_cohort(round_, system, conn)
    raw = raw[raw["unit"].isin(cohort.units)]
    measured, notes = await round_measured(round_, system, cohort, conn)
    computed = {leaf for _, leaf in notes}
    return raw[~raw["leaf"].isin(computed)], measured, notes


async def round_inputs(
    round_: Round, system: IndicatorSystem, conn=None, cohort: Cohort | None = None
) -> tuple[pd.DataFrame, dict]:
    """Reconciled inputs (one row per unit, leaf, item) for the round's units, with the
    round's elapsed share for pro-rated targets, and the explanations of measured leaves.
    ``cohort``: the round's units as the caller read them (else read here).

    A leaf measured from a register kind the round has imported takes its value from the
    register; raters' values for it are set aside. Other leaves come from raters."""
    raw, measured, notes = await raters_and_registers(round_, system, conn, cohort)
    measured = await _with_overrides(round_, measured, notes, conn)
    raw = await with_adjudications(round_, raw, conn)
    inputs = (
        reconciliation_by_leaf(system, raw, report=False).table
        if len(raw)
        else raw.drop(columns="rater")
    )
    if len(measured):
        inputs = (
            pd.concat(
                [
                    inputs.astype({"value": float}),
                    measured.astype({"value": float, "target": float, "n": float}),
                ],
                ignore_index=True,
            )
            if len(inputs)
            else measured
        )
    inputs = inputs.copy()
    inputs["elapsed"] = round_.elapsed
    inputs = inputs.sort_values(
        ["unit", "leaf", "item"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    return inputs, notes


async def with_adjudications(round_: Round, raw: pd.DataFrame, conn=None) -> pd.DataFrame:
    """The raters' rows with each slot the lead adjudicated replaced by one row holding the
    lead's value (its target and sample size kept from the raters' first row)."""
    decided = (
        await Adjudication.filter(round_id=round_.id)
        .using_db(conn)
        .values_list("unit", "leaf", "item", "value")
    )
    if not decided or raw.empty:
        return raw
    slot = raw["unit"] + "\x1f" + raw["leaf"] + "\x1f" + raw["item"].fillna("")
    values = {f"{u}\x1f{leaf}\x1f{item}": v for u, leaf, item, v in decided}
    hit = slot.isin(values.keys())
    if not hit.any():
        return raw
    first = raw[hit].assign(_slot=slot[hit]).drop_duplicates("_slot")
    first = first.assign(value=first["_slot"].map(values), rater="adjudicated")
    return (
        pd.concat([raw[~hit], first.drop(columns="_slot")], ignore_index=True)
        .sort_values(["unit", "leaf", "item", "rater"], na_position="first", kind="stable")
        .reset_index(drop=True)
    )


async def _with_overrides(
    round_: Round, measured: pd.DataFrame, notes: dict, conn=None
) -> pd.DataFrame:
    """An upheld appeal's value replaces the register's value of that leaf for that unit
    (target and sample kept); its note says so, with the register's figure and the reason."""
    overrides = (
        await MeasuredOverride.filter(round_id=round_.id)
        .using_db(conn)
        .values("unit", "leaf", "value", "reason", "appeal_id")
    )
    rows = []
    for o in overrides:
        key = (o["unit"], o["leaf"])
        note = notes.get(key)
        if note is None:  # no longer measured from a register: nothing to override
            continue
        notes[key] = note | {
            "source": "appeal",
            "override": {
                "value": o["value"],
                "register_value": note["value"],
                "reason": o["reason"],
                "appeal": str(o["appeal_id"]) if o["appeal_id"] else None,
            },
        }
        rows.append(
            {"unit": o["unit"], "leaf": o["leaf"], "value": o["value"], "target": note["target"]}
        )
    if not rows:
        return measured
    keys = {(r["unit"], r["leaf"]) for r in rows}
    kept = (
        measured[
            [
                (u, leaf) not in keys
                for u, leaf in zip(measured["unit"], measured["leaf"], strict=True)
            ]
        ]
        if len(measured)
        else measured
    )
    added = pd.DataFrame(rows).reindex(columns=measured.columns)
    return pd.concat([kept, added], ignore_index=True) if len(kept) else added


def inputs_digest(
    inputs: pd.DataFrame,
    system: IndicatorSystem,
    units: list[str],
    waivers: list[tuple[str, str, str]] | None = None,
) -> str:
    """Digest of everything a round's results follow from (the lead's gap decisions
    included when there are any, so that digests of rounds without them never change)."""
    records = json.loads(inputs.to_json(orient="values", double_precision=15))
    body = {
        "system": system.content_hash,
        "units": sorted(units),
        "columns": list(inputs.columns),
        "rows": records,
    }
    if waivers:
        body["waivers"] = [list(w) for w in sorted(waivers)]
    return digest(body)


def results_document(result: Result) -> dict:
    """Per-unit results as plain JSON: totals, grade, node points (6 decimals), vetoes, flags."""
    flags = result.flags()
    doc = {}
    points = result.node_points.round(6)
    for unit in result.units:
        unit_flags = flags[flags["unit"] == unit]
        doc[str(unit)] = {
            "base": float(result.base[unit]),
            "bonus": float(result.bonus_total[unit]),
            "total": float(result.total[unit]),
            "grade": result.grade[unit],
            "grade_uncapped": result.grade_uncapped[unit],
            "rank": int(result.rank[unit]),
            "vetoes": [c for c in result.vetoes.columns if bool(result.vetoes.loc[unit, c])],
            "nodes": {c: (None if pd.isna(v) else float(v)) for c, v in points.loc[unit].items()},
            "flags": sorted(unit_flags["label"]),
        }
    return doc


def cohort_frame(inputs: pd.DataFrame, units: list[str], system: IndicatorSystem) -> pd.DataFrame:
    """The inputs with a placeholder row (first leaf, no value) for every unit that has no
    row at all, so that an unscored station is scored — and seen — as such."""
    present = set(inputs["unit"]) if len(inputs) else set()
    absent = [u for u in units if u not in present]
    if not absent:
        return inputs
    filler = pd.DataFrame(
        {
            "unit": absent,
            "leaf": [system.leaves[0].code] * len(absent),
            "value": [None] * len(absent),
        }
    )
    return pd.concat([inputs, filler], ignore_index=True) if len(inputs) else filler


async def round_waivers(round_: Round, conn=None) -> list[tuple[str, str, str]]:
    """(unit, leaf, decision) of the lead's decisions on the round's gaps."""
    return sorted(
        await LeafWaiver.filter(round_id=round_.id)
        .using_db(conn)
        .values_list("unit", "leaf", "decision")
    )


async def system_of_round(round_: Round, conn=None) -> IndicatorSystem:
    """The indicator system a round is pinned to."""
    return await system_of(await SystemVersion.get(id=round_.system_id).using_db(conn))
