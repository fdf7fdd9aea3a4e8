"""What the engine returns: per-unit scores at every node, totals, grades, vetoes, flags,
and per-leaf explanations (raw → share → points)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from evaluator.engine.methods import LeafScore
from evaluator.systems import IndicatorSystem
from evaluator.systems.schema import BonusLeaf


@dataclass(frozen=True)
class Result:
    """Scores of N units. Frames are indexed by unit; node columns are in tree order.

    ``node_points``/``node_shares``: every scored node (groups and leaves), NaN where the
    node was skipped. ``base`` is the sum of the families (rounded to the system's
    decimals), ``bonus_total`` the capped bonus, ``total = base + bonus_total``;
    ``graded`` is the score the grade bands read (``base`` under ``grade_on: base``, else
    ``total``). ``band``/``grade_idx`` index ``system.spec.grades`` before and after floors
    and vetoes. ``floors`` has a column per node a floor rule watches, True where that node
    is below the floor's share (a ``floor:A`` flag).
    """

    system: IndicatorSystem = field(repr=False)
    units: pd.Index
    node_points: pd.DataFrame = field(repr=False)
    node_shares: pd.DataFrame = field(repr=False)
    leaf_scores: dict[str, LeafScore] = field(repr=False)
    missing: pd.DataFrame = field(repr=False)
    skipped: pd.DataFrame = field(repr=False)
    bonus: pd.DataFrame = field(repr=False)
    bonus_raw: pd.DataFrame = field(repr=False)
    base: pd.Series = field(repr=False)
    bonus_total: pd.Series = field(repr=False)
    total: pd.Series = field(repr=False)
    graded: pd.Series = field(repr=False)
    band: np.ndarray = field(repr=False)
    grade_idx: np.ndarray = field(repr=False)
    vetoes: pd.DataFrame = field(repr=False)
    floors: pd.DataFrame = field(repr=False)

    def __len__(self) -> int:
        return len(self.units)

    # -- grades and ranks ---------------------------------------------------------------
    def _grade_codes(self, idx: np.ndarray) -> pd.Series:
        codes = np.array([g.code for g in self.system.spec.grades], dtype=object)
        return pd.Series(codes[idx], index=self.units)

    @property
    def grade(self) -> pd.Series:
        """Final grade code per unit (after floor caps and vetoes)."""
        return self._grade_codes(self.grade_idx).rename("grade")

    @property
    def grade_uncapped(self) -> pd.Series:
        """Grade of the graded score's band alone, before floor caps and vetoes."""
        return self._grade_codes(self.band).rename("grade_uncapped")

    def grade_label(self, lang: str = "zh") -> pd.Series:
        names = np.array([getattr(g, lang) for g in self.system.spec.grades], dtype=object)
        return pd.Series(names[self.grade_idx], index=self.units, name=f"grade_{lang}")

    @property
    def rank(self) -> pd.Series:
        """Rank by total, descending; ties take the minimum rank (1, 2, 2, 4)."""
        return self.total.rank(method="min", ascending=False).astype(int).rename("rank")

    @property
    def vetoed(self) -> pd.Series:
        if self.vetoes.empty:
            return pd.Series(False, index=self.units, name="vetoed")
        return self.vetoes.any(axis=1).rename("vetoed")

    def capped_by_floor(self) -> pd.Series:
        if self.floors.empty:
            return pd.Series(False, index=self.units)
        return self.floors.any(axis=1)

    # -- flags --------------------------------------------------------------------------
    def flags(self) -> pd.DataFrame:
        """Long table of flags: unit, code, flag (missing, skipped, insufficient_sample,
        zero_target, veto, floor) and label: ``A1.1:missing`` for a node's state,
        ``veto:V4`` and ``floor:A`` for what tripped a veto or a floor rule."""
        parts = []
        skipped = self.skipped[[c for c in self.missing.columns]]
        missing_zero = self.missing & ~skipped
        for frame, flag in ((missing_zero, "missing"), (self.skipped, "skipped")):
            stacked = frame.stack()
            hits = stacked[stacked]
            parts.append(
                pd.DataFrame(
                    {
                        "unit": hits.index.get_level_values(0),
                        "code": hits.index.get_level_values(1),
                        "flag": flag,
                    }
                )
            )
        for code, ls in self.leaf_scores.items():
            for flag, mask in (
                ("insufficient_sample", ls.insufficient),
                ("zero_target", ls.zero_target),
            ):
                if mask is not None and mask.any():
                    parts.append(
                        pd.DataFrame({"unit": self.units[mask], "code": code, "flag": flag})
                    )
        for frame, flag in ((self.vetoes, "veto"), (self.floors, "floor")):
            for code in frame.columns:
                hit = frame[code].to_numpy()
                if hit.any():
                    parts.append(
                        pd.DataFrame({"unit": self.units[hit], "code": code, "flag": flag})
                    )
        if not parts:
            return pd.DataFrame(columns=["unit", "code", "flag", "label"])
        out = pd.concat(parts, ignore_index=True)
        tripped = out["flag"].isin(["veto", "floor"])
        out["label"] = np.where(
            tripped, out["flag"] + ":" + out["code"], out["code"] + ":" + out["flag"]
        )
        return out

    @cached_property
    def flag_labels(self) -> dict[str, list[str]]:
        """Unit → its flags' labels, sorted: :meth:`flags` read once per result, however
        many of its units' cards are built (units without a flag are absent)."""
        flags = self.flags()
        return {
            str(unit): sorted(labels) for unit, labels in flags.groupby("unit", sort=False)["label"]
        }

    # -- tables -------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per unit: family scores, base, bonus, total, grade, rank, vetoes."""
        families = [f.code for f in self.system.families]
        out = self.node_points[families].copy()
        out.insert(0, "unit", self.units)
        out["base"] = self.base
        out["bonus"] = self.bonus_total
        out["total"] = self.total
        out["grade"] = self.grade
        out["grade_zh"] = self.grade_label("zh")
        out["grade_en"] = self.grade_label("en")
        out["rank"] = self.rank
        out["vetoes"] = (
            [
                ",".join(c for c in self.vetoes.columns if row[c])
                for _, row in self.vetoes.iterrows()
            ]
            if not self.vetoes.empty
            else ""
        )
        out["capped"] = self.capped_by_floor() & (self.band != self.grade_idx)
        return out.reset_index(drop=True)

    def explanation(self, units: Iterable[str] | None = None) -> pd.DataFrame:
        """Per unit and leaf: method, raw value, target/n, measure, share, points, max."""
        mask = (
            np.ones(len(self.units), dtype=bool) if units is None else self.units.isin(list(units))
        )
        rows = []
        system = self.system
        for leaf in system.leaves:
            ls = self.leaf_scores[leaf.code]
            share = self.node_shares[leaf.code].to_numpy()
            rows.append(
                pd.DataFrame(
                    {
                        "unit": self.units[mask],
                        "family": _family(system, leaf.code),
                        "leaf": leaf.code,
                        "name_zh": leaf.name.zh,
                        "name_en": leaf.name.en,
                        "method": leaf.method,
                        "raw": ls.raw[mask],
                        "basis": ls.basis[mask] if ls.basis is not None else np.nan,
                        "measure": ls.measure[mask] if ls.measure is not None else np.nan,
                        "share": share[mask],
                        "points": (share * leaf.points)[mask],
                        "max_points": leaf.points,
                        "flag": _leaf_flags(self, leaf.code, ls)[mask],
                    }
                )
            )
        for leaf in system.bonus_leaves:
            rows.append(
                pd.DataFrame(
                    {
                        "unit": self.units[mask],
                        "family": _family(system, leaf.code),
                        "leaf": leaf.code,
                        "name_zh": leaf.name.zh,
                        "name_en": leaf.name.en,
                        "method": "bonus",
                        "raw": self.bonus_raw[leaf.code].to_numpy()[mask],
                        "basis": np.nan,
                        "measure": np.nan,
                        "share": np.nan,
                        "points": self.bonus[leaf.code].to_numpy()[mask],
                        "max_points": leaf.spec_as(BonusLeaf).cap,
                        "flag": "",
                    }
                )
            )
        out = pd.concat(rows, ignore_index=True)
        order = {u: i for i, u in enumerate(self.units)}
        out["_u"] = out["unit"].map(order)
        return out.sort_values(["_u"], kind="stable").drop(columns="_u").reset_index(drop=True)


def _family(system: IndicatorSystem, code: str) -> str:
    node = system.nodes[code]
    while node.parent is not None:
        node = system.nodes[node.parent]
    return node.code


def _leaf_flags(result: Result, code: str, ls: LeafScore) -> np.ndarray:
    flags = np.full(len(result.units), "", dtype=object)
    flags = np.where(result.missing[code].to_numpy(), "missing", flags)
    flags = np.where(result.skipped[code].to_numpy(), "skipped", flags)
    if ls.insufficient is not None:
        flags = np.where(ls.insufficient, "insufficient_sample", flags)
    if ls.zero_target is not None:
        flags = np.where(ls.zero_target, "zero_target", flags)
    return flags
