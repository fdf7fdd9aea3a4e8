"""A synthetic county for ``evaluator demo``, the tests and the benchmarks.

:func:`make_county` builds plain frozen data: the purchasing bureau (县民政局), service
agencies (承接机构), township stations (社工站) and one-year contracts (money in integer fen,
tranches 50/30/20, per-station targets). :func:`synthetic_inputs` writes the long raw-input
table for *any* indicator system, driven by each leaf's method and parameters;
:func:`demo_inputs` adds the demo's story on top (weak stations, a thin satisfaction
sample, one confirmed veto, missing leaves, bonus). Everything is deterministic for a seed
(numpy Generator). No printing here: the CLI prints the text of :func:`evaluator.demo.text.format_demo`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.decisions.report_schedule import contract_reports_due
from evaluator.demo.consequences import Consequences, consequences
from evaluator.demo.county import County, cast, make_county
from evaluator.demo.registers import demo_registers, round_date, write_registers
from evaluator.engine import Result, score
from evaluator.evidence.measure import compute_metrics, measured_inputs
from evaluator.evidence.metrics import Period
from evaluator.evidence.parse import parse_register
from evaluator.shipped import shipped_system
from evaluator.systems import IndicatorSystem, Node, load_system

__all__ = ["County", "DemoReport", "demo_inputs", "make_county", "run_demo", "synthetic_inputs"]

COLUMNS = ["unit", "leaf", "item", "value", "target", "n", "elapsed"]

TARGET_NAMES = (
    "staff",
    "cases",
    "groups",
    "activities",
    "visits",
    "volunteers",
    "volunteer_hours",
    "budget_yuan",
)
# A leaf "evidently maps" to a contract target when its English name holds these words
# (first match wins; order matters: "visits of priority groups" are visits, not groups).
TARGET_WORDS = [
    ("volunteer_hours", ("volunteer", "hour")),
    ("volunteers", ("volunteer",)),
    ("visits", ("visit",)),
    ("cases", ("case",)),
    ("groups", ("group",)),
    ("activities", ("activit",)),
    ("staff", ("staff",)),
    ("budget_yuan", ("budget",)),
    ("budget_yuan", ("resource",)),
]


# -- raw inputs for any system -------------------------------------------------------------
def _frame(units, leaf: str, value, item=None, target=None, n=None, elapsed=None) -> pd.DataFrame:
    size = len(units)

    def col(x):
        return (
            np.full(size, np.nan)
            if x is None
            else np.broadcast_to(np.asarray(x, dtype=float), (size,))
        )

    return pd.DataFrame(
        {
            "unit": units,
            "leaf": leaf,
            "item": item,
            "value": col(value),
            "target": col(target),
            "n": col(n),
            "elapsed": col(elapsed),
        }
    )


def _wants_target(leaf: Node) -> bool:
    """A target column is supplied when the rule uses one it does not fix itself."""
    spec = leaf.spec
    if getattr(spec, "target", 1) is not None or (leaf.method == "count" and not spec.per_target):
        return False
    desc = spec.description
    said = desc is not None and ("target column" in desc.en or "target 列" in desc.zh)
    return bool(spec.prorate or said)


def _target_name(leaf: Node) -> str | None:
    name = leaf.name.en.lower()
    return next((key for key, words in TARGET_WORDS if all(w in name for w in words)), None)


def _amount(attain, full, base, proportion: bool) -> np.ndarray:
    """Actual value for an attainment (1 = just full marks) against a threshold and base."""
    value = attain * full * base
    if proportion:
        return np.round(np.minimum(value, 1.0), 3)
    return np.round(value) if np.all(full * base >= 2) else np.round(value, 3)


def _leaf_frame(
    leaf: Node, system: IndicatorSystem, units, q, rng, targets, elapsed
) -> list[pd.DataFrame]:
    spec, size = leaf.spec, len(units)
    attain = 0.3 + 0.85 * q  # q = 0.82 just reaches full marks
    if leaf.method == "checklist":
        met = 0.35 + 0.65 * q
        return [
            _frame(units, leaf.code, (rng.random(size) < met).astype(float), item=it.code)
            for it in spec.items
        ]
    if leaf.method == "rubric":
        levels = np.array(sorted(lv.level for lv in system.rubric_levels(leaf)), dtype=float)
        x = q * levels.max() + rng.normal(0, 0.45, size)
        return [
            _frame(units, leaf.code, levels[np.abs(levels[None, :] - x[:, None]).argmin(axis=1)])
        ]
    if leaf.method == "likert":
        lo, hi = spec.scale
        mean = np.clip(lo + (hi - lo) * (0.45 + 0.55 * q) + rng.normal(0, 0.05, size), lo, hi)
        base_n = spec.min_n or 60
        n = base_n + rng.integers(0, max(2, base_n // 5) + 1, size)
        return [_frame(units, leaf.code, np.round(mean, 2), n=n)]
    if leaf.method == "deduction":
        return [_frame(units, leaf.code, rng.poisson(3.0 * (1 - q) ** 2).astype(float))]
    # ratio and count: value against the threshold that gives full marks
    if leaf.method == "ratio":
        full = spec.bands[0].min if spec.bands is not None else spec.linear.cap
    else:
        full = spec.steps[0].min
    target = None
    if _wants_target(leaf):
        key = _target_name(leaf)
        target = targets[key] if key in targets else rng.integers(20, 41, size).astype(float)
    base = target if target is not None else (getattr(spec, "target", None) or 1.0)
    prorate = bool(getattr(spec, "prorate", False)) and (
        target is not None or spec.target is not None
    )
    eff = base * (elapsed if prorate else 1.0)
    proportion = bool(np.all(np.asarray(base) <= 1) and full <= 1)
    value = _amount(attain, full, eff, proportion)
    return [_frame(units, leaf.code, value, target=target, elapsed=elapsed if prorate else None)]


def _family_index(system: IndicatorSystem) -> dict[str, int]:
    families = [f.code for f in system.families if not f.is_bonus]
    out = {}
    for code, node in system.nodes.items():
        top = node
        while top.parent is not None:
            top = system.nodes[top.parent]
        out[code] = families.index(top.code) if top.code in families else 0
    return out


def synthetic_inputs(
    system: IndicatorSystem,
    units: Sequence[str],
    quality: np.ndarray,
    rng: np.random.Generator,
    targets: Mapping[str, np.ndarray] | None = None,
    elapsed: float = 0.5,
    difficulty: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Long raw-input table (``COLUMNS``) for every unit and every leaf of ``system``.

    ``quality`` is each unit's latent quality in [0, 1], shape (N,) or (N, families) for a
    per-family quality; each leaf adds noise. ``difficulty`` (leaf code → a shift of the
    quality scale, positive = harder) lowers every unit's quality on that leaf. ``targets``
    maps contract-target names (``TARGET_NAMES``) to per-unit arrays for ratio/count leaves
    that take a target column; others get a synthetic target. Bonus leaves and vetoes get
    rows with value 0.
    """
    units = np.asarray(units, dtype=object)
    quality = np.asarray(quality, dtype=float)
    q2 = quality[:, None] if quality.ndim == 1 else quality
    fam = _family_index(system)
    parts: list[pd.DataFrame] = []
    for leaf in system.leaves:
        column = q2[:, min(fam[leaf.code], q2.shape[1] - 1)]
        if difficulty:
            column = column - difficulty.get(leaf.code, 0.0)
        q = np.clip(column + rng.normal(0, 0.1, len(units)), 0.0, 1.0)
        parts += _leaf_frame(leaf, system, units, q, rng, targets or {}, elapsed)
    for code in [b.code for b in system.bonus_leaves] + [v.code for v in system.spec.vetoes]:
        parts.append(_frame(units, code, 0.0))
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].astype("Int64")
    return out[COLUMNS]


def demo_inputs(
    county: County, system: IndicatorSystem, seed: int = 2026, elapsed: float = 0.5
) -> pd.DataFrame:
    """The raw-input table of the demo: mostly good stations, a few weak ones, one capped
    by a floor, a thin satisfaction sample, one confirmed veto, missing leaves, bonus."""
    rng = np.random.default_rng([seed, 1])
    codes = [s.code for s in county.stations]
    roles = cast(county)
    n_fam = len([f for f in system.families if not f.is_bonus])
    quality = np.repeat(rng.uniform(0.72, 0.95, len(codes))[:, None], n_fam, axis=1)
    for i, code in enumerate(codes):
        if code in roles["weak"]:
            quality[i] = rng.uniform(0.35, 0.45)
        elif code in roles["capped"]:
            quality[i] = 0.95
            quality[i, -1] = 0.3  # the last family alone falls below its floor
    tg = {
        name: np.array([getattr(county.targets(c), name) for c in codes], dtype=float)
        for name in TARGET_NAMES
    }
    frame = synthetic_inputs(system, codes, quality, rng, tg, elapsed)

    # a thin satisfaction sample: the likert leaf with the largest min_n
    likerts = [lf for lf in system.leaves if lf.method == "likert" and lf.spec.min_n]
    if likerts:
        lf = max(likerts, key=lambda x: x.spec.min_n)
        hit = frame["unit"].isin(roles["thin"]) & (frame["leaf"] == lf.code)
        frame.loc[hit, "n"] = max(1, int(lf.spec.min_n * 0.6))
    # one confirmed veto (subcontracting if the system has it), with its linked evidence
    if system.spec.vetoes:
        vetoes = system.spec.vetoes
        veto = next((v for v in vetoes if "subcontract" in v.name.en.lower()), vetoes[0])
        frame.loc[frame["unit"].isin(roles["vetoed"]) & (frame["leaf"] == veto.code), "value"] = 1.0
        for lf in system.leaves:
            if lf.method == "checklist" and lf.spec.veto == veto.code:
                item = next((it for it in lf.spec.items if "转包" in it.text), lf.spec.items[-1])
                frame.loc[
                    frame["unit"].isin(roles["vetoed"])
                    & (frame["leaf"] == lf.code)
                    & (frame["item"] == item.code),
                    "value",
                ] = 0.0
    # missing leaves: one leaf's rows dropped at each of two stations
    leaf_codes = [lf.code for lf in system.leaves]
    drop = np.zeros(len(frame), dtype=bool)
    for station in roles["missing"]:
        drop |= (frame["unit"] == station).to_numpy() & (
            frame["leaf"] == leaf_codes[rng.integers(len(leaf_codes))]
        ).to_numpy()
    frame = frame[~drop].reset_index(drop=True)
    # bonus for the two best stations without another part to play
    busy = {c for part in roles.values() for c in part}
    mean_q = quality.mean(axis=1)
    best = [codes[i] for i in np.argsort(-mean_q) if codes[i] not in busy][:2]
    for k, lf in enumerate(system.bonus_leaves):
        for j, station in enumerate(best):
            if j == 0 or k == 0:
                frame.loc[(frame["unit"] == station) & (frame["leaf"] == lf.code), "value"] = float(
                    1 + (k + j) % 2
                )
    return frame


@dataclass(frozen=True)
class DemoReport:
    county: County
    system: IndicatorSystem
    inputs: pd.DataFrame
    result: Result
    seed: int = 2026
    elapsed: float = 0.5
    registers: Mapping[str, Mapping[str, pd.DataFrame]] = field(
        default_factory=dict
    )  # contract → kind → register
    notes: Mapping[tuple[str, str], dict] = field(
        default_factory=dict
    )  # (station, leaf) → measured explanation
    consequences: Consequences | None = None  # findings, recommendations, tranches


def with_registers(
    county: County,
    system: IndicatorSystem,
    inputs: pd.DataFrame,
    seed: int,
    elapsed: float,
    folder: Path,
    flaws: bool = True,
):
    """Replace the measured leaves' synthetic values by those computed from the demo's
    registers (written to ``folder`` and read back through the real parser), exactly as a
    round does with imported registers. Returns (inputs, registers, notes)."""
    roles = cast(county)
    registers, measured, notes = {}, [], {}
    for contract in county.contracts:
        frames = demo_registers(county, contract, roles, seed, elapsed, flaws)
        registers[contract.code] = frames
        period = Period(
            contract.start,
            min(round_date(contract, elapsed), contract.end),
            tuple(contract_reports_due(contract.report_schedule, contract.start, contract.end)),
        )
        stations = list(contract.stations)
        metrics = {}
        for kind, path in write_registers(frames, folder / contract.code).items():
            metrics[kind] = compute_metrics(
                parse_register(kind, path).frame, kind, system, stations, period
            )
        targets = {t.station: t.contract_targets() for t in contract.targets}
        rows, more = measured_inputs(system, metrics, targets, None)
        measured.append(rows)
        notes.update(more)
    computed = {leaf for _, leaf in notes}
    kept = inputs[~inputs["leaf"].isin(computed)]
    rows = pd.concat(measured, ignore_index=True).assign(elapsed=np.nan)
    out = pd.concat(
        [kept, rows.astype({"value": float, "target": float, "n": float})], ignore_index=True
    )
    out["elapsed"] = elapsed
    out["n"] = out["n"].astype("Int64")
    return out[COLUMNS], registers, notes


def run_demo(out_dir: Path | None = None, seed: int = 2026, elapsed: float = 0.5) -> DemoReport:
    """Score the demo county with the shipped station system; if ``out_dir`` is given,
    write ``county.json``, ``raw-inputs.csv`` and ``scores.csv`` (UTF-8 with BOM) there."""
    system = load_system(shipped_system("station-annual"))
    county = make_county(seed)
    with tempfile.TemporaryDirectory() as folder:
        inputs, registers, notes = with_registers(
            county, system, demo_inputs(county, system, seed, elapsed), seed, elapsed, Path(folder)
        )
    result = score(system, inputs)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "county.json").write_text(county.to_json() + "\n", encoding="utf-8")
        inputs.to_csv(out / "raw-inputs.csv", index=False, encoding="utf-8-sig")
        result.summary().to_csv(out / "scores.csv", index=False, encoding="utf-8-sig")
        for code, frames in registers.items():
            write_registers(frames, out / "registers" / code)
    after = consequences(county, system, inputs, result, notes, elapsed)
    return DemoReport(county, system, inputs, result, seed, elapsed, registers, notes, after)
