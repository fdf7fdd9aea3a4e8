"""Every code a person reads has its Chinese word (evaluator/decisions/words.py), and no
Chinese text of the stored demo county — its findings, recommendations, tranches, and the
refusals a state gives — shows an English code ("状态为 withheld")."""

from __future__ import annotations

import re
import typing

import pytest

from evaluator.decisions.deviations import SEVERITY_ZH
from evaluator.decisions.recommend import OUTCOME_ZH
from evaluator.decisions.rectification import STATES
from evaluator.decisions.tranches import TRIGGERS, Tranche
from evaluator.decisions.words import (
    APPLICATION_ZH,
    EVIDENCE_ZH,
    FINDING_STATE_ZH,
    REGISTER_VERSION_ZH,
    ROUND_KIND_ZH,
    ROUND_STATE_ZH,
    TRANCHE_ZH,
    TRIGGER_EN,
    TRIGGER_ZH,
    blocked_by_en,
    blocked_by_zh,
)
from evaluator.server.api.tranches import ApplicationOut, TrancheOut
from evaluator.services import registers
from evaluator.store.base import ReviewStatus, RoundKind, RoundState

VOCABULARIES = {
    "finding state": (FINDING_STATE_ZH, set(STATES)),
    "tranche status": (
        TRANCHE_ZH,
        set(typing.get_args(TrancheOut.model_fields["status"].annotation)),
    ),
    "trigger": (TRIGGER_ZH, set(TRIGGERS)),
    "payment application state": (
        APPLICATION_ZH,
        set(typing.get_args(ApplicationOut.model_fields["state"].annotation)),
    ),
    "round kind": (ROUND_KIND_ZH, {k.value for k in RoundKind}),
    "round state": (ROUND_STATE_ZH, {s.value for s in RoundState}),
    "register version": (
        REGISTER_VERSION_ZH,
        {
            registers.IN_FORCE,
            registers.REPLACED,
            registers.PENDING,
            registers.REJECTED,
            registers.RECTIFICATION,
        },
    ),
    "evidence review": (EVIDENCE_ZH, {s.value for s in ReviewStatus} | {"none"}),
    "severity": (SEVERITY_ZH, {"observation", "correction", "suspension", "termination"}),
    "outcome": (OUTCOME_ZH, {"renew", "conditional", "rebid"}),
}
CODE_WORDS = set().union(*(codes for _, codes in VOCABULARIES.values())) | set(TRIGGERS)
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z_][A-Za-z_-]*")


def english_codes(zh: str) -> set[str]:
    """The English code words a Chinese text shows."""
    return {w for w in ASCII_WORD.findall(zh) if w in CODE_WORDS}


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_every_code_has_a_chinese_word(name):
    words, codes = VOCABULARIES[name]
    assert set(words) == codes, name
    assert all(CJK.search(w) for w in words.values()), name
    assert len(set(words.values())) == len(words), f"{name}: two codes share a word"


def test_triggers_have_english_words_too():
    assert set(TRIGGER_EN) == set(TRIGGERS)


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("mid_term_passed:failed", "中期评估未通过", "mid-term not passed"),
        ("final_passed:failed", "末期评估未通过", "final not passed"),
        ("suspension V1 @ ST03", "ST03 未结的暂缓问题（V1）", "open suspension finding V1 at ST03"),
        (
            "termination D-C1 @ ST01",
            "ST01 未结的停止问题（D-C1）",
            "open termination finding D-C1 at ST01",
        ),
    ],
)
def test_blocking_conditions_in_words(code, zh, en):
    assert blocked_by_zh(code) == zh and blocked_by_en(code) == en
    assert not english_codes(zh)


def test_a_tranches_words():
    t = Tranche(
        code="T2",
        share_bp=3000,
        amount_fen=1,
        trigger="mid_term_passed",
        status="withheld",
        blocked_by=("mid_term_passed:failed", "suspension V1 @ ST03"),
    )
    words = t.words()
    assert words["status_zh"] == "暂缓" and words["trigger_zh"] == "中期评估通过"
    assert words["blocked_by_zh"] == ["中期评估未通过", "ST03 未结的暂缓问题（V1）"]
    assert words["blocked_by"] == ["mid_term_passed:failed", "suspension V1 @ ST03"]


def test_the_scan_finds_a_code():
    assert english_codes("第 T2 期款项状态为 withheld，不可拨付") == {"withheld"}
    assert english_codes("ST01 的 A1.4 未达标（V1）") == set()


def test_pages_say_a_blocking_condition_in_the_pages_language():
    from evaluator.server.web.render import _word

    assert _word("zh", "block", "mid_term_passed:failed") == "中期评估未通过"
    assert _word("en", "block", "suspension V1 @ ST03") == "open suspension finding V1 at ST03"


def test_every_role_has_its_word():
    """The pages name a person's roles in words (角色：评估员), never by code."""
    from evaluator.decisions.words import ROLE_ZH
    from evaluator.store.base import Role

    assert set(ROLE_ZH) == {r.value for r in Role}
    assert all(CJK.search(word) and not ASCII_WORD.search(word) for word in ROLE_ZH.values())
