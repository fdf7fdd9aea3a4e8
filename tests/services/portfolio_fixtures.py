"""An agency round of the workflow county's contract A (agency-annual, shipped) beside its
station round, and the helpers the portfolio tests share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from services.workflow_fixtures import N_LEAVES, County, settle_gaps

from evaluator.services import panel_staff
from evaluator.services import rounds as rs
from evaluator.services.registers import import_register
from evaluator.services.scoring import record_scores
from evaluator.services.systems import register_system
from evaluator.shipped import shipped_system
from evaluator.store.base import Role, RoundKind
from evaluator.store.rounds import Round


async def score_station_round(county: County, values: dict[str, float], round_=None) -> None:
    """Every leaf of each station scored ``values[station]`` (of 10: total = 10 × value)."""
    round_ = round_ or county.round_a
    rows = pd.DataFrame(
        [
            {"unit": code, "leaf": f"L{i:02d}", "value": float(v)}
            for code, v in values.items()
            for i in range(N_LEAVES)
        ]
    )
    await record_scores(county.actors["evaluator"], round_.id, rows)


async def approve(county: County, round_: Round) -> Round:
    round_ = await Round.get(id=round_.id)
    await settle_gaps(round_, county.actors["lead"])
    round_ = await rs.submit_round(county.actors["lead"], round_, round_.version)
    await rs.approve_round(county.actors["bureau"], round_, round_.version)
    return await Round.get(id=round_.id)


async def agency_round(county: County, as_of: dt.date = dt.date(2026, 6, 30)) -> Round:
    """An annual round of contract A scored with agency-annual, opened, the panel assigned."""
    version = await register_system(
        county.admin, shipped_system("agency-annual").read_text(encoding="utf-8"), "aa.yaml"
    )
    round_ = await rs.create_round(
        county.actors["bureau"],
        contract=county.contract_a,
        evaluation_agency=county.evaluators,
        kind=RoundKind.ANNUAL,
        system=version,
        as_of=as_of,
    )
    await panel_staff.assign(county.admin, round_, county.users["lead"], Role.LEAD_EVALUATOR)
    await panel_staff.assign(county.admin, round_, county.users["evaluator"], Role.EVALUATOR)
    return await rs.open_round(county.actors["lead"], round_, round_.version)


def ledger(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """A finance ledger as an agency keeps it: (station code or "", category, fen)."""
    return pd.DataFrame(
        [
            {
                "日期": "2026-03-05",
                "凭证号": f"记-{i:03d}",
                "站点编码": station,
                "支出类别": category,
                "金额（元）": f"{fen // 100}.{fen % 100:02d}",
                "凭证齐全": "是",
            }
            for i, (station, category, fen) in enumerate(rows, 1)
        ]
    )


async def import_ledger(county: County, round_: Round, frame: pd.DataFrame, folder: Path):
    path = folder / "finance.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return await import_register(county.actors["agency_a"], round_.id, "finance", path)


AGENCY_FULL = (  # every leaf the evaluators enter in agency-annual, at its best
    [("G1", i, 1) for i in "abc"]
    + [("G2", None, 5)]
    + [("G3", i, 1) for i in "abcd"]
    + [("G4", i, 1) for i in "abcd"]
    + [("G5", None, 3)]
    + [("F1", i, 1) for i in "abc"]
    + [("F2", i, 1) for i in "abc"]
    + [("F4", None, 1.0)]
    + [("F5", i, 1) for i in "ac"]
    + [("S1", None, 0.7), ("S2", None, 1.0), ("S3", None, 3), ("S4", None, 1.0)]
    + [("S5", i, 1) for i in "abc"]
    + [("P4", None, 4), ("P5", None, 3)]
    + [("R1", i, 1) for i in "abc"]
    + [("R2", None, 0)]
    + [("R4", i, 1) for i in "abc"]
    + [(v, None, 0) for v in ("V1", "V2", "V3", "V4")]
)


async def score_agency_in_full(county: County, round_: Round) -> None:
    """Every leaf not measured entered at its best (F4 as a ratio of 1), each by a rater
    of the part the leaf names."""
    unit = str(county.agency_a.id)
    rows = [
        {"unit": unit, "leaf": leaf, "item": item, "value": float(value)}
        for leaf, item, value in AGENCY_FULL
    ]
    frame = pd.DataFrame(rows)
    frame.loc[frame["leaf"] == "F4", "target"] = 1.0
    supervisors = frame["leaf"].isin(["R1", "V1"])  # V1 is linked to R1
    r1 = frame[supervisors].reset_index(drop=True)
    await record_scores(
        county.actors["evaluator"], round_.id, frame[~supervisors].reset_index(drop=True)
    )
    # R1 is the supervising bureau's to score, R3 the purchasers': two raters taking those parts
    for name, rater_role, rows in (
        ("evaluator2", "supervisor", r1),
        (
            "outsider",
            "purchaser",
            pd.DataFrame([{"unit": unit, "leaf": "R3", "value": 5.0, "n": 2.0}]),
        ),
    ):
        await panel_staff.assign(
            county.admin, round_, county.users[name], Role.EVALUATOR, rater_role=rater_role
        )
        await record_scores(county.actors[name], round_.id, rows)
