"""Import of usage records from CSV or XLSX, and the batch writer the API shares: all or nothing.

Columns: account (id or exact name), product (code), day (YYYY-MM-DD or an Excel date), quantity,
and optionally spend and total_spend (the customer's whole spend on this kind of product).
A row for an (account, product, day) that exists replaces it. Files are read as a stream and
written in batches of ``BATCH`` rows with one bulk upsert each, inside one transaction that is
rolled back when any row fails or on a dry run, so 100,000 rows take bounded memory (the
per-file duplicate check keeps one small key per row) and a few seconds.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from kehu.core.tabular import TableError
from kehu.customers.models import Account
from kehu.usage.models import Product, UsageRecord

COLUMNS = ["account", "product", "day", "quantity", "spend", "total_spend"]
REQUIRED = ["account", "product", "day", "quantity"]
BATCH = 5000
MAX_ERRORS = 200
MAX_AMOUNT = Decimal("1e14")  # what the columns hold (18,4 and 16,2 digits)
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass
class RowError:
    line: int  # a file's line (header = 1) or, from the API, the record's index
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    more_errors: int = 0  # errors beyond the MAX_ERRORS listed
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class RowInvalid(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


class _Rollback(Exception):
    pass


# --- parsing one value -------------------------------------------------------------------------


def parse_day(value: Any) -> date:
    """A date from text (YYYY-MM-DD, YYYY/MM/DD), a spreadsheet date, or an Excel serial number."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial = int(value)
        if 1 <= serial <= 2958465 and serial == value:
            return EXCEL_EPOCH + timedelta(days=serial)
        raise RowInvalid("day", _("Not a date: %(value)s.") % {"value": value})
    text = str(value or "").strip()
    if not text:
        raise RowInvalid("day", _("The day is missing."))
    if text.isdigit() and len(text) <= 7:
        return parse_day(int(text))
    head = text.split(" ", 1)[0].split("T", 1)[0].replace("/", "-")
    try:
        return date.fromisoformat(head)
    except ValueError:
        raise RowInvalid(
            "day", _("Write the day as YYYY-MM-DD, not %(value)s.") % {"value": text[:40]}
        ) from None


def parse_amount(value: Any, column: str, *, required: bool) -> Decimal | None:
    """A non-negative decimal; thousands separators and surrounding spaces are accepted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowInvalid(column, _("This value is missing."))
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise RowInvalid(
            column, _("Not a number: %(value)s.") % {"value": str(value)[:40]}
        ) from None
    if not amount.is_finite():
        raise RowInvalid(column, _("Not a number: %(value)s.") % {"value": str(value)[:40]})
    if amount < 0:
        raise RowInvalid(column, _("It cannot be negative."))
    if amount >= MAX_AMOUNT:
        raise RowInvalid(column, _("The number is too large."))
    places = 4 if column == "quantity" else 2
    return amount.quantize(Decimal(1).scaleb(-places))


# --- resolving names ---------------------------------------------------------------------------


class Resolver:
    """Accounts by id or exact name and products by code, each looked up once per import."""

    def __init__(self) -> None:
        self.products = {p.code.lower(): p.pk for p in Product.objects.all()}
        self._accounts: dict[str, int | str] = {}

    def account(self, value: Any) -> int:
        key = str(value if value is not None else "").strip()
        if isinstance(value, float) and value.is_integer():
            key = str(int(value))
        if not key:
            raise RowInvalid("account", _("The account is missing."))
        if key not in self._accounts:
            self._accounts[key] = self._find_account(key)
        found = self._accounts[key]
        if isinstance(found, str):
            raise RowInvalid("account", found)
        return found

    def _find_account(self, key: str) -> int | str:
        condition = Q(name=key) | Q(name_en=key)
        if key.isdigit() and len(key) < 19:
            condition |= Q(pk=int(key))
        ids = list(Account.objects.filter(condition).values_list("pk", flat=True)[:3])
        if key.isdigit() and int(key) in ids:
            return int(key)
        if len(ids) == 1:
            return ids[0]
        if not ids:
            return _("No account has the id or name %(value)s.") % {"value": key[:100]}
        return _("Several accounts are named %(value)s: use the account's id.") % {
            "value": key[:100]
        }

    def product(self, value: Any) -> int:
        code = str(value or "").strip().lower()
        if not code:
            raise RowInvalid("product", _("The product is missing."))
        if code not in self.products:
            raise RowInvalid(
                "product", _("No product has the code %(code)s.") % {"code": code[:40]}
            )
        return self.products[code]


# --- writing -----------------------------------------------------------------------------------


class Writer:
    """Collects valid records and upserts them in batches; counts created and replaced rows."""

    def __init__(self, result: ImportResult, *, write: bool) -> None:
        self.result = result
        self.write = write
        self.pending: list[UsageRecord] = []
        self.seen: dict[tuple[int, int, int], int] = {}

    def add(self, line: int, record: UsageRecord) -> None:
        key = (record.account_id, record.product_id, record.day.toordinal())
        if key in self.seen:
            raise RowInvalid(
                "day",
                _("The same account, product and day is also on line %(line)s.")
                % {"line": self.seen[key]},
            )
        self.seen[key] = line
        self.pending.append(record)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.result.errors:
            return  # nothing will be kept: stop writing, keep checking the rows
        existing = self._existing(batch)
        self.result.updated += existing
        self.result.created += len(batch) - existing
        if self.write:
            UsageRecord.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["account", "product", "day"],
                update_fields=["quantity", "spend", "total_spend"],
            )

    @staticmethod
    def _existing(batch: list[UsageRecord]) -> int:
        days = [r.day for r in batch]
        wanted = {(r.account_id, r.product_id, r.day) for r in batch}
        stored = UsageRecord.objects.filter(
            account_id__in={r.account_id for r in batch},
            product_id__in={r.product_id for r in batch},
            day__range=(min(days), max(days)),
        ).values_list("account_id", "product_id", "day")
        return sum(1 for key in stored.iterator(chunk_size=5000) if key in wanted)


def build_record(resolver: Resolver, values: dict[str, Any]) -> UsageRecord:
    """A UsageRecord from raw values; RowInvalid names the first bad column."""
    quantity = parse_amount(values.get("quantity"), "quantity", required=True) or Decimal(0)
    return UsageRecord(
        account_id=resolver.account(values.get("account")),
        product_id=resolver.product(values.get("product")),
        day=parse_day(values.get("day")),
        quantity=quantity,
        spend=parse_amount(values.get("spend"), "spend", required=False),
        total_spend=parse_amount(values.get("total_spend"), "total_spend", required=False),
    )


def note_error(result: ImportResult, line: int, column: str, message: str) -> None:
    if len(result.errors) < MAX_ERRORS:
        result.errors.append(RowError(line, column, message))
    else:
        result.more_errors += 1


def run_import(
    rows: Iterator[tuple[int, dict[str, Any]]], *, dry_run: bool, result: ImportResult
) -> ImportResult:
    """Check and write ``(line, values)`` rows in one transaction: all of them or none."""
    try:
        with transaction.atomic():
            resolver = Resolver()
            writer = Writer(result, write=not dry_run)
            for line, values in rows:
                result.rows += 1
                try:
                    writer.add(line, build_record(resolver, values))
                except RowInvalid as exc:
                    note_error(result, line, exc.column, exc.message)
            writer.flush()
            if result.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if result.errors:
        result.created = result.updated = 0
    return result


# --- reading files as a stream -----------------------------------------------------------------


def _decode(data: bytes) -> str:
    # Excel and WPS in China save CSV as GBK/GB18030 unless told otherwise; accept both.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file is neither UTF-8 nor GB18030 text."))


def _raw_rows(filename: str, data: bytes) -> Iterator[list[Any]]:
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise TableError(_("The file is not a readable XLSX workbook.")) from exc
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
    elif lowered.endswith((".csv", ".txt")):
        yield from csv.reader(io.StringIO(_decode(data), newline=""))
    else:
        raise TableError(_("Upload a .csv or .xlsx file."))


def _table(filename: str, data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    raw = _raw_rows(filename, data)
    header_row = next(raw, None)
    if header_row is None:
        raise TableError(_("The file is empty."))
    header = [str(h or "").strip().lower() for h in header_row]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TableError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    return _rows(raw, header)


def _rows(raw: Iterator[list[Any]], header: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, cells in enumerate(raw, start=2):
        values = {
            header[i]: cell.strip() if isinstance(cell, str) else cell
            for i, cell in enumerate(cells)
            if i < len(header) and header[i] in COLUMNS
        }
        if any(v not in (None, "") for v in values.values()):
            yield line, values


def import_usage(*, filename: str, data: bytes, dry_run: bool = False) -> ImportResult:
    """Create or replace usage records from a CSV/XLSX file; nothing is written if a row fails."""
    result = ImportResult(dry_run=dry_run)
    try:
        rows = _table(filename, data)
        return run_import(rows, dry_run=dry_run, result=result)
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)


def export_rows(records: Any) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of ``records`` (a queryset of UsageRecord) in the importer's columns."""
    rows = (
        [account_id, code, day.isoformat(), quantity, spend, total]
        for account_id, code, day, quantity, spend, total in records.values_list(
            "account_id", "product__code", "day", "quantity", "spend", "total_spend"
        ).iterator(chunk_size=5000)
    )
    return COLUMNS, rows
