"""A payment application (拨付申请): the agency applies for one tranche in writing, citing
its vouchers (凭证), and the buying bureau pays against it. Pure: the states and the
validation of the vouchers.

States: ``submitted`` (the agency applied) → ``released`` (the bureau released the tranche
against it, in the same transaction as the release) or ``returned`` (the bureau sent it
back with a reason: the agency may apply again) or ``withdrawn`` (the agency took it back
before the bureau decided). ``submitted`` and ``released`` are *live*: at most one live
application per contract and tranche (the database holds ``live_key``, unique).

A voucher is a kind from :data:`VOUCHER_KINDS` (each with its Chinese word), a reference
(an invoice number, a document's title and date…) and, optionally, the id of an evidence
file already uploaded to one of the contract's rounds (the evaluation result, a roster).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.decisions.words import APPLICATION_ZH, VOUCHER_ZH
from evaluator.errors import InvalidInput, Problem

STATES = tuple(APPLICATION_ZH)  # submitted released returned withdrawn
LIVE = ("submitted", "released")
VOUCHER_KINDS = tuple(VOUCHER_ZH)
MAX_VOUCHERS = 50
MAX_REFERENCE = 200
MAX_TEXT = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Voucher:
    kind: str
    reference: str
    evidence: str | None = None  # an EvidenceFile id (of one of the contract's rounds)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "reference": self.reference, "evidence": self.evidence}


def live_key(contract_id: object, code: str) -> str:
    """The value of ``live_key`` while an application is live: one per contract and tranche."""
    return f"{contract_id}:{code}"


def _text_problems(value: object, path: str, *, required: bool, limit: int) -> list[Problem]:
    if not isinstance(value, str) or (required and not value.strip()):
        return [Problem("must be a non-empty text", "须填写（不能为空）", path=path)]
    if len(value) > limit:
        return [Problem(f"at most {limit} characters", f"不超过 {limit} 个字符", path=path)]
    if _CONTROL.search(value):
        return [Problem("must not contain control characters", "不得包含控制字符", path=path)]
    return []


def vouchers_from(items: object) -> list[Voucher]:
    """The vouchers of an application, every problem at once (``vouchers[i].kind`` …): at
    least one, at most :data:`MAX_VOUCHERS`, each with a known kind and a reference."""
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise InvalidInput(
            Problem(
                "an application needs at least one voucher (an invoice, the evaluation "
                "result, the staff roster…)",
                "拨付申请须附至少一项凭证（发票、评估结果、人员名册等）",
                path="vouchers",
            )
        )
    if len(items) > MAX_VOUCHERS:
        raise InvalidInput(
            Problem(
                f"at most {MAX_VOUCHERS} vouchers", f"凭证不超过 {MAX_VOUCHERS} 项", path="vouchers"
            )
        )
    problems: list[Problem] = []
    out: list[Voucher] = []
    for i, item in enumerate(items):
        where = f"vouchers[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem("must be an object", "须为对象", path=where))
            continue
        kind, reference, evidence = item.get("kind"), item.get("reference"), item.get("evidence")
        if kind not in VOUCHER_KINDS:
            problems.append(
                Problem(
                    f"kind must be one of {', '.join(VOUCHER_KINDS)}",
                    "凭证类别须为 "
                    + "、".join(f"{k}（{VOUCHER_ZH[k]}）" for k in VOUCHER_KINDS)
                    + " 之一",
                    path=f"{where}.kind",
                )
            )
        problems += _text_problems(
            reference, f"{where}.reference", required=True, limit=MAX_REFERENCE
        )
        if evidence is not None and not isinstance(evidence, str):
            problems.append(
                Problem("must be an evidence file id", "须为佐证材料编号", path=f"{where}.evidence")
            )
        out.append(Voucher(str(kind), str(reference).strip(), evidence or None))
    if problems:
        raise InvalidInput(problems)
    return out


def check_note(note: object, path: str = "note", *, required: bool = False) -> str:
    """A free text (an application's note, a return's reason): at most :data:`MAX_TEXT`
    characters, no control characters; ``required``: not blank."""
    if required and (not isinstance(note, str) or not note.strip()):
        raise InvalidInput(Problem("the reason is required", "须说明理由", path=path))
    problems = _text_problems(note, path, required=required, limit=MAX_TEXT)
    if problems:
        raise InvalidInput(problems)
    return str(note).strip()
