"""Writes on accounts and contacts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.concurrency import save_if_current
from kehu.customers import timeline
from kehu.customers.models import (
    Account,
    AccountTeamMember,
    Contact,
    CustomField,
    Ownership,
    Tag,
    TimelineEntry,
)
from kehu.customers.normalise import phone_key

# "Leave the owner as it is" (None means "no owner").
_UNCHANGED: Any = object()


@transaction.atomic
def account_change_owner(
    *, account: Account, owner: Any, changed_by: Any = None, reason: str = ""
) -> Account:
    """Give the account to ``owner`` (an org.Employee, or None): the ownership history closes
    the previous holder's period and opens the new one, and the timeline says so.

    Changing to the current owner does nothing. Callers that edit other fields too call this
    inside their own transaction; the account's version moves on either way.
    """
    locked = Account.objects.select_for_update().get(pk=account.pk)
    new_owner_id = owner.pk if owner is not None else None
    if locked.owner_id == new_owner_id:
        return locked
    now = timezone.now()
    Ownership.objects.filter(account=locked, ended_at__isnull=True).update(ended_at=now)
    if owner is not None:
        Ownership.objects.create(account=locked, owner=owner, started_at=now, reason=reason[:300])
    locked.owner = owner
    locked.version += 1
    locked.save(update_fields=["owner", "version", "updated_at"])
    timeline.record(
        account_id=locked.pk,
        kind=TimelineEntry.Kind.OWNER,
        source=f"customers.owner:{locked.pk}:{now.isoformat()}",
        occurred_at=now,
        title=(
            timeline.phrase(gettext_noop("Owner is now %(owner)s"), owner=owner)
            if owner is not None
            else timeline.phrase(gettext_noop("The account has no owner"))
        ),
        summary=reason,
        actor=changed_by,
    )
    account.owner = owner
    account.version = locked.version
    return locked


# --- accounts ---------------------------------------------------------------------------------

# Fields of an account a person sets directly (the owner goes through account_change_owner).
ACCOUNT_FIELDS = (
    "kind",
    "name",
    "name_en",
    "parent",
    "level",
    "industry",
    "region",
    "is_active",
    "credit_limit",
    "credit_currency",
    "customer_since",
    "website",
    "uses_competitors",
)
_TAG_SEPARATORS = re.compile(r"[,，;；、\n]+")
_TRUE = {"1", "true", "yes", "y", "on", "是", "x", "✓"}
_FALSE = {"", "0", "false", "no", "n", "off", "否"}


def split_tags(text: str) -> list[str]:
    """Tag names from text typed with any separator (',', '，', ';', '；', '、')."""
    names: list[str] = []
    for part in _TAG_SEPARATORS.split(text or ""):
        name = part.strip()[:60]
        if name and name not in names:
            names.append(name)
    return names


def tags_for(names: list[str]) -> list[Tag]:
    """The tags with these names, created on the fly when new."""
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name] = Tag.objects.create(name=name)
    return [existing[n] for n in names]


def custom_field_values(
    values: dict[str, Any], *, definitions: list[CustomField] | None = None
) -> dict[str, Any]:
    """Check ``values`` against the custom field definitions; return them in stored form.

    Text stays text, numbers become numbers, dates ISO dates, checkboxes booleans; an empty
    value is left out; unknown codes, missing required values and unknown choices are errors.
    """
    if definitions is None:
        definitions = list(CustomField.objects.all())
    by_code = {d.code: d for d in definitions}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(by_code))
    if unknown:
        errors["custom_fields"] = [
            _("Unknown custom fields: %(codes)s.") % {"codes": ", ".join(unknown)}
        ]
    cleaned: dict[str, Any] = {}
    for code, definition in by_code.items():
        raw = values.get(code)
        try:
            value = _custom_value(definition, raw)
        except ValidationError as exc:
            errors.setdefault(code, []).extend(exc.messages)
            continue
        if value is None or value == "":
            if definition.required:
                errors.setdefault(code, []).append(
                    _("%(label)s is required.") % {"label": definition.label}
                )
            continue
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _custom_value(definition: CustomField, raw: Any) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.kind
    if kind == CustomField.Kind.CHECKBOX:
        if isinstance(raw, bool):
            return raw or None
        text = str(raw).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ValidationError(_("Use yes or no."))
        return True if text in _TRUE else None
    if kind == CustomField.Kind.NUMBER:
        if isinstance(raw, bool):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.Kind.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()[:10]).isoformat()
        except ValueError as exc:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from exc
    text = str(raw).strip()[:500]
    if kind == CustomField.Kind.CHOICE and text not in [str(c) for c in definition.choices]:
        raise ValidationError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(map(str, definition.choices))}
        )
    return text


def _check_parent(account: Account | None, parent: Account | None) -> None:
    """A parent must not be the account itself or one of its descendants (no loops)."""
    if parent is None or account is None or account.pk is None:
        return
    seen: set[int] = set()
    node_id: int | None = parent.pk
    while node_id is not None and node_id not in seen:
        if node_id == account.pk:
            raise ValidationError(
                {"parent": _("An account cannot be its own parent or a parent of its parent.")}
            )
        seen.add(node_id)
        node_id = Account.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()


@transaction.atomic
def account_create(
    *,
    fields: dict[str, Any],
    owner: Any = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: Any = None,
) -> Account:
    """Create an account with its tags and custom field values; its owner starts its
    ownership history."""
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ValueError(f"not account fields: {sorted(unknown)}")
    account = Account(**fields, custom_fields=custom_field_values(custom_fields or {}))
    account.full_clean()
    account.save()
    if tags:
        account.tags.set(tags_for(tags))
    if owner is not None:
        account = account_change_owner(
            account=account, owner=owner, changed_by=actor, reason=_("Account created")
        )
    return account


@transaction.atomic
def account_update(
    account: Account,
    *,
    expected_version: int,
    fields: dict[str, Any],
    owner: Any = _UNCHANGED,
    owner_reason: str = "",
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: Any = None,
) -> Account:
    """Change an account if nobody saved it since ``expected_version`` (else StaleVersionError).

    ``tags`` and ``custom_fields`` replace the current ones when given; a new owner is recorded
    in the ownership history and on the timeline.
    """
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ValueError(f"not account fields: {sorted(unknown)}")
    changes = dict(fields)
    if "parent" in changes:
        _check_parent(account, changes["parent"])
    if custom_fields is not None:
        changes["custom_fields"] = custom_field_values(custom_fields)
    updated = save_if_current(account, expected_version=expected_version, changes=changes)
    if tags is not None:
        updated.tags.set(tags_for(tags))
    if owner is not _UNCHANGED:
        updated = account_change_owner(
            account=updated, owner=owner, changed_by=actor, reason=owner_reason
        )
    return updated


@transaction.atomic
def team_member_add(*, account: Account, employee: Any, role: str = "") -> AccountTeamMember:
    """Seat ``employee`` on the account's team (a second seat only changes the role)."""
    member, _created = AccountTeamMember.objects.update_or_create(
        account=account, employee=employee, defaults={"role": role[:100]}
    )
    return member


@transaction.atomic
def team_member_remove(*, member: AccountTeamMember) -> None:
    """Take a member off the account's team."""
    member.delete()


# --- contacts ---------------------------------------------------------------------------------

CONTACT_FIELDS = (
    "name",
    "email",
    "phone",
    "role",
    "language",
    "preferred_channel",
    "is_active",
)


def _clean_contact_changes(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"not contact fields: {sorted(unknown)}")
    cleaned = dict(fields)
    if cleaned.get("email"):
        cleaned["email"] = str(cleaned["email"]).strip()
    phone = str(cleaned.get("phone") or "").strip()
    if phone and not phone_key(phone):
        raise ValidationError({"phone": _("This is not a phone number we can read.")})
    return cleaned


@transaction.atomic
def contact_create(*, account: Account, fields: dict[str, Any]) -> Contact:
    """Add a contact person to an account."""
    contact = Contact(account=account, **_clean_contact_changes(fields))
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(contact: Contact, *, expected_version: int, fields: dict[str, Any]) -> Contact:
    """Change a contact if nobody saved it since ``expected_version``."""
    return save_if_current(
        contact, expected_version=expected_version, changes=_clean_contact_changes(fields)
    )


# --- custom field definitions -----------------------------------------------------------------


def _clean_definition(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    choices = [str(c).strip() for c in cleaned.get("choices") or [] if str(c).strip()]
    cleaned["choices"] = list(dict.fromkeys(choices))
    if cleaned.get("kind") == CustomField.Kind.CHOICE and not cleaned["choices"]:
        raise ValidationError({"choices": _("A choice field needs at least one choice.")})
    if cleaned.get("kind") != CustomField.Kind.CHOICE:
        cleaned["choices"] = []
    return cleaned


@transaction.atomic
def custom_field_create(*, fields: dict[str, Any]) -> CustomField:
    """Define a new custom field of accounts."""
    definition = CustomField(**_clean_definition(fields))
    definition.full_clean()
    definition.save()
    return definition


@transaction.atomic
def custom_field_update(
    definition: CustomField, *, expected_version: int, fields: dict[str, Any]
) -> CustomField:
    """Change a custom field definition (its code stays: stored values are keyed by it)."""
    changes = _clean_definition({"kind": definition.kind, **fields})
    changes.pop("code", None)
    return save_if_current(definition, expected_version=expected_version, changes=changes)
