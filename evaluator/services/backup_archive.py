"""The backup archive as a file: written member by member, each hashed on the way, the
manifest last (:class:`ArchiveWriter`); opened for a restore, checked whole — every member
present with the size and sha256 the manifest gives — then read row by row
(:class:`Archive`). The format itself is :mod:`evaluator.services.backup_format`."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evaluator.errors import BackupUnusable
from evaluator.services.backup_format import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    Manifest,
    Member,
    StoredFile,
    Table,
    problem,
    unusable,
)

CHUNK = 1 << 20


# -- writing -----------------------------------------------------------------------------------
class _Hashing(io.RawIOBase):
    """Counts and hashes what passes through to ``target``."""

    def __init__(self, target) -> None:
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


class ArchiveWriter:
    """Members written one after another, each hashed on the way; the manifest last."""

    def __init__(self, path: Path, when: dt.datetime) -> None:
        self.path = path
        self.when = when.timetuple()[:6]
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.members: dict[str, Member] = {}
        self._open: tuple[str, Any, _Hashing] | None = None

    def _info(self, name: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.when)
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def begin(self, name: str) -> None:
        stream = self.zip.open(self._info(name, zipfile.ZIP_DEFLATED), "w", force_zip64=True)
        self._open = (name, stream, _Hashing(stream))

    def write(self, data: bytes) -> None:
        assert self._open is not None
        self._open[2].write(data)

    def end(self) -> Member:
        assert self._open is not None
        name, stream, hashing = self._open
        stream.close()
        self._open = None
        member = self.members[name] = Member(sha256=hashing.sha.hexdigest(), size=hashing.size)
        return member

    def add_file(self, name: str, source: Path) -> Member:
        """A stored file, copied in as it is (compressed files gain nothing from deflate)."""
        with (
            source.open("rb") as src,
            self.zip.open(self._info(name, zipfile.ZIP_STORED), "w", force_zip64=True) as out,
        ):
            hashing = _Hashing(out)
            while chunk := src.read(CHUNK):
                hashing.write(chunk)
        member = self.members[name] = Member(sha256=hashing.sha.hexdigest(), size=hashing.size)
        return member

    def finish(self, manifest: Manifest) -> None:
        text = json.dumps(manifest.model_dump(), ensure_ascii=False, indent=1) + "\n"
        self.zip.writestr(self._info(MANIFEST, zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        self.zip.close()

    def abandon(self) -> None:
        """Close what is open after a failure (the caller removes the file)."""
        with contextlib.suppress(Exception):
            if self._open is not None:
                self._open[1].close()
                self._open = None
            self.zip.close()


# -- reading -----------------------------------------------------------------------------------
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError)  # reading the archive


class Archive:
    """A backup archive opened for restoring: :meth:`check` it whole first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise unusable(path, "no such file", "文件不存在")
        try:
            self.zip = zipfile.ZipFile(path)
        except _DAMAGE as exc:
            raise unusable(
                path,
                f"not a readable zip archive, or truncated ({exc})",
                f"不是可读取的 zip 文件，或文件不完整（{exc}）",
            ) from None
        try:
            self.manifest = self._read_manifest()
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _damaged(self, member: str, exc: BaseException) -> BackupUnusable:
        return unusable(
            self.path,
            f"the member cannot be read: it is damaged ({type(exc).__name__}: {exc})",
            f"无法读取该成员，文件已损坏（{type(exc).__name__}：{exc}）",
            member,
        )

    def _read_manifest(self) -> Manifest:
        path = self.path
        try:
            data = self.zip.read(MANIFEST)
        except KeyError:
            raise unusable(
                path,
                f"{MANIFEST} is missing: not an evaluator backup, or a damaged one",
                f"缺少 {MANIFEST}：不是 evaluator 备份文件，或文件已损坏",
            ) from None
        except _DAMAGE as exc:
            raise self._damaged(MANIFEST, exc) from None
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise unusable(
                path,
                f"the manifest is not readable JSON ({exc})",
                f"清单不是可读取的 JSON（{exc}）",
                MANIFEST,
            ) from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise unusable(
                path,
                f"not an evaluator backup (the manifest does not name the format {FORMAT!r})",
                f"不是 evaluator 备份文件（清单未注明格式 {FORMAT!r}）",
                MANIFEST,
            )
        version = raw.get("format_version")
        if version != FORMAT_VERSION:
            raise unusable(
                path,
                f"archive format version {version!r} is not one this version of evaluator "
                f"reads (it reads version {FORMAT_VERSION}); restore with the version that "
                "wrote it, or a newer one",
                f"本版本 evaluator 无法读取第 {version!r} 版备份格式（只能读取第 {FORMAT_VERSION} 版）；"
                "请使用写出该备份的版本或更新的版本恢复",
                MANIFEST,
            )
        try:
            manifest = Manifest.model_validate(raw)
        except ValidationError as exc:
            raise BackupUnusable(
                [
                    problem(
                        path,
                        f"manifest {'.'.join(str(p) for p in e['loc'])}: {e['msg']}",
                        f"清单 {'.'.join(str(p) for p in e['loc'])}：{e['msg']}",
                        MANIFEST,
                    )
                    for e in exc.errors()
                ]
            ) from None
        listed = {t.member for t in manifest.tables} | {f.member for f in manifest.files}
        if listed != set(manifest.members):
            raise unusable(
                path,
                "the manifest's tables and files do not match its list of members",
                "清单中的数据表和文件与其成员列表不一致",
                MANIFEST,
            )
        for f in manifest.files:
            if manifest.members[f.member].sha256 != f.sha256:
                raise unusable(
                    path,
                    "a stored file's member does not carry its own hash",
                    "存储文件的成员哈希与文件哈希不一致",
                    f.member,
                )
        return manifest

    def check(self) -> None:
        """Every member present, no other, each with the size and sha256 the manifest
        gives (read whole: a restore starts only from an archive known to be intact)."""
        present = set(self.zip.namelist()) - {MANIFEST}
        expected = set(self.manifest.members)
        missing, extra = sorted(expected - present), sorted(present - expected)
        if missing or extra:
            problems = [
                problem(self.path, "the member is missing", "缺少该成员", m) for m in missing
            ] + [
                problem(self.path, "the member is not in the manifest", "该成员不在清单之中", m)
                for m in extra
            ]
            raise BackupUnusable(problems)
        for name in sorted(expected):
            want = self.manifest.members[name]
            sha, size = hashlib.sha256(), 0
            try:
                with self.zip.open(name) as stream:
                    while chunk := stream.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
            except _DAMAGE as exc:
                raise self._damaged(name, exc) from None
            if (sha.hexdigest(), size) != (want.sha256, want.size):
                raise unusable(
                    self.path,
                    f"the member was altered: its sha256 or size ({size} bytes) is not the "
                    f"one the manifest records ({want.size} bytes)",
                    f"该成员已被改动：其 sha256 或大小（{size} 字节）与清单记录（{want.size} 字节）不符",
                    name,
                )

    def rows(self, table: Table, batch: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """The table's rows, ``batch`` at a time, each with its line number."""
        columns = set(table.column_names)
        out: list[tuple[int, dict[str, Any]]] = []
        try:
            with self.zip.open(table.member) as raw:
                for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), 1):
                    try:
                        row = json.loads(line)
                    except ValueError:
                        raise unusable(
                            self.path,
                            "the line is not a JSON object",
                            "该行不是 JSON 对象",
                            table.member,
                            number,
                        ) from None
                    if not isinstance(row, dict) or set(row) != columns:
                        raise unusable(
                            self.path,
                            "the row does not have the table's columns",
                            "该行的列与数据表的列不一致",
                            table.member,
                            number,
                        )
                    out.append((number, row))
                    if len(out) >= batch:
                        yield out
                        out = []
        except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:
            raise self._damaged(table.member, exc) from None
        if out:
            yield out

    def extract_file(self, stored: StoredFile, target: Path) -> None:
        """Copy a stored file to ``target`` (through a temporary file beside it), its hash
        checked on the way; an existing intact copy is kept."""
        if target.is_file() and sha256_file(target) == stored.sha256:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".restore-{target.name}-{os.getpid()}")
        sha = hashlib.sha256()
        try:
            with self.zip.open(stored.member) as src, tmp.open("wb") as out:
                while True:
                    try:
                        chunk = src.read(CHUNK)
                    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                        raise self._damaged(stored.member, exc) from None
                    if not chunk:
                        break
                    sha.update(chunk)
                    out.write(chunk)  # a full disk is the machine's error, not the archive's
            if sha.hexdigest() != stored.sha256:
                raise unusable(
                    self.path,
                    "the stored file does not match its hash",
                    "存储文件与其哈希不符",
                    stored.member,
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def sha256_file(path: Path) -> str:
    """The sha256 (hex) of a file's bytes, read in chunks."""
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()
