"""Writes of the dossier: entries (each save keeps a numbered revision), attachments, visits and
their follow-ups. Each write also keeps the account's timeline in step (restricted lines: only
dossier readers see them)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.core.markdown import plain_summary
from kehu.customers import timeline
from kehu.customers.models import Account, Contact, TimelineEntry
from kehu.desk.models import Ticket
from kehu.dossier.models import (
    CATEGORIES,
    DossierAttachment,
    DossierEntry,
    DossierRevision,
    EventStatus,
    Section,
    Visit,
    VisitFollowUp,
)
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

ENTRY_EDITABLE = ("title", "body", "category", "status", "happened_on")
REVISED = ("title", "body", "category", "status", "happened_on")
VISIT_EDITABLE = (
    "kind",
    "status",
    "planned_on",
    "visited_on",
    "purpose",
    "summary",
    "our_attendees",
    "customer_attendees",
    "other_attendees",
    "ticket",
    "incident",
)
VISIT_MANY = frozenset({"our_attendees", "customer_attendees"})

# Prefilled into a new architecture note: the questions the spec wants answered (SPEC §3).
ARCHITECTURE_TEMPLATE = """## How they use us

## Competitors they use

## Their view of our strengths

## Their view of our weaknesses

## Their view of our price-performance

## Their team's capability
"""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- entries -----------------------------------------------------------------------------------


def _normalise_entry(fields: dict[str, Any], section: str) -> dict[str, Any]:
    """Check a whole entry's fields against its section; categories and status follow it."""
    errors: dict[str, list[str]] = {}
    if section not in Section.values:
        errors["section"] = [_("Unknown section.")]
        raise ValidationError(errors)
    fields["title"] = (fields.get("title") or "").strip()
    fields["body"] = (fields.get("body") or "").strip()
    if not fields["title"]:
        errors["title"] = [_("Give the entry a title.")]
    allowed = CATEGORIES.get(section)
    category = fields.get("category") or ""
    if allowed is None:
        if category:
            errors["category"] = [_("Entries of this section have no category.")]
    elif category and category not in allowed.values:
        errors["category"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed.values)}
        ]
    elif not category:
        category = "other"
    fields["category"] = category
    status = fields.get("status") or ""
    if section == Section.CURRENT_EVENT:
        if not status:
            status = EventStatus.OPEN
        elif status not in EventStatus.values:
            errors["status"] = [_("Unknown status.")]
    elif status:
        errors["status"] = [_("Only current events have a status.")]
    fields["status"] = status
    if fields.get("happened_on") is None:
        fields["happened_on"] = timezone.localdate()
    if errors:
        raise ValidationError(errors)
    return fields


def _revise(entry: DossierEntry, actor: Any) -> DossierRevision:
    last = entry.revisions.aggregate(last=Max("number"))["last"] or 0
    return DossierRevision.objects.create(
        entry=entry,
        number=last + 1,
        title=entry.title,
        body=entry.body,
        category=entry.category,
        status=entry.status,
        happened_on=entry.happened_on,
        author=_user(actor),
    )


def _record_entry(entry: DossierEntry, actor: Any) -> None:
    source = f"dossier.entry:{entry.pk}"
    kind = (
        TimelineEntry.Kind.COMPLAINT
        if entry.section == Section.COMPLAINT
        else TimelineEntry.Kind.DOSSIER
    )
    timeline.forget(source=source)  # the kind follows the section
    if entry.status:
        title = timeline.phrase(
            gettext_noop("%(section)s: %(title)s (%(status)s)"),
            section=Section(entry.section).label,
            title=entry.title,
            status=EventStatus(entry.status).label,
        )
    else:
        title = timeline.phrase(
            gettext_noop("%(section)s: %(title)s"),
            section=Section(entry.section).label,
            title=entry.title,
        )
    timeline.record(
        account_id=entry.account_id,
        kind=kind,
        source=source,
        occurred_at=_at(entry.happened_on),
        title=title,
        summary=plain_summary(entry.body),
        actor=actor,
        url=reverse("dossier:entry-detail", args=[entry.pk]),
        restricted=True,
    )


def entry_create(
    *,
    account: Account,
    actor: Any,
    section: str,
    title: str,
    body: str = "",
    category: str = "",
    status: str = "",
    happened_on: date | None = None,
    author: Any = None,
) -> DossierEntry:
    """Add an entry to the account's dossier; it starts at revision 1."""
    fields = _normalise_entry(
        {
            "title": title,
            "body": body,
            "category": category,
            "status": status,
            "happened_on": happened_on,
        },
        section,
    )
    with transaction.atomic():
        entry = DossierEntry(
            account=account, section=section, author=_user(author or actor), **fields
        )
        entry.full_clean()
        entry.save()
        _revise(entry, author or actor)
        _record_entry(entry, actor)
    return entry


def entry_update(
    entry: DossierEntry, *, actor: Any, expected_version: int, changes: dict[str, Any]
) -> DossierEntry:
    """Change an entry if nobody saved it since ``expected_version``; a change of its content
    becomes the next revision."""
    unknown = set(changes) - set(ENTRY_EDITABLE)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    with transaction.atomic():
        current = DossierEntry.objects.select_for_update().get(pk=entry.pk)
        if current.version != expected_version:
            raise StaleVersionError(current)
        merged = {name: getattr(current, name) for name in ENTRY_EDITABLE} | changes
        fields = _normalise_entry(merged, current.section)
        if all(getattr(current, name) == fields[name] for name in REVISED):
            return current
        updated = save_if_current(current, expected_version=expected_version, changes=fields)
        _revise(updated, actor)
        _record_entry(updated, actor)
    return updated


def entry_delete(entry: DossierEntry, *, actor: Any) -> None:
    """Remove an entry with its revisions and files, and its line on the account's timeline."""
    with transaction.atomic():
        files = [a.file for a in entry.attachments.all() if a.file]
        timeline.forget(source=f"dossier.entry:{entry.pk}")
        entry.delete()

        def remove_files() -> None:
            for stored in files:
                stored.storage.delete(stored.name or "")

        # Only once the rows are gone for good: a rollback keeps the files.
        transaction.on_commit(remove_files)


def check_files(files: Sequence[UploadedFile]) -> None:
    """Refuse files of a type or size the desk would refuse too (the same settings)."""
    allowed = {t.lower() for t in settings.KEHU_ATTACHMENT_TYPES}
    errors: list[str] = []
    if not files:
        errors.append(_("Choose a file to upload."))
    for upload in files:
        name = upload.name or ""
        if PurePath(name).suffix.lower() not in allowed:
            errors.append(
                _("%(name)s: files of this type are not accepted (allowed: %(types)s).")
                % {"name": name, "types": ", ".join(sorted(allowed))}
            )
        if upload.size is None or upload.size > settings.KEHU_ATTACHMENT_MAX_BYTES:
            errors.append(
                _("%(name)s is larger than %(limit)s MB.")
                % {"name": name, "limit": settings.KEHU_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
    if errors:
        raise ValidationError({"file": errors})


def attachment_add(
    entry: DossierEntry, *, actor: Any, files: Sequence[UploadedFile]
) -> list[DossierAttachment]:
    """Store files on an entry (type and size checked first: all or none)."""
    check_files(files)
    stored = []
    with transaction.atomic():
        for upload in files:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            attachment = DossierAttachment(
                entry=entry,
                filename=PurePath(upload.name or "file").name[:255],
                content_type=(upload.content_type or "application/octet-stream")[:100],
                size=upload.size or 0,
                sha256=digest.hexdigest(),
                uploaded_by=_user(actor),
            )
            # The file is written before the row: a rollback can leave an orphan file under a
            # random name, never a row without its file.
            attachment.file.save(upload.name or "file", upload, save=False)
            attachment.save()
            stored.append(attachment)
    return stored


# --- visits ------------------------------------------------------------------------------------


@dataclass
class NewFollowUp:
    description: str
    owner: Employee | None = None
    due_on: date | None = None


def _check_visit(account: Account, fields: dict[str, Any], many: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not (fields.get("purpose") or "").strip():
        errors["purpose"] = [_("Say what the visit is for.")]
    if fields.get("kind") not in Visit.Kind.values:
        errors["kind"] = [_("Unknown kind of visit.")]
    status = fields.get("status")
    if status not in Visit.Status.values:
        errors["status"] = [_("Unknown status.")]
    if fields.get("planned_on") is None:
        errors["planned_on"] = [_("Give the planned date.")]
    visited_on = fields.get("visited_on")
    if status == Visit.Status.DONE:
        if visited_on is None:
            errors["visited_on"] = [_("Say on which day the visit took place.")]
        elif visited_on > timezone.localdate():
            errors["visited_on"] = [_("A visit that took place cannot be in the future.")]
    contacts: Sequence[Contact] = many.get("customer_attendees") or ()
    if any(c.account_id != account.pk for c in contacts):
        errors["customer_attendees"] = [_("Choose contacts of this account.")]
    ticket: Ticket | None = fields.get("ticket")
    if ticket is not None and ticket.account_id != account.pk:
        errors["ticket"] = [_("Choose a ticket of this account.")]
    if errors:
        raise ValidationError(errors)


def _record_visit(visit: Visit, actor: Any) -> None:
    timeline.record(
        account_id=visit.account_id,
        kind=TimelineEntry.Kind.VISIT,
        source=f"dossier.visit:{visit.pk}",
        occurred_at=_at(visit.day),
        title=timeline.phrase(
            gettext_noop("%(kind)s (%(status)s): %(purpose)s"),
            kind=Visit.Kind(visit.kind).label,
            status=Visit.Status(visit.status).label,
            purpose=visit.purpose,
        ),
        summary=plain_summary(visit.summary),
        actor=actor,
        url=reverse("dossier:visit-detail", args=[visit.pk]),
        restricted=True,
    )


def visit_create(
    *,
    account: Account,
    actor: Any,
    kind: str,
    planned_on: date,
    purpose: str,
    status: str = Visit.Status.PLANNED,
    visited_on: date | None = None,
    summary: str = "",
    our_attendees: Sequence[Employee] = (),
    customer_attendees: Sequence[Contact] = (),
    other_attendees: str = "",
    ticket: Ticket | None = None,
    incident: MajorIncident | None = None,
) -> Visit:
    """Plan (or record) a visit to the account."""
    fields: dict[str, Any] = {
        "kind": kind,
        "status": status,
        "planned_on": planned_on,
        "visited_on": visited_on,
        "purpose": (purpose or "").strip(),
        "summary": (summary or "").strip(),
        "other_attendees": (other_attendees or "").strip(),
        "ticket": ticket,
        "incident": incident,
    }
    _check_visit(account, fields, {"customer_attendees": customer_attendees})
    with transaction.atomic():
        visit = Visit(account=account, created_by=_user(actor), **fields)
        visit.full_clean()
        visit.save()
        visit.our_attendees.set(our_attendees)
        visit.customer_attendees.set(customer_attendees)
        _record_visit(visit, actor)
    return visit


def visit_update(
    visit: Visit, *, actor: Any, expected_version: int, changes: dict[str, Any]
) -> Visit:
    """Change a visit if nobody saved it since ``expected_version``."""
    unknown = set(changes) - set(VISIT_EDITABLE)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    fields = {k: v for k, v in changes.items() if k not in VISIT_MANY}
    many = {k: v for k, v in changes.items() if k in VISIT_MANY}
    for name in ("purpose", "summary", "other_attendees"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    with transaction.atomic():
        current = (
            Visit.objects.select_related("account", "ticket")
            .select_for_update(of=("self",))
            .get(pk=visit.pk)
        )
        if current.version != expected_version:
            raise StaleVersionError(current)
        merged = {
            name: getattr(current, name) for name in VISIT_EDITABLE if name not in VISIT_MANY
        } | fields
        _check_visit(current.account, merged, many)
        updated = save_if_current(current, expected_version=expected_version, changes=fields)
        for name, values in many.items():
            getattr(updated, name).set(values)
        _record_visit(updated, actor)
    return updated


def visit_mark_done(
    visit: Visit,
    *,
    actor: Any,
    expected_version: int,
    visited_on: date,
    summary: str,
    follow_ups: Sequence[NewFollowUp] = (),
) -> Visit:
    """Record that the visit took place, with its summary and what it left us to do."""
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("Write what was discussed.")]})
    with transaction.atomic():
        updated = visit_update(
            visit,
            actor=actor,
            expected_version=expected_version,
            changes={"status": Visit.Status.DONE, "visited_on": visited_on, "summary": summary},
        )
        for item in follow_ups:
            follow_up_add(updated, actor=actor, **item.__dict__)
    return updated


def visit_delete(visit: Visit, *, actor: Any) -> None:
    """Remove a visit (a mistaken record) and its timeline line."""
    with transaction.atomic():
        timeline.forget(source=f"dossier.visit:{visit.pk}")
        visit.delete()


def follow_up_add(
    visit: Visit,
    *,
    actor: Any,
    description: str,
    owner: Employee | None = None,
    due_on: date | None = None,
) -> VisitFollowUp:
    """Add something the visit left us to do."""
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": [_("Describe what is to be done.")]})
    follow_up = VisitFollowUp(visit=visit, description=description, owner=owner, due_on=due_on)
    follow_up.full_clean()
    follow_up.save()
    return follow_up


def follow_up_complete(follow_up: VisitFollowUp, *, actor: Any, done: bool = True) -> VisitFollowUp:
    """Mark a follow-up done (or open again). Marking a done one done again changes nothing."""
    with transaction.atomic():
        current = VisitFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if done and current.done_at is None:
            current.done_at = timezone.now()
            current.done_by = _user(actor)
            current.save(update_fields=["done_at", "done_by"])
        elif not done and current.done_at is not None:
            current.done_at = None
            current.done_by = None
            current.save(update_fields=["done_at", "done_by"])
    return current
