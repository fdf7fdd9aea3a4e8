"""``evaluator backup FILE`` and ``evaluator restore FILE``: the whole database, its stored
files and its audit chain in one archive, restored into an empty database of either kind
(thin: parse, call services.backup or services.restore, print)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from evaluator.cli import common
from evaluator.cli.common import EXIT_INTERNAL, EXIT_OK, with_database


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backup",
        help="write the database, its evidence files and audit chain to one archive (备份)",
        description="Write the database of DATABASE_URL (every table), the files under "
        "EVIDENCE_DIR it names and its audit chain to one archive (a zip; docs/deployment.md, "
        "Backup and restore). The database may stay in use: the archive is one consistent "
        "snapshot. The file is written whole or not at all.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the archive to write (e.g. backup.zip)")
    p.add_argument(
        "--allow-missing-files",
        action="store_true",
        help="write the archive even when stored files are missing from EVIDENCE_DIR (listed in it)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="restore an archive of `evaluator backup` into an empty database (恢复)",
        description="Restore an archive into the empty database of DATABASE_URL (SQLite or "
        "PostgreSQL, whichever the archive came from) and EVIDENCE_DIR, then verify the audit "
        "chain against the head the archive recorded. A damaged archive, an unknown format or "
        "a database that holds rows is refused and nothing is written.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the archive of `evaluator backup`")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check the archive (every member's sha256) and print what it holds",
    )
    p.add_argument(
        "--verify-snapshots",
        action="store_true",
        help="after restoring, recompute each approved round's snapshot in force (slower)",
    )
    p.set_defaults(handler=cmd_restore)


def _stages(label: str) -> None:
    if sys.stderr.isatty():
        print(f"  … {label}", file=sys.stderr)


def cmd_backup(args) -> int:
    from evaluator.services import backup  # a service: not needed by `evaluator --help`

    done = with_database(
        backup.backup(
            args.file,
            allow_missing_files=args.allow_missing_files,
            overwrite=args.overwrite,
            progress=_stages,
        )
    )
    rows = sum(done.tables.values())
    print(f"backup written 备份已写入: {done.path} ({done.size:,} bytes 字节)")
    print(
        f"  {done.database}: {len(done.tables)} tables 张表, {rows:,} rows 行, "
        f"{done.files} stored files 个存储文件"
    )
    state = "intact 完整" if done.audit.intact else "BROKEN 已断开"
    print(
        f"  audit chain 审计链 {state}: {done.audit.events} events 条, head {done.audit.head_hash}"
    )
    if done.missing_files:
        print(
            f"  !! {len(done.missing_files)} stored file(s) missing from EVIDENCE_DIR, listed in "
            f"the archive 个存储文件缺失，已记入备份: {', '.join(done.missing_files)}",
            file=sys.stderr,
        )
    if not done.audit.intact:
        print(
            "  !! the audit chain does not verify: run `evaluator audit verify` "
            "(审计链校验未通过，请运行 `evaluator audit verify`)",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_restore(args) -> int:
    from evaluator.services import restore  # a service: not needed by `evaluator --help`

    if args.check:
        manifest = restore.check_archive(args.file)
        rows = sum(t.rows for t in manifest.tables)
        print(f"archive intact 备份文件完整: {args.file}")
        print(
            f"  format {manifest.format} v{manifest.format_version}, made {manifest.created_at} "
            f"from {manifest.database}, evaluator {manifest.application.get('version', '?')}"
        )
        print(f"  migrations 迁移: {len(manifest.migrations)}, last {manifest.migrations[-1]}")
        print(
            f"  {len(manifest.tables)} tables 张表, {rows:,} rows 行, "
            f"{len(manifest.files)} stored files 个存储文件"
        )
        print(
            f"  audit chain 审计链: {manifest.audit.events} events 条, head {manifest.audit.head_hash}"
        )
        return EXIT_OK
    url = common.database_url()
    done = asyncio.run(
        restore.restore(args.file, url, verify_snapshots=args.verify_snapshots, progress=_stages)
    )
    rows = sum(done.tables.values())
    print(f"restored 已恢复: {args.file} → {common.safe_url(url)}")
    print(
        f"  {done.source} → {done.database}, archive of 备份时间 {done.created_at}: "
        f"{len(done.tables)} tables 张表, {rows:,} rows 行, {done.files} stored files 个存储文件"
    )
    if done.migrated:
        print(f"  then migrated 随后迁移: {', '.join(done.migrated)}")
    if done.missing_files:
        print(
            f"  !! {len(done.missing_files)} stored file(s) were missing when the archive was "
            f"made 个存储文件在备份时已缺失: {', '.join(done.missing_files)}",
            file=sys.stderr,
        )
    status = EXIT_OK
    chain = done.audit
    if done.audit_matches and chain.ok:
        print(
            f"  audit chain intact 审计链完整: {chain.events} events 条, head {chain.head_hash} "
            "— as recorded in the archive 与备份记录一致"
        )
    elif done.audit_matches:
        print(
            f"  audit chain broken at event {chain.broken_seq}, exactly as in the source "
            f"审计链在第 {chain.broken_seq} 条事件处断开，与源数据库相同: {chain.reason_en} ({chain.reason_zh})"
        )
    else:
        print(
            f"  !! the restored audit chain ({chain.events} events, head {chain.head_hash}) "
            f"differs from the archive's ({done.recorded.events} events, head "
            f"{done.recorded.head_hash}) 恢复后的审计链与备份记录不一致",
            file=sys.stderr,
        )
        status = EXIT_INTERNAL
    if done.snapshots is not None:
        verified, total = done.snapshots
        print(
            f"  approval snapshots in force recomputed and verified 现行审定快照重算校验通过: "
            f"{verified}/{total}"
        )
        if verified != total:
            status = EXIT_INTERNAL
    return status
