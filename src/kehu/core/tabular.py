"""Reading and writing CSV and XLSX tables, with Chinese text intact both ways."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from kehu.core.text import clean_line


class TableError(Exception):
    """The file cannot be read as a table at all (not a per-row problem)."""


@dataclass(frozen=True)
class Row:
    line: int  # as a spreadsheet shows it: the header is line 1
    values: dict[str, str]


def _decode_csv(data: bytes) -> str:
    # Excel and WPS in China save CSV as GBK/GB18030 unless told otherwise; accept both.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file is neither UTF-8 nor GB18030 text."))


def read_table(filename: str, data: bytes, *, required: Sequence[str]) -> list[Row]:
    """Rows of a CSV or XLSX file keyed by lower-cased header; blank rows are skipped. Cells lose
    bidirectional control characters (``text.clean_line``): imports fill names and codes."""
    lowered = filename.lower()
    raw_rows: Sequence[Sequence[object]]
    if lowered.endswith(".xlsx"):
        raw_rows = _xlsx_rows(data)
    elif lowered.endswith((".csv", ".txt")):
        raw_rows = list(csv.reader(io.StringIO(_decode_csv(data), newline="")))
    else:
        raise TableError(_("Upload a .csv or .xlsx file."))
    if not raw_rows:
        raise TableError(_("The file is empty."))
    header = [str(h or "").strip().lower() for h in raw_rows[0]]
    missing = [column for column in required if column not in header]
    if missing:
        raise TableError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    rows = []
    for offset, raw in enumerate(raw_rows[1:], start=2):
        values = {
            header[i]: clean_line(_restore(str(cell).strip())) if cell is not None else ""
            for i, cell in enumerate(raw)
            if i < len(header) and header[i]
        }
        if any(values.values()):
            rows.append(Row(line=offset, values=values))
    return rows


def _xlsx_rows(data: bytes) -> list[list[object]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    sheet = workbook.worksheets[0]
    rows: list[list[object]] = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _neutralise(str(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(header))
    for row in rows:
        sheet.append(["" if v is None else _neutralise(str(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _neutralise(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _restore(value: str) -> str:
    # Undo _neutralise, so an exported file imports back unchanged.
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value
