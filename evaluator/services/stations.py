"""The stations of a bureau: created with a code that follows the register code rule and
is unique without case or width, and a name that is not blank; audited."""

from __future__ import annotations

import unicodedata

from tortoise.transactions import in_transaction

from evaluator.errors import InvalidInput, Problem
from evaluator.evidence.values import CODE
from evaluator.services import audit
from evaluator.services.actors import Actor, get_organisation, require
from evaluator.store.base import OrgKind, Role
from evaluator.store.contracts import Station
from evaluator.store.db import unique_or_exists
from evaluator.store.orgs import Organisation, Region
from evaluator.tables.cells import code_key, normal


async def create_station(
    actor: Actor, bureau: Organisation, code: str, name: str, township: Region | None = None
) -> Station:
    """A station of a bureau. The code follows the register code rule (letters, digits and
    ``- _ . /``; full-width forms folded, spaces trimmed) and is unique compared without
    case or width (``st01`` and ``ＳＴ０１`` are ``ST01``, also under a race: the database's
    unique ``code_key``); the name is not blank."""
    require(
        actor.is_admin or actor.has(Role.BUREAU_OFFICER, bureau.id),
        "only the bureau or an administrator may add its stations",
        "仅本局或管理员可新增社工站",
    )
    code, name = _station_code(code), _station_name(name)
    if bureau.kind != OrgKind.BUREAU:
        raise InvalidInput(
            Problem("a station belongs to a bureau", "社工站须隶属于民政局", path="bureau")
        )
    with unique_or_exists(
        f"a station with code {code} already exists", f"编码为 {code} 的社工站已存在"
    ):
        async with in_transaction() as conn:
            station = await Station.create(
                code=code,
                code_key=code_key(code),
                name=name,
                bureau=bureau,
                township=township,
                using_db=conn,
            )
            await audit.record(
                actor.username,
                "station.create",
                "station",
                station.id,
                None,
                {"code": code, "name": name, "bureau": str(bureau.id)},
                connection=conn,
            )
    return station


STATION_CODE_MAX = 40


def _station_code(text: str) -> str:
    """The code as stored: as a register cell reads it (full-width folded, trimmed); the
    register code rule."""
    code = normal(text)
    if not code:
        raise InvalidInput(Problem("the station code is blank", "社工站编码为空", path="code"))
    if not CODE.fullmatch(code) or len(code) > STATION_CODE_MAX:
        raise InvalidInput(
            Problem(
                f"{text!r} is not a station code: letters, digits and - _ . / only, starting "
                f"with a letter or digit, at most {STATION_CODE_MAX} (e.g. ST01)",
                f"{text!r} 不是有效的社工站编码：只能使用字母、数字和 - _ . /，以字母或数字开头，"
                f"最多 {STATION_CODE_MAX} 个字符（例如 ST01）",
                path="code",
            )
        )
    return code


def _station_name(text: str) -> str:
    """The name trimmed: not blank, no control characters, at most 200 characters."""
    name = text.strip()
    if not name:
        raise InvalidInput(Problem("the station name is blank", "社工站名称为空", path="name"))
    if any(unicodedata.category(ch) == "Cc" for ch in name) or len(name) > 200:
        raise InvalidInput(
            Problem(
                "the station name must be one line of at most 200 characters",
                "社工站名称须为一行，最多 200 个字符",
                path="name",
            )
        )
    return name


async def add_station(actor: Actor, *, bureau_id, code: str, name: str) -> Station:
    """``create_station`` with the bureau named by id (looked up in the actor's scope)."""
    return await create_station(actor, await get_organisation(actor, bureau_id), code, name)
