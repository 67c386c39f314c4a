"""Import and export of accounts and contacts (CSV or XLSX): all rows or none.

Every row is checked against the database and against the other rows of the file; only when
no row has an error is anything kept (one transaction, attributed to the importing user on the
import channel). A dry run does the same work and rolls it back, listing what would happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.tabular import Row, TableError, read_table
from kehu.customers import services
from kehu.customers.duplicates import find_duplicates
from kehu.customers.models import Account, AccountLevel, Contact, CustomField
from kehu.customers.normalise import company_name_key, phone_key
from kehu.org.models import Employee

ACCOUNT_COLUMNS = [
    "name",
    "name_en",
    "kind",
    "parent",
    "owner_no",
    "level",
    "credit_limit",
    "currency",
    "customer_since",
    "industry",
    "region",
    "website",
    "tags",
]
CONTACT_COLUMNS = ["account", "name", "email", "phone", "role", "language", "preferred_channel"]
_COLUMN_OF = {"credit_currency": "currency"}
_YES = {"1", "true", "yes", "y", "是", "x"}


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class RowAction:
    line: int
    action: str  # "create" or "update"
    label: str


@dataclass
class ImportResult:
    actions: list[RowAction] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return 0 if self.errors else sum(a.action == "create" for a in self.actions)

    @property
    def updated(self) -> int:
        return 0 if self.errors else sum(a.action == "update" for a in self.actions)


class _Rollback(Exception):
    pass


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(n, str(m)) for n, errs in exc.error_dict.items() for e in errs for m in e.messages]
    return [("", m) for m in exc.messages]


def _run(rows: list[Row], apply_row: Any, finish: Any, *, user: Any, dry_run: bool) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    try:
        with audit_context(channel=Channel.IMPORT, actor=user), transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        action = apply_row(row)
                except ValidationError as exc:
                    result.errors.extend(RowError(row.line, c, m) for c, m in _messages(exc))
                    continue
                result.actions.append(action)
            if not result.errors:
                finish(result)
            if result.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    result.errors.sort(key=lambda e: e.line)
    return result


def _decimal(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("，", "") or "0")
    except InvalidOperation as exc:
        raise ValidationError({column: _("Enter a number.")}) from exc
    if not value.is_finite() or value < 0:
        raise ValidationError({column: _("Enter a number of zero or more.")})
    return value


def _date(text: str, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError as exc:
        raise ValidationError({column: _("Enter a date as YYYY-MM-DD.")}) from exc


def _choice(text: str, choices: Any, column: str, default: str) -> str:
    if not text:
        return default
    by_value = {str(v).lower(): str(v) for v, _label in choices}
    by_label = {str(label).lower(): str(v) for v, label in choices}
    found = by_value.get(text.lower()) or by_label.get(text.lower())
    if found is None:
        raise ValidationError(
            {column: _("Use one of: %(values)s.") % {"values": ", ".join(by_value.values())}}
        )
    return found


def import_accounts(
    *, filename: str, data: bytes, user: Any, dry_run: bool = False
) -> ImportResult:
    """Create or update accounts by name; ``parent`` may name an account further down the file."""
    try:
        rows = read_table(filename, data, required=["name"])
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    definitions = list(CustomField.objects.all())
    owners = {e.employee_no: e for e in Employee.objects.all()}
    file_names = {r.values.get("name", "") for r in rows}
    seen_keys: dict[str, int] = {}
    parents: list[tuple[Row, str]] = []

    def apply_row(row: Row) -> RowAction:
        values = row.values
        name = values.get("name", "")
        if not name:
            raise ValidationError({"name": _("The name is empty.")})
        errors: dict[str, list[str]] = {}
        for key in {company_name_key(name), company_name_key(values.get("name_en", ""))} - {""}:
            if key in seen_keys:
                errors.setdefault("name", []).append(
                    _("The same customer as on line %(line)s.") % {"line": seen_keys[key]}
                )
            seen_keys.setdefault(key, row.line)
        if errors:
            raise ValidationError(errors)
        existing = Account.objects.filter(name=name).first()
        owner_no = values.get("owner_no", "")
        owner = owners.get(owner_no) if owner_no else None
        if owner_no and owner is None:
            raise ValidationError(
                {"owner_no": _("No employee has the number %(no)s.") % {"no": owner_no}}
            )
        parent_name = values.get("parent", "")
        if (
            parent_name
            and parent_name not in file_names
            and not Account.objects.filter(name=parent_name).exists()
        ):
            raise ValidationError(
                {"parent": _("No account is named %(name)s.") % {"name": parent_name}}
            )
        fields: dict[str, Any] = {
            "name": name,
            "name_en": values.get("name_en", ""),
            "kind": _choice(
                values.get("kind", ""), Account.Kind.choices, "kind", Account.Kind.COMPANY
            ),
            "level": _choice(
                values.get("level", ""), AccountLevel.choices, "level", AccountLevel.STANDARD
            ),
            "credit_limit": _decimal(values.get("credit_limit", ""), "credit_limit"),
            "credit_currency": (values.get("currency", "") or "CNY").upper()[:3],
            "customer_since": _date(values.get("customer_since", ""), "customer_since"),
            "industry": values.get("industry", ""),
            "region": values.get("region", ""),
            "website": values.get("website", ""),
        }
        custom = {d.code: values.get(d.code.lower(), "") for d in definitions}
        tags = services.split_tags(values.get("tags", ""))
        if existing is None:
            if values.get("allow_duplicate", "").lower() not in _YES:
                similar = find_duplicates(name=name, name_en=fields["name_en"])
                if similar:
                    raise ValidationError(
                        {
                            "name": _(
                                "Looks like the existing account %(names)s; set the column "
                                "allow_duplicate to yes to create it anyway."
                            )
                            % {
                                "names": ", ".join(
                                    f"{c.account.name} (#{c.account.pk})" for c in similar[:3]
                                )
                            }
                        }
                    )
            services.account_create(
                fields=fields, owner=owner, tags=tags, custom_fields=custom, actor=user
            )
            action = RowAction(row.line, "create", name)
        else:
            # Only the columns the file has change; the others keep their values.
            present = {
                k: v for k, v in fields.items() if _COLUMN_OF.get(k, k) in values or k == "name"
            }
            services.account_update(
                existing,
                expected_version=existing.version,
                fields=present,
                owner=owner if owner_no else existing.owner,
                owner_reason=_("Import"),
                tags=tags if "tags" in values else None,
                custom_fields={
                    **existing.custom_fields,
                    **{k: v for k, v in custom.items() if k.lower() in values},
                },
                actor=user,
            )
            action = RowAction(row.line, "update", name)
        if parent_name:
            parents.append((row, parent_name))
        return action

    def finish(result: ImportResult) -> None:
        # After every row exists, so a row may name a parent further down the file.
        for row, parent_name in parents:
            account = Account.objects.get(name=row.values["name"])
            parent = Account.objects.filter(name=parent_name).first()
            try:
                services.account_update(
                    account, expected_version=account.version, fields={"parent": parent}, actor=user
                )
            except ValidationError as exc:
                result.errors.extend(RowError(row.line, "parent", m) for _c, m in _messages(exc))

    return _run(rows, apply_row, finish, user=user, dry_run=dry_run)


def import_contacts(
    *, filename: str, data: bytes, user: Any, dry_run: bool = False
) -> ImportResult:
    """Create or update contacts: the same e-mail (or, without one, name) at the account updates."""
    try:
        rows = read_table(filename, data, required=["account", "name"])
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    accounts = {
        a.name: a
        for a in Account.objects.filter(name__in={r.values.get("account", "") for r in rows})
    }
    seen_mail: dict[str, int] = {}
    seen_phone: dict[str, int] = {}

    def apply_row(row: Row) -> RowAction:
        values = row.values
        account = accounts.get(values.get("account", ""))
        if account is None:
            raise ValidationError(
                {
                    "account": _("No account is named %(name)s.")
                    % {"name": values.get("account", "")}
                }
            )
        email = values.get("email", "").strip()
        number = phone_key(values.get("phone", ""))
        errors: dict[str, list[str]] = {}
        if email:
            if email.upper() in seen_mail:
                errors["email"] = [
                    _("The same e-mail as on line %(line)s.") % {"line": seen_mail[email.upper()]}
                ]
            seen_mail.setdefault(email.upper(), row.line)
            elsewhere = (
                Contact.objects.filter(email__iexact=email)
                .exclude(account=account)
                .select_related("account")
                .first()
            )
            if elsewhere is not None:
                errors.setdefault("email", []).append(
                    _("Already a contact of %(account)s.") % {"account": elsewhere.account.name}
                )
        if number:
            if number in seen_phone:
                errors["phone"] = [
                    _("The same phone number as on line %(line)s.") % {"line": seen_phone[number]}
                ]
            seen_phone.setdefault(number, row.line)
        if errors:
            raise ValidationError(errors)
        fields = {
            "name": values.get("name", ""),
            "email": email,
            "phone": values.get("phone", ""),
            "role": values.get("role", ""),
            "language": _choice(
                values.get("language", ""),
                Contact._meta.get_field("language").choices,
                "language",
                Contact._meta.get_field("language").default,
            ),
            "preferred_channel": _choice(
                values.get("preferred_channel", ""),
                Contact.Channel.choices,
                "preferred_channel",
                Contact.Channel.EMAIL,
            ),
        }
        existing = (
            Contact.objects.filter(account=account, email__iexact=email).first()
            if email
            else Contact.objects.filter(account=account, name=fields["name"]).first()
        )
        if existing is None:
            services.contact_create(account=account, fields=fields)
            return RowAction(row.line, "create", f"{fields['name']} @ {account.name}")
        services.contact_update(existing, expected_version=existing.version, fields=fields)
        return RowAction(row.line, "update", f"{fields['name']} @ {account.name}")

    return _run(rows, apply_row, lambda result: None, user=user, dry_run=dry_run)


def account_export_rows() -> tuple[list[str], list[list[Any]]]:
    """Header and rows of every account, in the columns the importer reads (3 queries)."""
    definitions = list(CustomField.objects.all())
    accounts = (
        Account.objects.select_related("parent", "owner")
        .prefetch_related("tags")
        .order_by("name_pinyin", "id")
    )
    header = ACCOUNT_COLUMNS + [d.code for d in definitions]
    rows = [
        [
            a.name,
            a.name_en,
            a.kind,
            a.parent.name if a.parent else "",
            a.owner.employee_no if a.owner else "",
            a.level,
            a.credit_limit,
            a.credit_currency,
            a.customer_since.isoformat() if a.customer_since else "",
            a.industry,
            a.region,
            a.website,
            "; ".join(t.name for t in a.tags.all()),
            *[_export_value(a.custom_fields.get(d.code)) for d in definitions],
        ]
        for a in accounts
    ]
    return header, rows


def _export_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    return str(value)


def contact_export_rows() -> tuple[list[str], list[list[Any]]]:
    """Header and rows of every contact, in the columns the importer reads (1 query)."""
    contacts = Contact.objects.select_related("account").order_by(
        "account__name_pinyin", "account_id", "name"
    )
    return CONTACT_COLUMNS, [
        [c.account.name, c.name, c.email, c.phone, c.role, c.language, c.preferred_channel]
        for c in contacts
    ]
