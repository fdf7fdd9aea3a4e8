"""The offline scoring workbook (docs/raters.md, "Offline"), its export: a rater's blank or
half-filled 评分表 for a round. The rater themselves, or the round's lead or an
administrator for a rater of the round; the stamp (round, system hash, rater, each value's
version at export) is written into the workbook and its sha256 kept (``WorkbookExport``),
audited. Importing it back: ``services.workbook_import``."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from tortoise.transactions import in_transaction

from evaluator import clock
from evaluator.canonical import canonical_json
from evaluator.errors import InvalidInput, NotFound, Problem
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    actor_for,
    assignment_role,
    check_writable,
    get_round,
    require,
)
from evaluator.services.round_inputs import system_of_round
from evaluator.services.scoring_form import scoring_form, scoring_progress
from evaluator.store.base import Role
from evaluator.store.orgs import User
from evaluator.store.rounds import SystemVersion, WorkbookExport

MAX_BYTES = 20 * 1024 * 1024
FIELDS = ("value", "target", "n", "comment")


def slot_key(unit: str, leaf: str, item: str) -> str:
    return f"{unit}/{leaf}/{item}"


async def export_document(actor: Actor, round_id, rater: str | None = None) -> dict[str, Any]:
    """What a rater's workbook holds (``reporting.workbooks.offline`` writes it): the
    stations' scoring forms, the stamp (its sha256 kept and the export audited), the round
    and the system for the footer, and a file name."""
    round_ = await get_round(actor, round_id)
    username = rater or actor.username
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(Problem(f"no user {username}", f"没有用户 {username}", path="rater"))
    rater_actor = await actor_for(user)
    if username == actor.username:
        require(
            await assignment_role(actor, round_) is not None,
            "only the round's raters have a scoring workbook",
            "仅本轮评估员有评分表",
        )
    else:
        require(
            actor.is_admin or await assignment_role(actor, round_) == Role.LEAD_EVALUATOR,
            "only the round's lead evaluator exports another rater's workbook",
            "仅本轮主评估员可导出其他评估员的评分表",
        )
    if await assignment_role(rater_actor, round_) is None:
        raise InvalidInput(
            Problem(
                f"{username} does not score this round", f"{username} 不是本轮评估员", path="rater"
            )
        )
    check_writable(round_)
    forms = [
        await scoring_form(rater_actor, round_.id, station["code"])
        for station in await scoring_progress(rater_actor, round_.id)
    ]
    version = await SystemVersion.get(id=round_.system_id)
    system = await system_of_round(round_)
    versions = {}
    for form in forms:
        for family in form["families"]:
            for leaf in family["leaves"]:
                for slot_doc, item in (
                    [(it, it["code"]) for it in leaf["checklist"]]
                    if leaf["checklist"]
                    else [(leaf, "")]
                ):
                    versions[slot_key(form["unit"], leaf["code"], item)] = slot_doc["version"]
    export_id = uuid.uuid4()
    stamp = {
        "export": str(export_id),
        "round": str(round_.id),
        "system": version.content_hash,
        "rater": username,
        "exported_at": clock.now().isoformat(timespec="seconds"),
        "versions": versions,
    }
    text = canonical_json(stamp)
    info = {"kind": round_.kind.value, "as_of": round_.as_of.isoformat(), "id": str(round_.id)}
    sysdoc = {"id": system.id, "version": system.version, "hash": version.content_hash}
    async with in_transaction() as conn:
        await WorkbookExport.create(
            id=export_id,
            round=round_,
            rater=user,
            stamp_sha256=hashlib.sha256(text.encode()).hexdigest(),
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "workbook.export",
            "round",
            round_.id,
            None,
            {"rater": username, "export": str(export_id), "stations": len(forms)},
            connection=conn,
        )
    return {
        "forms": forms,
        "stamp": stamp,
        "round": info,
        "system": sysdoc,
        "file_name": f"评分表-{round_.as_of.isoformat()}-{username}.xlsx",
    }
