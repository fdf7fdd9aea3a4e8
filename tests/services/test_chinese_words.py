"""No Chinese text of the stored demo county shows an English code: its findings'
and recommendations' explanations, its tranches' status, trigger and blocking conditions,
and the refusals a tranche or a finding gives in a state that does not allow the act."""

from __future__ import annotations

import datetime as dt
import re

from evaluator.decisions import words
from evaluator.demo.load import load_demo
from evaluator.demo.scoring import run_demo
from evaluator.errors import EvaluatorError, StateError, TooEarly
from evaluator.services import findings, tranches
from evaluator.services.actors import Actor, actor_for
from evaluator.store.contracts import Contract
from evaluator.store.decisions import Decision, Finding
from evaluator.store.orgs import User

CODE_WORDS = {
    code
    for table in (
        words.FINDING_STATE_ZH,
        words.TRANCHE_ZH,
        words.TRIGGER_ZH,
        words.ROUND_KIND_ZH,
        words.ROUND_STATE_ZH,
        words.REGISTER_VERSION_ZH,
        words.EVIDENCE_ZH,
        words.SEVERITY_ZH,
        words.OUTCOME_ZH,
    )
    for code in table
}


def english_codes(zh: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z_][A-Za-z_-]*", zh) if w in CODE_WORDS}


def _refusal_texts(error: EvaluatorError) -> list[str]:
    return [p.zh for p in error.problems]


async def test_no_chinese_text_of_the_demo_shows_a_code(db):
    await load_demo(run_demo(None))
    texts: list[tuple[str, str]] = []
    texts += [(f"finding {f.rule} {f.unit}", f.explanation_zh) for f in await Finding.all()]
    texts += [(f"decision {d.id}", d.explanation_zh) for d in await Decision.all()]
    refused = 0
    for contract in await Contract.all():
        for t in await tranches.tranches_of(contract):
            said = t.words()
            texts += [(f"{contract.code} {t.code}", str(said["status_zh"]))]
            texts += [(f"{contract.code} {t.code}", str(said["trigger_zh"]))]
            texts += [(f"{contract.code} {t.code}", b) for b in said["blocked_by_zh"]]
            if t.status in ("withheld", "scheduled", "released"):
                try:
                    await tranches.release(Actor.system(), contract.id, t.code)
                except (StateError, TooEarly) as error:
                    texts += [(f"release {t.code}", z) for z in _refusal_texts(error)]
                    refused += 1
    corrective = (
        await Finding.filter(deadline_working_days__isnull=False).order_by("opened_on").first()
    )
    assert corrective is not None
    await Finding.filter(id=corrective.id).update(state="closed")  # a finding already closed
    finished = await Finding.filter(
        state__in=["closed", "escalated"], deadline_working_days__isnull=False
    )
    bureau = await actor_for(await User.get(username="bureau"))
    stated = 0
    for f in finished:
        try:
            await findings.override_deadline(bureau, f.id, dt.date(2027, 3, 1), "停电", f.version)
        except StateError as error:
            texts += [(f"deadline {f.rule}", z) for z in _refusal_texts(error)]
            stated += 1
    assert refused > 0 and stated > 0 and len(texts) > 20
    shown = {(where, text): english_codes(text) for where, text in texts}
    assert {k: v for k, v in shown.items() if v} == {}
