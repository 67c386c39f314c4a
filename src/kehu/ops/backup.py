"""``kehu backup`` and ``kehu restore``: the database and the attachments in one archive.

An archive (``kehu-backup-<UTC time>.tar.gz``) holds

* ``database.sqlite3`` — SQLite's online backup API (``sqlite3.Connection.backup``) copies the
  database as one snapshot while web and task workers keep writing; or ``database.pgdump`` —
  ``pg_dump --format=custom``, which reads one snapshot (a repeatable-read transaction);
* ``attachments/…`` — every file under ``KEHU_ATTACHMENT_ROOT`` (ticket and dossier
  attachments, large received messages), copied *after* the database snapshot: a file is
  written before the row naming it commits, so every file the snapshot names is there (files
  newer than the snapshot come along unreferenced and do no harm);
* ``manifest.json`` — format, time, database vendor, the applied migrations, and the size and
  SHA-256 of every other member.

``restore`` checks every checksum before it changes anything, refuses a database or attachment
directory that already holds data unless ``force`` is given, then replaces both.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
PREFIX = "kehu-backup-"
SUFFIX = ".tar.gz"
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
CHUNK = 1024 * 1024
# Tables a freshly migrated database already fills: bookkeeping and the defaults migrations
# seed. Rows anywhere else mean the database is in use.
SEEDED_TABLES = frozenset(
    {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "django_session",
        "sqlite_sequence",
        "kehu_cache",
        "desk_prioritymatrix",
        "segments_segmentrule",
        "pipeline_stage",
        "contracts_riskrule",
    }
)
SEEDED_PREFIXES = ("desk_ticket_search_fts", "kb_search_fts")  # SQLite FTS5's own tables


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in plain words."""


@dataclass(frozen=True)
class RestoreResult:
    tables: int
    files: int
    created_at: str


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore / psql."""
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} is not installed; install the PostgreSQL client tools."
        ) from error
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def _dump_database(directory: Path) -> Path:
    if _vendor() == "sqlite":
        target = directory / "database.sqlite3"
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)  # all pages in one step: one consistent snapshot
        finally:
            copy.close()
            source.close()
        return target
    target = directory / "database.pgdump"
    args, env = _pg_env()
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(target),
            *args,
        ],
        env,
    )
    return target


def _attachment_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def backup(output: Path, *, now: datetime | None = None) -> Path:
    """Write one archive into the directory ``output``; its path."""
    now = now or timezone.now()
    output.mkdir(parents=True, exist_ok=True)
    final = output / f"{PREFIX}{now:%Y%m%dT%H%M%S}Z{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    files: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kehu-backup-") as scratch:
        database = _dump_database(Path(scratch))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {
                "vendor": connection.vendor,
                "file": database.name,
                "size": database.stat().st_size,
                "sha256": _sha256_file(database),
            },
            "migrations": _applied_migrations(),
            "files": files,
        }
        with tarfile.open(partial, "w:gz", compresslevel=3) as archive:
            archive.add(database, arcname=database.name)
            for relative, path in _attachment_files(Path(settings.KEHU_ATTACHMENT_ROOT)):
                try:
                    data = path.read_bytes()  # one read: the size and the hash agree
                except FileNotFoundError:
                    continue  # removed while we copied: the snapshot no longer names it
                name = f"{ATTACHMENTS}/{relative}"
                files.append(
                    {
                        "path": relative,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                )
                _add_bytes(archive, name, data, path.stat().st_mtime)
            _add_bytes(
                archive,
                MANIFEST,
                json.dumps(manifest, indent=1, ensure_ascii=False).encode(),
                now.timestamp(),
            )
    partial.replace(final)
    return final


def prune(output: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` archives in ``output``; the paths removed."""
    archives = sorted(output.glob(f"{PREFIX}*{SUFFIX}"))  # the names sort by time
    doomed = archives[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


# --- restore -------------------------------------------------------------------------------


def tables_with_data() -> list[str]:
    """Tables of this database holding rows a fresh installation would not have."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in SEEDED_TABLES or table.startswith(SEEDED_PREFIXES):
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                found.append(table)
    return found


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"The archive names a file outside its own tree: {name}")
    return path


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = archive.extractfile(member)
    if handle is None:
        raise BackupError(f"{member.name} in the archive is not a file.")
    return handle


def _read_verified(archive_path: Path, scratch: Path) -> dict[str, Any]:
    """Extract the archive into ``scratch``, checking every member against the manifest."""
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            if MANIFEST not in members:
                raise BackupError(f"{archive_path.name} is not a Kehu backup (no {MANIFEST}).")
            manifest = json.loads(_member(archive, members[MANIFEST]).read())
            if manifest.get("format") != FORMAT:
                raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
            expected = {
                manifest["database"]["file"]: manifest["database"]["sha256"],
                **{f"{ATTACHMENTS}/{f['path']}": f["sha256"] for f in manifest["files"]},
            }
            missing = sorted(set(expected) - set(members))
            if missing:
                raise BackupError(f"The archive lacks {len(missing)} file(s), e.g. {missing[0]}.")
            for name, digest in expected.items():
                target = scratch / _safe_member(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = _member(archive, members[name])
                hasher = hashlib.sha256()
                with target.open("wb") as out:
                    while block := source.read(CHUNK):
                        hasher.update(block)
                        out.write(block)
                if hasher.hexdigest() != digest:
                    raise BackupError(
                        f"{name} does not match its checksum: the archive is damaged."
                    )
    except (tarfile.TarError, OSError, EOFError, KeyError, ValueError) as error:
        raise BackupError(f"{archive_path.name} cannot be read: {error}") from error
    return manifest


def restore(archive_path: Path, *, force: bool = False) -> RestoreResult:
    """Bring an archive into this installation (a fresh one unless ``force``)."""
    vendor = _vendor()
    root = Path(settings.KEHU_ATTACHMENT_ROOT)
    with tempfile.TemporaryDirectory(prefix="kehu-restore-") as scratch_name:
        scratch = Path(scratch_name)
        manifest = _read_verified(archive_path, scratch)
        if manifest["database"]["vendor"] != vendor:
            raise BackupError(
                f"This backup is of a {manifest['database']['vendor']} database; this "
                f"installation uses {vendor}."
            )
        if not force:
            used = tables_with_data()
            if used:
                raise BackupError(
                    f"The database already holds data ({len(used)} tables with rows, e.g. "
                    f"{', '.join(used[:3])}). Restore into a fresh installation, or pass "
                    "--force to replace everything in it."
                )
            if next(_attachment_files(root), None) is not None:
                raise BackupError(
                    f"The attachment directory {root} is not empty. Restore into a fresh "
                    "installation, or pass --force to replace everything in it."
                )
        database = scratch / manifest["database"]["file"]
        connections.close_all()
        if vendor == "sqlite":
            source = sqlite3.connect(str(database))
            target = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=30)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            args, env = _pg_env()
            _run(
                [
                    "psql",
                    "--quiet",
                    "--set",
                    "ON_ERROR_STOP=1",
                    "--command",
                    "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
                    *args,
                ],
                env,
            )
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *args,
                    str(database),
                ],
                env,
            )
        if root.is_dir():
            for child in root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        root.mkdir(parents=True, exist_ok=True)
        for entry in manifest["files"]:
            target_path = root / _safe_member(entry["path"])
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(scratch / ATTACHMENTS / _safe_member(entry["path"]), target_path)
    with connection.cursor() as cursor:
        tables = len(connection.introspection.table_names(cursor))
    return RestoreResult(
        tables=tables, files=len(manifest["files"]), created_at=manifest["created_at"]
    )
