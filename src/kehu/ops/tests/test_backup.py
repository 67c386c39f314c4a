"""kehu backup / kehu restore on the database the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from typer.testing import CliRunner

from kehu.cli import app
from kehu.conftest import DepartmentFactory, make_user
from kehu.desk.models.tickets import attachment_storage
from kehu.desk.tests.factories import ticket
from kehu.mail import storage
from kehu.ops import backup
from kehu.ops.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)


@pytest.fixture
def attachment_root(tmp_path, settings) -> Path:
    settings.KEHU_ATTACHMENT_ROOT = tmp_path / "attachments"
    return settings.KEHU_ATTACHMENT_ROOT


def _value(value):
    return bytes(value) if isinstance(value, memoryview) else value


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted(
                (tuple(_value(v) for v in row) for row in cursor.fetchall()), key=repr
            )
    return rows


def every_file(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _some_data() -> None:
    department = DepartmentFactory(code="SUPPORT")
    make_user("agent-1")
    opened = ticket(department, subject="备份测试 backup", body="正文")
    attachment_storage().save(f"{opened.pk}/report.pdf", ContentFile(b"%PDF-1.4 " + b"x" * 5000))
    storage.write_raw(b"Subject: big\r\n\r\n" + b"y" * 200_000)


def test_round_trip_restores_every_row_and_every_file(tmp_path, attachment_root):
    _some_data()
    rows, files = every_row(), every_file(attachment_root)
    assert len(files) == 2
    archive = backup.backup(tmp_path / "backups")
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile(backup.MANIFEST).read())
    assert manifest["database"]["vendor"] == connection.vendor
    assert {f["path"] for f in manifest["files"]} == set(files)

    # A fresh installation: the schema, no data, no files.
    call_command("flush", interactive=False, verbosity=0, allow_cascade=True)
    for path in attachment_root.rglob("*"):
        if path.is_file():
            path.unlink()
    assert backup.tables_with_data() == []

    result = backup.restore(archive)
    assert result.files == 2
    assert every_row() == rows
    assert every_file(attachment_root) == files


def test_restore_refuses_a_database_in_use_unless_forced(tmp_path, attachment_root):
    _some_data()
    archive = backup.backup(tmp_path)
    rows = every_row()
    make_user("came-later")
    with pytest.raises(backup.BackupError, match=r"already holds data .* pass --force"):
        backup.restore(archive)
    assert connection.introspection.table_names()  # nothing was dropped
    from kehu.access.models import User

    assert User.objects.filter(username="came-later").exists()

    backup.restore(archive, force=True)
    assert every_row() == rows


def test_restore_refuses_a_damaged_archive_and_changes_nothing(tmp_path, attachment_root):
    _some_data()
    archive = backup.backup(tmp_path / "good")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith("report.pdf"):
                data = data.replace(b"x", b"z", 1)
            target.addfile(member, io.BytesIO(data))
    rows = every_row()
    with pytest.raises(backup.BackupError, match="does not match its checksum"):
        backup.restore(damaged, force=True)
    assert every_row() == rows


def test_backup_while_rows_are_being_written_is_one_snapshot(tmp_path, attachment_root):
    """A writer keeps committing while the backup runs: the archive holds a state the database
    really had (between the rows before and after), intact."""
    Heartbeat.objects.create(kind="worker", process="before", beat_at=timezone.now())
    stop = threading.Event()
    written = []

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set() or n < 5:
                Heartbeat.objects.create(kind="worker", process=f"w{n}", beat_at=timezone.now())
                written.append(n)
                n += 1
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = backup.backup(tmp_path)
    finally:
        stop.set()
        thread.join()
    after = Heartbeat.objects.count()
    backup.restore(archive, force=True)
    restored = list(Heartbeat.objects.values_list("process", flat=True))
    assert 1 <= len(restored) <= after
    # A prefix of what the writer committed, no gap: w0 … w(k-1).
    numbers = sorted(int(p[1:]) for p in restored if p.startswith("w"))
    assert numbers == list(range(len(numbers)))


def test_retention_keeps_the_newest(tmp_path):
    for day in range(1, 6):
        (tmp_path / f"kehu-backup-202612{day:02d}T030000Z.tar.gz").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    removed = backup.prune(tmp_path, keep=2)
    assert [p.name for p in removed] == [
        f"kehu-backup-202612{day:02d}T030000Z.tar.gz" for day in (1, 2, 3)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kehu-backup-20261204T030000Z.tar.gz",
        "kehu-backup-20261205T030000Z.tar.gz",
        "notes.txt",
    ]


def test_the_commands(tmp_path, attachment_root):
    _some_data()
    runner = CliRunner()
    done = runner.invoke(app, ["backup", "--output", str(tmp_path / "b"), "--keep", "3"])
    assert done.exit_code == 0, done.output
    (archive,) = (tmp_path / "b").glob("kehu-backup-*.tar.gz")
    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code == 1
    assert "Nothing restored" in refused.output and "--force" in refused.output
    forced = runner.invoke(app, ["restore", str(archive), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "2 attachment files" in " ".join(forced.output.split())
    assert attachment_root == settings.KEHU_ATTACHMENT_ROOT
