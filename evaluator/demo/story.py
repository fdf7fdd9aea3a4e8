"""What happens to the demo county's registers and results after the first import, told
through the services so that it shows in the served demo (``make run``):

* the agency corrects a typo in its finance ledger after the evaluators began scoring: the
  new version waits for the lead, who accepts it (the figures do not change);
* the agency then tries to inflate a voucher in the same ledger: the lead
  rejects that version, with the reason;
* the agency tries to re-import the satisfaction survey with every rating at 5: refused,
  the survey is the evaluator's instrument;
* after approval, the agency appeals the timely-reporting leaf (A4.1, computed from the
  reports register) of its weakest station; the lead upholds it, the register's figure is
  overridden for that station and the total moves.

Each step returns one line for the start-up banner.
"""

from __future__ import annotations

import io
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd

from evaluator import clock
from evaluator.errors import PermissionDenied
from evaluator.services import appeals
from evaluator.services.actors import Actor
from evaluator.services.register_versions import accept_replacement, reject_replacement
from evaluator.services.registers import import_register
from evaluator.store.rounds import Round

APPEALED_LEAF = "A4.1"


def _csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue()


async def before_submission(
    round_: Round, registers: dict[str, pd.DataFrame], agency: Actor, lead: Actor
) -> list[str]:
    """The register replacements (after the evaluators' scores, before submission)."""
    lines = []
    finance = registers["finance"].copy()
    with tempfile.TemporaryDirectory() as folder:
        typo = finance.copy()
        typo.loc[typo.index[0], "凭证号"] = f"{typo.loc[typo.index[0], '凭证号']}-更正"
        path = Path(folder) / "finance-v2.csv"
        path.write_text(_csv(typo), encoding="utf-8")
        first = await import_register(
            agency, round_.id, "finance", path, name="支出台账-更正凭证号.csv"
        )
        await accept_replacement(
            lead, round_.id, "finance", first.record.id, "凭证号录入错误，已核对原始凭证"
        )
        lines.append(
            "finance ledger replaced by the agency, accepted by the lead 支出台账更正：主评估员已接受"
        )
        inflated = typo.copy()
        row = inflated.index[0]  # one voucher doubled, to the fen
        inflated.loc[row, "金额（元）"] = str(Decimal(str(inflated.loc[row, "金额（元）"])) * 2)
        path = Path(folder) / "finance-v3.csv"
        path.write_text(_csv(inflated), encoding="utf-8")
        second = await import_register(agency, round_.id, "finance", path, name="支出台账-调整.csv")
        await reject_replacement(
            lead,
            round_.id,
            "finance",
            second.record.id,
            "金额与原始凭证不符 amounts do not match the vouchers",
        )
        lines.append(
            "finance ledger with inflated amounts, rejected by the lead 支出台账金额不符：主评估员已拒绝"
        )
        survey = registers["satisfaction"].copy()
        for column in ("总体满意度", "服务态度", "专业能力", "服务及时性", "服务效果"):
            survey[column] = 5
        path = Path(folder) / "satisfaction.csv"
        path.write_text(_csv(survey), encoding="utf-8")
        try:
            await import_register(agency, round_.id, "satisfaction", path, name="满意度-全5分.csv")
        except PermissionDenied:
            lines.append(
                "satisfaction survey re-imported by the agency (all 5s): refused 承接机构重导满意度调查：已拒绝"
            )
    return lines


async def after_approval(round_: Round, station: str, agency: Actor, lead: Actor) -> list[str]:
    """The agency appeals a register-computed leaf of ``station``; the lead upholds it."""
    round_ = await Round.get(id=round_.id)
    with clock.pinned(round_.appeal_until):
        appeal = await appeals.submit_appeal(
            agency,
            round_.id,
            station,
            [APPEALED_LEAF],
            "9 月报表已按时报送，报送回执为证 the September report was on time (receipt attached)",
        )
        await appeals.decide_appeal(
            lead,
            appeal.id,
            uphold=True,
            answer="核实报送回执，确认全部按时 receipts checked: every report on time",
            rescored={APPEALED_LEAF: 1.0},
            expected_version=appeal.version,
        )
    return [
        f"appeal on {station} {APPEALED_LEAF} (a register-computed leaf) upheld by the lead "
        f"{station} {APPEALED_LEAF} 申诉成立：以主评估员核定值替代台账计算值"
    ]
