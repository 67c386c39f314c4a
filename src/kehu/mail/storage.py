"""Large raw messages kept as files in the attachment storage rather than a database column.

A message above ``KEHU_MAIL_RAW_FILE_BYTES`` is written to ``mail/<yyyy>/<mm>/<sha256>.eml`` in
chunks (the stored bytes are never copied into one more buffer); ``InboundMail.raw_bytes``
reads either kind back. The name is the content's hash, so a batch done again after a rollback,
or the same message delivered twice, writes no second file.
"""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.core.files import File
from django.utils import timezone

from kehu.desk.models.tickets import attachment_storage

CHUNK = 64 * 1024


def keeps_as_file(raw: bytes) -> bool:
    return len(raw) > settings.KEHU_MAIL_RAW_FILE_BYTES


def write_raw(raw: bytes) -> str:
    """Store ``raw`` as a file; its name in the attachment storage."""
    now = timezone.now()
    name = f"mail/{now:%Y}/{now:%m}/{hashlib.sha256(raw).hexdigest()}.eml"
    storage = attachment_storage()
    if storage.exists(name) and storage.size(name) == len(raw):
        return name
    # BytesIO shares the bytes it is given (no copy); the storage writes CHUNK bytes at a time.
    handle = File(io.BytesIO(raw), name=name)
    handle.DEFAULT_CHUNK_SIZE = CHUNK
    return storage.save(name, handle)


def read_raw(name: str) -> bytes:
    with attachment_storage().open(name, "rb") as handle:
        return bytes(handle.read())
