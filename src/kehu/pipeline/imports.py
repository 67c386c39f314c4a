"""Import of opportunities (CSV or XLSX): all rows or none; export of a filtered list.

A row names its account by id or exact name (Chinese or English), the stage by its code (an
open stage; empty: the first), the triangle by employee numbers. Every row is checked,
including the importer's right to open opportunities; only when no row has an error is
anything kept, in one transaction. Each row opens a new opportunity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kehu.access.permissions import ADD, can
from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.tabular import Row, TableError, read_table
from kehu.customers.models import Account
from kehu.org.imports import ImportResult, RowError, _DryRunRollback, _messages
from kehu.org.models import Employee
from kehu.pipeline import services
from kehu.pipeline.models import DEFAULT_CURRENCY, Opportunity, Stage

COLUMNS = [
    "account",
    "name",
    "amount",
    "currency",
    "expected_close",
    "stage",
    "ar",
    "sr",
    "fr",
    "description",
]
REQUIRED = ["account", "name", "amount", "expected_close"]
EXPORT_COLUMNS = [
    "id",
    *COLUMNS,
    "probability",
    "weighted_amount",
    "account_name",
    "win_loss_reason",
]


def _date(raw: str, column: str) -> date:
    text = raw.strip().split(" ")[0].split("T")[0].replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError({column: _("Write the date as YYYY-MM-DD.")}) from exc


def _amount(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError(
            {"amount": _("Write the amount as a number, e.g. 120000.00.")}
        ) from exc
    if not value.is_finite():
        raise ValidationError({"amount": _("Write the amount as a number, e.g. 120000.00.")})
    Opportunity._meta.get_field("amount").clean(value, None)
    return value


def _currency(raw: str) -> str:
    code = raw.strip().upper() or DEFAULT_CURRENCY
    Opportunity._meta.get_field("currency").run_validators(code)
    return code


class _Importer:
    def __init__(self, user: Any) -> None:
        self.user = user
        self.accounts: dict[str, Account] = {}
        self.stages = {s.code: s for s in Stage.objects.filter(is_active=True)}
        self.employees: dict[str, Employee | None] = {}

    def account(self, raw: str) -> Account:
        key = raw.strip()
        if key not in self.accounts:
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
            self.accounts[key] = found[0]
        return self.accounts[key]

    def employee(self, raw: str, column: str) -> Employee | None:
        key = raw.strip()
        if not key:
            return None
        if key not in self.employees:
            self.employees[key] = Employee.objects.filter(employee_no=key).first()
        found = self.employees[key]
        if found is None:
            raise ValidationError({column: _("No employee has this number: %(v)s.") % {"v": key}})
        return found

    def stage(self, raw: str) -> Stage | None:
        key = raw.strip()
        if not key:
            return None
        found = self.stages.get(key)
        if found is None or found.is_closed:
            raise ValidationError(
                {
                    "stage": _("Unknown open stage “%(v)s”: use one of %(codes)s.")
                    % {
                        "v": key,
                        "codes": ", ".join(c for c, s in self.stages.items() if not s.is_closed),
                    }
                }
            )
        return found

    def apply(self, row: Row) -> Opportunity:
        values = row.values
        errors: dict[str, Any] = {}
        parsed: dict[str, Any] = {}
        for column, parse in (
            ("account", lambda: self.account(values.get("account", ""))),
            ("amount", lambda: _amount(values.get("amount", ""))),
            ("currency", lambda: _currency(values.get("currency", ""))),
            ("expected_close", lambda: _date(values.get("expected_close", ""), "expected_close")),
            ("stage", lambda: self.stage(values.get("stage", ""))),
            ("ar", lambda: self.employee(values.get("ar", ""), "ar")),
            ("sr", lambda: self.employee(values.get("sr", ""), "sr")),
            ("fr", lambda: self.employee(values.get("fr", ""), "fr")),
        ):
            try:
                parsed[column] = parse()
            except ValidationError as exc:
                errors.update(
                    exc.message_dict if hasattr(exc, "error_dict") else {column: exc.messages}
                )
        if errors:
            raise ValidationError(errors)
        return services.opportunity_create(
            by=self.user,
            name=values.get("name", ""),
            description=values.get("description", ""),
            **parsed,
        )


def import_opportunities(*, filename: str, data: bytes, user: Any, dry_run: bool) -> ImportResult:
    """Check every row; unless it is a dry run and only if no row has an error, keep them all."""
    if not can(user, ADD, Opportunity):
        return ImportResult(
            errors=[RowError(1, "", _("You may not open opportunities."))], dry_run=dry_run
        )
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
                        importer.apply(row)
                except ValidationError as exc:
                    result.errors.extend(
                        RowError(row.line, column, message) for column, message in _messages(exc)
                    )
                    continue
                result.created += 1
            if result.errors or dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    if result.errors:
        result.created = 0
    return result


def export_rows(found: QuerySet[Opportunity]) -> tuple[list[str], Iterable[list[Any]]]:
    """The opportunities as rows in the import's columns (plus figures, for reading)."""
    ordered = found.select_related("account", "stage", "ar", "sr", "fr").order_by(
        "expected_close", "pk"
    )

    def number(employee: Employee | None) -> str:
        return employee.employee_no if employee else ""

    def rows() -> Iterable[list[Any]]:
        for o in ordered.iterator(chunk_size=1000):
            yield [
                o.pk,
                o.account_id,
                o.name,
                o.amount,
                o.currency,
                o.expected_close.isoformat(),
                o.stage.code,
                number(o.ar),
                number(o.sr),
                number(o.fr),
                o.description,
                o.probability,
                o.weighted_amount,
                o.account.name,
                o.win_loss_reason,
            ]

    return EXPORT_COLUMNS, rows()
