"""Indicator-system versions: validated on upload, stored by content hash, immutable."""

from __future__ import annotations

import json

from tortoise.transactions import in_transaction

from evaluator.canonical import canonical_json
from evaluator.errors import Problem, StoredSystemAltered
from evaluator.services import audit
from evaluator.services.actors import Actor, require
from evaluator.store.base import Role
from evaluator.store.rounds import SystemVersion
from evaluator.systems import IndicatorSystem, parse_system
from evaluator.systems.model import system_from_canonical

_CACHE: dict[str, IndicatorSystem] = {}


async def register_system(actor: Actor, text: str, file: str = "system.yaml") -> SystemVersion:
    """Validate a system (SystemInvalid with every located problem) and store it; the same
    content uploaded again returns the version already stored."""
    require(
        actor.is_admin or actor.has(Role.LEAD_EVALUATOR) or actor.has(Role.BUREAU_OFFICER),
        "only an administrator, a lead evaluator or a bureau officer may upload indicator systems",
        "仅管理员、主评估员或民政局可上传指标体系",
    )
    system = parse_system(text, file)
    existing = await SystemVersion.get_or_none(content_hash=system.content_hash)
    if existing is not None:
        return existing
    canonical = canonical_json(system.canonical())
    async with in_transaction() as conn:
        version = await SystemVersion.create(
            system_code=system.id,
            version=system.version,
            content_hash=system.content_hash,
            name_zh=system.name.zh,
            name_en=system.name.en,
            unit=system.unit,
            canonical=canonical,
            source=text,
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "system.register",
            "system_version",
            version.id,
            None,
            {"hash": system.content_hash, "id": system.id, "version": system.version},
            connection=conn,
        )
    _CACHE[system.content_hash] = system
    return version


async def system_of(version: SystemVersion) -> IndicatorSystem:
    """The engine's system for a stored version; refuses one whose content no longer
    matches its hash."""
    cached = _CACHE.get(version.content_hash)
    if cached is not None:
        return cached
    system = system_from_canonical(
        json.loads(version.canonical), source=f"{version.system_code}@{version.version}"
    )
    if system.content_hash != version.content_hash:
        raise StoredSystemAltered(
            Problem(
                f"stored system {version.system_code} {version.version} no longer matches its hash {version.content_hash}",
                f"已存储的指标体系 {version.system_code} {version.version} 与其哈希不符",
            )
        )
    _CACHE[version.content_hash] = system
    return system
