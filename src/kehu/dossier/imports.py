"""Import and export of dossier entries (CSV or XLSX): all rows or none.

A row names its account by id or by exact name (Chinese or English). A row whose account,
section, title and date match an existing entry updates it (a new revision when the text
changed), so importing an export again changes nothing. Every row is checked, including the
importer's right to edit that account's dossier; only when no row has an error is anything
kept, in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.tabular import Row, TableError, read_table
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier
from kehu.dossier import services
from kehu.dossier.models import ALL_CATEGORIES, DossierEntry, EventStatus, Section
from kehu.org.imports import ImportResult, RowError, _DryRunRollback, _messages

COLUMNS = [
    "account",
    "section",
    "category",
    "status",
    "title",
    "body",
    "happened_on",
    "author",
]
EXPORT_COLUMNS = [*COLUMNS, "account_name"]
REQUIRED = ["account", "section", "title"]


def _choice(raw: str, choices: Sequence[tuple[str, Any]], column: str) -> str:
    """A code, or its label in English or the current language, case-insensitively."""
    wanted = raw.strip().lower()
    if not wanted:
        return ""
    for value, label in choices:
        names = {str(value).lower(), str(label).lower()}
        with override("en"):
            names.add(str(label).lower())
        if wanted in names:
            return str(value)
    raise ValidationError(
        {
            column: _("Unknown value “%(value)s”: use one of %(choices)s.")
            % {"value": raw, "choices": ", ".join(str(v) for v, _label in choices)}
        }
    )


class _Importer:
    def __init__(self, user: Any) -> None:
        self.user = user
        self.accounts: dict[str, Account] = {}
        self.authors: dict[str, Any] = {}

    def account(self, raw: str) -> Account:
        key = raw.strip()
        if key in self.accounts:
            return self.accounts[key]
        if key.isdigit():
            found = list(Account.objects.filter(pk=int(key))[:2])
        else:
            found = list(Account.objects.filter(Q(name=key) | Q(name_en=key))[:2])
        if not found:
            raise ValidationError(
                {"account": _("No account has this id or name: %(v)s.") % {"v": key}}
            )
        if len(found) > 1:
            raise ValidationError(
                {"account": _("Several accounts have this name; give the account id instead.")}
            )
        account = found[0]
        if not can_edit_dossier(self.user, account):
            raise ValidationError(
                {
                    "account": _("You may not edit the dossier of %(account)s.")
                    % {"account": account}
                }
            )
        self.accounts[key] = account
        return account

    def author(self, raw: str) -> Any:
        key = raw.strip()
        if not key:
            return self.user
        if key not in self.authors:
            found = get_user_model().objects.filter(username=key).first()
            if found is None:
                raise ValidationError({"author": _("No user has this user name.")})
            self.authors[key] = found
        return self.authors[key]

    def apply(self, row: Row) -> bool | None:
        values = row.values
        errors: dict[str, list[str]] = {}
        parsed: dict[str, Any] = {}
        for column, parse in (
            ("account", lambda v: self.account(v)),
            ("section", lambda v: _choice(v, Section.choices, "section")),
            ("category", lambda v: _choice(v, list(ALL_CATEGORIES.items()), "category")),
            ("status", lambda v: _choice(v, EventStatus.choices, "status")),
            ("happened_on", _date),
            ("author", lambda v: self.author(v)),
        ):
            try:
                parsed[column] = parse(values.get(column, ""))
            except ValidationError as exc:
                for name, message in _messages(exc):
                    errors.setdefault(name or column, []).append(message)
        if not parsed.get("section") and "section" not in errors:
            errors["section"] = [_("Name the section.")]
        if errors:
            raise ValidationError(errors)
        title = values.get("title", "").strip()
        fields = {
            "title": title,
            "body": values.get("body", ""),
            "category": parsed["category"],
            "status": parsed["status"],
            "happened_on": parsed["happened_on"],
        }
        existing = (
            DossierEntry.objects.filter(
                account=parsed["account"],
                section=parsed["section"],
                title=title,
                happened_on=parsed["happened_on"] or timezone.localdate(),
            )
            .order_by("id")
            .first()
        )
        if existing is not None:
            services.entry_update(
                existing, actor=parsed["author"], expected_version=existing.version, changes=fields
            )
            return False
        services.entry_create(
            account=parsed["account"],
            actor=self.user,
            author=parsed["author"],
            section=parsed["section"],
            **fields,
        )
        return True


def _date(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    # A spreadsheet date comes through as "2025-03-01 00:00:00".
    text = text.split(" ")[0].split("T")[0].replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError({"happened_on": _("Write the date as YYYY-MM-DD.")}) from exc


def import_entries(*, filename: str, data: bytes, user: Any, dry_run: bool) -> ImportResult:
    """Check every row; unless it is a dry run and only if no row has an error, keep them all."""
    try:
        rows = read_table(filename, data, required=REQUIRED)
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    importer = _Importer(user)
    result = ImportResult(dry_run=dry_run)
    try:
        with audit_context(channel=Channel.IMPORT, actor=user), transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        created = importer.apply(row)
                except ValidationError as exc:
                    result.errors.extend(
                        RowError(row.line, column, message) for column, message in _messages(exc)
                    )
                    continue
                if created is True:
                    result.created += 1
                elif created is False:
                    result.updated += 1
            if result.errors or dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    if result.errors:
        result.created = result.updated = 0
    return result


def export_rows(entries: QuerySet[DossierEntry]) -> tuple[list[str], Iterable[list[Any]]]:
    """The entries as rows in the import's columns (plus the account's name, for reading)."""
    found = entries.select_related("account", "author").order_by(
        "account_id", "section", "happened_on", "id"
    )

    def rows() -> Iterable[list[Any]]:
        for entry in found.iterator(chunk_size=1000):
            yield [
                entry.account_id,
                entry.section,
                entry.category,
                entry.status,
                entry.title,
                entry.body,
                entry.happened_on.isoformat(),
                entry.author.get_username() if entry.author else "",
                entry.account.name,
            ]

    return EXPORT_COLUMNS, rows()
