"""Upload handlers: every uploaded file's name loses bidirectional control characters at the
door (settings.FILE_UPLOAD_HANDLERS), for web forms and API multipart bodies alike, so no
stored attachment can show "invoice\u202efdp.exe" as "invoiceexe.pdf"."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

from kehu.core.text import clean_line


class CleanNameMemoryHandler(MemoryFileUploadHandler):
    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, clean_line(file_name), *args, **kwargs)


class CleanNameTemporaryHandler(TemporaryFileUploadHandler):
    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, clean_line(file_name), *args, **kwargs)
