"""The demo county's registers (台账), as an agency would keep them, with realistic flaws.

For each contract :func:`demo_registers` writes the six registers of its stations for the
period the mid-term round reads (contract start → round date): a staff roster, a service
log, a report log, a finance ledger, a volunteer register and a satisfaction survey, in the
Chinese headers agencies use (the staff roster in GB18030, as Chinese Excel saves CSV).

Every report log lists the monthly briefs and the mid-term report its contract asks for
(contract-02's also its quarterly reports), each on time unless said otherwise; the
*unreported* station (``cast(county)["unreported"]``) leaves its first quarterly report out
of the log altogether, which only the contract's report schedule can see.

Each station's last listed worker is its supervisor (岗位 督导), holding 社会工作师 or
above. Weak stations fall short everywhere; the weak station's supervisor leaves and an
assistant without a certificate takes the post (A1.5, DV-SUPERVISOR). The *diverted*
station spends a half day a week on township administrative work, a sixth of its logged
hours (C1.7, DV-DIVERSION). The *flawed* station (``cast(county)["flawed"]``) is a
good station with four flaws, applied after everything else is drawn so that its clean
twin (``flaws=False``) differs only by them:

1. its third monthly brief is submitted 3 days late (A4.1);
2. a worker hired on 2022-03-01 still has no qualification, past the two-year deadline
   (A1.4);
3. one of its groups ran 4 sessions instead of 6 (C1.3);
4. its service-user survey has 35 valid phone interviews instead of 50 (E1.1: below the
   quota and the leaf's ``min_n`` of 60).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evaluator.demo.county import Contract, County
from evaluator.demo.register_rows import (
    Period,
    finance_rows,
    report_rows,
    scheduled_report_rows,
    service_rows,
    staff_rows,
    survey_rows,
    township_rows,
    volunteer_rows,
)

KINDS = ("staff", "service_log", "reports", "finance", "volunteers", "satisfaction")
ENCODING = {"staff": "gb18030"}  # the others: UTF-8 with BOM
LATE_REPORT = 2  # the flawed station's third monthly brief is late
THIN_PHONE = 35


def round_date(contract: Contract, elapsed: float) -> dt.date:
    """The mid-term round's date: ``elapsed`` of the contract year after its start."""
    return contract.start + dt.timedelta(days=int((contract.end - contract.start).days * elapsed))


def _flaw(frames: dict[str, pd.DataFrame], code: str) -> None:
    """The flawed station's four flaws (module docstring), applied in place."""
    rep = frames["reports"]
    late = rep.index[rep["站点编码"] == code][LATE_REPORT : LATE_REPORT + 1]
    due = pd.to_datetime(rep.loc[late, "应交日期"])
    rep.loc[late, "提交日期"] = (due + pd.Timedelta(days=3)).dt.strftime("%Y-%m-%d")
    staff = frames["staff"]
    first = staff.index[staff["站点编码"] == code][0]
    staff.loc[first, ["入职日期", "职业资格等级", "取得资格日期"]] = ["2022-03-01", "无", ""]
    log = frames["service_log"]
    group = log.index[(log["站点编码"] == code) & (log["服务类型"] == "小组")]
    first_group = log.loc[group, "个案/小组编号"].iloc[0]
    drop = log.index[(log["站点编码"] == code) & (log["个案/小组编号"] == first_group)][:2]
    frames["service_log"] = log.drop(index=drop).reset_index(drop=True)
    survey = frames["satisfaction"]
    phone = survey.index[
        (survey["站点编码"] == code)
        & (survey["受访者类型"] == "服务对象")
        & (survey["调查方式"] == "电话")
    ]
    valid_phone = [i for i in phone if survey.loc[i, "服务态度"] != ""]
    frames["satisfaction"] = survey.drop(index=valid_phone[THIN_PHONE:]).reset_index(drop=True)


def demo_registers(
    county: County,
    contract: Contract,
    roles: dict[str, tuple[str, ...]],
    seed: int = 2026,
    elapsed: float = 0.5,
    flaws: bool = True,
) -> dict[str, pd.DataFrame]:
    """The six registers of a contract's stations (see the module docstring)."""
    period = Period(contract.start, round_date(contract, elapsed))
    rows: dict[str, list[dict]] = {k: [] for k in KINDS}
    for i, code in enumerate(contract.stations):
        rng = np.random.default_rng([seed, 3, i, int(code[-2:]) if code[-2:].isdigit() else 0])
        weak = code in roles.get("weak", ())
        quality = float(rng.uniform(0.35, 0.45)) if weak else float(rng.uniform(0.8, 0.95))
        attain = 0.3 + 0.85 * quality if weak else float(rng.uniform(1.0, 1.12))
        t = county.targets(code)
        rows["staff"] += staff_rows(code, t, attain, rng, period, weak)
        # the flawed station runs just the groups due, so that one short group costs points
        rows["service_log"] += service_rows(
            code, t, attain, rng, period, elapsed, code in roles.get("flawed", ())
        )
        if code in roles.get("diverted", ()):
            rows["service_log"] += township_rows(code, rows["service_log"], period)
        rows["reports"] += report_rows(code, rng, period, weak)
        rows["reports"] += scheduled_report_rows(
            code, contract, period, code in roles.get("unreported", ())
        )
        rows["finance"] += finance_rows(code, t, attain, rng, period, elapsed)
        rows["volunteers"] += volunteer_rows(code, t, attain, rng, elapsed)
        # the capped station's respondents are lukewarm: its satisfaction family alone falls
        # below its floor and caps a good total at 合格
        capped = code in roles.get("capped", ())
        rows["satisfaction"] += survey_rows(code, 0.0 if capped else quality, rng, period)
    frames = {k: pd.DataFrame(v).fillna("") for k, v in rows.items()}
    flawed = [c for c in roles.get("flawed", ()) if c in contract.stations]
    if flaws:
        for code in flawed:
            _flaw(frames, code)
    return frames


def write_registers(frames: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Write each register as CSV (the staff roster in GB18030, the others UTF-8 with BOM)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind, frame in frames.items():
        path = folder / f"{kind}.csv"
        frame.to_csv(path, index=False, encoding=ENCODING.get(kind, "utf-8-sig"))
        out[kind] = path
    return out


async def import_registers(
    round_id, frames: dict[str, pd.DataFrame], agency, evaluator, label: str
) -> None:
    """Store a contract's registers in a round through the services, as its people would:
    the agency imports the registers it keeps, the evaluator the survey. ``label`` begins
    each file's name (``<label>-服务台账.csv``)."""
    import tempfile

    from evaluator.evidence.registers import REGISTERS, SUPPLIERS
    from evaluator.services.registers import import_register

    with tempfile.TemporaryDirectory() as folder:
        for kind, path in write_registers(frames, Path(folder)).items():
            who = agency if SUPPLIERS[kind].agency_may_import else evaluator
            await import_register(
                who, round_id, kind, path, name=f"{label}-{REGISTERS[kind].zh}.csv"
            )
