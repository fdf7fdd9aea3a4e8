"""Evidence files: streamed to disk, stored by content hash under EVIDENCE_DIR, reviewed.

No client-supplied name ever reaches the file system: a file is stored at
``EVIDENCE_DIR/ab/cd/<sha256>``; its original name is only data.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise.transactions import in_transaction

from evaluator import clock, settings
from evaluator.decisions.rectification import OPEN_STATES
from evaluator.errors import InvalidInput, NotFound, Problem, TooLarge
from evaluator.evidence import photos
from evaluator.services import audit
from evaluator.services.actors import (
    Actor,
    assignment_role,
    check_writable,
    get_station,
    may_see_scores,
    require,
    round_scope,
)
from evaluator.services.calendars import appeal_deadline
from evaluator.services.reviews import record_review
from evaluator.store.base import ReviewStatus, Role, RoundState
from evaluator.store.contracts import Contract, Station
from evaluator.store.decisions import Finding
from evaluator.store.rounds import EvidenceFile, Round


def evidence_dir() -> Path:
    """``EVIDENCE_DIR`` (settings)."""
    return settings.get().evidence_dir


def allowed_types() -> frozenset[str]:
    """The media types accepted as evidence: ``EVIDENCE_TYPES`` (settings)."""
    return settings.get().evidence_types


def max_bytes() -> int:
    """The size limit of an evidence file: ``EVIDENCE_MAX_BYTES`` (settings)."""
    return settings.get().evidence_max_bytes


def stored_path(sha256: str) -> Path:
    return evidence_dir() / sha256[:2] / sha256[2:4] / sha256


async def _chunks(data: bytes | Iterable[bytes] | AsyncIterable[bytes]):
    if isinstance(data, bytes | bytearray):
        yield bytes(data)
    elif hasattr(data, "__aiter__"):
        async for chunk in data:
            yield chunk
    else:
        for chunk in data:
            yield chunk


@asynccontextmanager
async def spooled(
    data: bytes | Iterable[bytes] | AsyncIterable[bytes], limit: int, *, suffix: str = ""
) -> AsyncIterator[tuple[Path, int, str]]:
    """Stream an upload to a temporary file under EVIDENCE_DIR while hashing it (TooLarge
    beyond ``limit`` bytes); yields (path, size, sha256) and removes the file afterwards
    unless it was moved into place."""
    root = evidence_dir()
    root.mkdir(parents=True, exist_ok=True)
    hasher, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=suffix, dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in _chunks(data):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(
                        Problem(
                            f"the file is larger than {limit} bytes",
                            f"文件超过 {limit} 字节上限",
                            path="file",
                        )
                    )
                hasher.update(chunk)
                out.write(chunk)
        yield Path(tmp), size, hasher.hexdigest()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


async def attach_evidence(
    actor: Actor,
    round_id,
    original_name: str,
    media_type: str,
    data: bytes | Iterable[bytes] | AsyncIterable[bytes],
    *,
    station: Station | None = None,
    station_id=None,
) -> EvidenceFile:
    """Stream a file to a temporary file while hashing it, then move it into place.
    ``station_id`` names the station (looked up in the actor's scope) when ``station`` is not given."""
    round_ = await round_scope(actor).filter(id=round_id).first()
    if round_ is None:
        raise NotFound(Problem(f"no round {round_id}", f"未找到评估轮次 {round_id}"))
    if station is None and station_id is not None:
        station = await get_station(actor, station_id)
    contract = await Contract.get(id=round_.contract_id)
    require(
        await assignment_role(actor, round_) is not None
        or actor.has(Role.AGENCY_USER, contract.agency_id)
        or actor.is_admin,
        "only the round's evaluators or the agency may upload evidence",
        "仅本轮评估员或承接机构可上传佐证材料",
    )
    agency = actor.has(Role.AGENCY_USER, contract.agency_id)
    if not (agency and await open_after_approval(round_)):  # rectification or appeal evidence
        check_writable(round_)
    photo = media_type in photos.HEIF_TYPES and "image/jpeg" in allowed_types()
    if media_type not in allowed_types() and not photo:
        raise InvalidInput(
            Problem(
                f"files of type {media_type} are not accepted",
                f"不接受 {media_type} 类型的文件",
                path="media_type",
            )
        )
    async with spooled(data, max_bytes()) as (tmp, size, sha):
        if size == 0:
            raise InvalidInput(Problem("the file is empty", "文件为空", path="file"))
        converted = None
        if photo:  # a phone's HEIC photo is stored as the JPEG every reader can open
            converted = {"media_type": media_type, "sha256": sha, "size": size}
            tmp, size, sha = await _as_jpeg(tmp)
            media_type = "image/jpeg"
            original_name = photos.jpeg_name(original_name)
        try:
            target = stored_path(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.replace(tmp, target)
        finally:
            if converted and tmp.exists():
                tmp.unlink()
    name = Path(original_name.replace("\\", "/")).name[:255] or "file"
    async with in_transaction() as conn:
        record = await EvidenceFile.create(
            round=round_,
            station=station,
            uploaded_by_id=actor.user_id,
            original_name=name,
            media_type=media_type,
            size=size,
            sha256=sha,
            using_db=conn,
        )
        await audit.record(
            actor.username,
            "evidence.attach",
            "evidence",
            record.id,
            None,
            {
                "round": str(round_.id),
                "name": name,
                "sha256": sha,
                "size": size,
                "media_type": media_type,
            }
            | ({"converted_from": converted} if converted else {}),
            connection=conn,
        )
    return record


async def _as_jpeg(source: Path) -> tuple[Path, int, str]:
    """The HEIF photo at ``source`` converted to a JPEG beside it, off the event loop:
    (path, size, sha256)."""
    fd, name = tempfile.mkstemp(prefix=".photo-", suffix=".jpg", dir=source.parent)
    os.close(fd)
    target = Path(name)
    try:
        await asyncio.to_thread(photos.heif_to_jpeg, source, target)
        data = target.read_bytes()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, len(data), hashlib.sha256(data).hexdigest()


async def open_after_approval(round_) -> bool:
    """An approved round still takes the agency's evidence files while it has open findings
    (rectification evidence) or while its appeal window is open (evidence for an appeal);
    scores stay locked."""
    if round_.state != RoundState.APPROVED:
        return False
    if await Finding.filter(round_id=round_.id, state__in=list(OPEN_STATES)).exists():
        return True
    return clock.today() <= await appeal_deadline(round_)


async def round_files(round_: Round, ids: Sequence[object]) -> list[EvidenceFile | None]:
    """The evidence files of ``round_`` that ``ids`` name, in the same order: ``None`` for an
    id that names no file of the round (or is no id at all). The one lookup behind every
    "name evidence of this round" (appeals, rectification, citations)."""
    wanted: list[uuid.UUID | None] = []
    for text in ids:
        try:
            wanted.append(uuid.UUID(str(text)))
        except ValueError:
            wanted.append(None)
    known = [w for w in wanted if w is not None]
    found = (
        {
            f.id: f
            for f in await EvidenceFile.filter(id__in=known, round_id=round_.id).prefetch_related(
                "station"
            )
        }
        if known
        else {}
    )
    return [found.get(w) if w is not None else None for w in wanted]


def no_such_file(text: object, path: str) -> Problem:
    return Problem(f"no evidence {text} in this round", f"本轮次中没有佐证材料 {text}", path=path)


async def require_round_files(round_: Round, ids: Sequence[str]) -> list[EvidenceFile]:
    """The files ``ids`` name, every one a file of ``round_`` (InvalidInput at
    ``evidence[i]`` for each one that is not)."""
    files = await round_files(round_, ids)
    problems = [
        no_such_file(text, f"evidence[{i}]")
        for i, (text, file) in enumerate(zip(ids, files, strict=True))
        if file is None
    ]
    if problems:
        raise InvalidInput(problems)
    return files


async def review_evidence(
    actor: Actor, evidence_id, status: ReviewStatus, comment: str, expected_version: int
) -> EvidenceFile:
    """An evaluator marks evidence accepted / rejected / insufficient, with a comment."""
    record = await EvidenceFile.get_or_none(id=evidence_id)
    round_ = await round_scope(actor).filter(id=record.round_id).first() if record else None
    if record is None or round_ is None:
        raise NotFound(Problem(f"no evidence {evidence_id}", f"未找到佐证材料 {evidence_id}"))
    require(
        await assignment_role(actor, round_) is not None or actor.is_admin,
        "only the round's evaluators may review evidence",
        "仅本轮评估员可审核佐证材料",
    )
    check_writable(round_)
    return await record_review(
        actor,
        record,
        comment_field="review_comment",
        status=status,
        comment=comment,
        expected_version=expected_version,
        action="evidence.review",
        changed=Problem("the evidence changed since you read it", "佐证材料已被他人修改"),
    )


async def read_evidence(actor: Actor, evidence_id) -> tuple[EvidenceFile, Path]:
    """The record and the stored file, if the actor may see the round's evidence."""
    record = await EvidenceFile.get_or_none(id=evidence_id)
    round_ = await round_scope(actor).filter(id=record.round_id).first() if record else None
    if record is None or round_ is None or not await may_see_scores(actor, round_):
        raise NotFound(Problem(f"no evidence {evidence_id}", f"未找到佐证材料 {evidence_id}"))
    return record, stored_path(record.sha256)
