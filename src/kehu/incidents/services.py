"""Writes of the major-incident process: declare, update, link tickets, timeline, notify, close.

Every write locks the incident row first, so a notice, a link and a status change on the same
incident never interleave; every status change writes its own timeline entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.desk import tickets as ticket_services
from kehu.desk.models import OPEN_STATUSES, Message, Ticket
from kehu.incidents.models import (
    TRANSITIONS,
    IncidentNotice,
    IncidentSeverity,
    IncidentStatus,
    MajorIncident,
    TimelineEntry,
)
from kehu.org.models import Department, Employee

MAX_TEXT = 20000
EDITABLE = (
    "title",
    "description",
    "severity",
    "status",
    "commander",
    "response_departments",
    "response_members",
    "affected_accounts",
    "review_summary",
    "review_root_cause",
    "review_timeline",
    "review_actions",
)
MANY = frozenset({"response_departments", "response_members", "affected_accounts"})
REVIEW_FIELDS = ("review_summary", "review_root_cause", "review_timeline", "review_actions")
MANUAL_KINDS = frozenset({TimelineEntry.Kind.UPDATE, TimelineEntry.Kind.INTERNAL})


@dataclass
class NewIncident:
    title: str
    description: str = ""
    severity: str = IncidentSeverity.SEV2
    commander: Employee | None = None
    response_departments: Sequence[Department] = ()
    response_members: Sequence[Employee] = ()
    tickets: Sequence[Ticket] = field(default_factory=list)


@dataclass
class NoticeResult:
    key: str
    posted: list[Ticket]
    already_notified: int
    entry: TimelineEntry | None


def _display(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _("System")
    return str(actor.get_full_name() or actor)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _write(
    incident: MajorIncident,
    *,
    actor: Any,
    kind: str,
    text: str,
    at: datetime | None = None,
    notified_count: int | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        at=at or timezone.now(),
        author=_user(actor),
        author_name=_display(actor),
        kind=kind,
        text=text,
        notified_count=notified_count,
    )


def _locked(incident: MajorIncident) -> MajorIncident:
    """The incident's row, locked until the caller's transaction ends (callers hold atomic)."""
    return MajorIncident.objects.select_for_update().get(pk=incident.pk)


def _refuse_if_closed(incident: MajorIncident) -> None:
    if incident.is_closed:
        raise ValidationError(
            _("%(incident)s is closed; its record and review can no longer change.")
            % {"incident": incident.reference}
        )


def _status_text(old: str, new: str) -> str:
    return f"{IncidentStatus(old).label} → {IncidentStatus(new).label}"


def _status_stamps(incident: MajorIncident, new_status: str, now: datetime) -> dict[str, Any]:
    stamps: dict[str, Any] = {}
    if new_status == IncidentStatus.MITIGATED and incident.mitigated_at is None:
        stamps["mitigated_at"] = now
    if new_status == IncidentStatus.RESOLVED:
        stamps["resolved_at"] = now
        if incident.mitigated_at is None:
            stamps["mitigated_at"] = now
    if new_status == IncidentStatus.INVESTIGATING and incident.resolved_at is not None:
        stamps["resolved_at"] = None  # it came back: the resolution did not hold
    return stamps


# --- declare and update ------------------------------------------------------------------------


def incident_declare(data: NewIncident, *, actor: Any) -> MajorIncident:
    """Declare a major incident, form its response group and link its first tickets."""
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors.setdefault("title", []).append(_("Give the incident a title."))
    if data.severity not in IncidentSeverity.values:
        errors.setdefault("severity", []).append(_("Unknown severity."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = MajorIncident(
            title=data.title.strip(),
            description=data.description.strip(),
            severity=data.severity,
            commander=data.commander,
            declared_by=_user(actor),
        )
        incident.full_clean()
        incident.save()
        incident.response_departments.set(data.response_departments)
        incident.response_members.set(data.response_members)
        _write(
            incident,
            actor=actor,
            kind=TimelineEntry.Kind.STATUS,
            text=str(IncidentStatus.DECLARED.label),
            at=incident.declared_at,
        )
        if data.tickets:
            _link(incident, data.tickets, actor)
    return incident


def incident_update(
    incident: MajorIncident, *, actor: Any, expected_version: int, changes: dict[str, Any]
) -> MajorIncident:
    """Change fields if nobody saved the incident since ``expected_version``; a status move is
    checked against TRANSITIONS and written to the timeline."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    fields = {k: v for k, v in changes.items() if k not in MANY}
    many = {k: v for k, v in changes.items() if k in MANY}
    for name in ("title", "description", *REVIEW_FIELDS):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    now = timezone.now()
    with transaction.atomic():
        current = _locked(incident)
        if current.version != expected_version:
            raise StaleVersionError(current)
        _refuse_if_closed(current)
        old_status = current.status
        new_status = fields.get("status", old_status)
        if new_status != old_status:
            if new_status == IncidentStatus.CLOSED:
                raise ValidationError(
                    {"status": [_("Close an incident with its post-incident review.")]}
                )
            if new_status not in TRANSITIONS.get(old_status, frozenset()):
                raise ValidationError(
                    {
                        "status": [
                            _("An incident cannot go from %(old)s to %(new)s.")
                            % {
                                "old": IncidentStatus(old_status).label,
                                "new": IncidentStatus(new_status).label
                                if new_status in IncidentStatus.values
                                else new_status,
                            }
                        ]
                    }
                )
            fields.update(_status_stamps(current, new_status, now))
        updated = save_if_current(current, expected_version=expected_version, changes=fields)
        for name, values in many.items():
            getattr(updated, name).set(values)
        if new_status != old_status:
            _write(
                updated,
                actor=actor,
                kind=TimelineEntry.Kind.STATUS,
                text=_status_text(old_status, new_status),
                at=now,
            )
    return updated


# --- tickets -----------------------------------------------------------------------------------


def _link(incident: MajorIncident, tickets: Iterable[Ticket], actor: Any) -> list[Ticket]:
    already = set(incident.tickets.values_list("pk", flat=True))
    new = sorted({t.pk: t for t in tickets if t.pk not in already}.values(), key=lambda t: t.pk)
    if not new:
        return []
    incident.tickets.add(*new)
    accounts = {t.account_id for t in new if t.account_id is not None}
    if accounts:
        incident.affected_accounts.add(*accounts)
    _write(
        incident,
        actor=actor,
        kind=TimelineEntry.Kind.INTERNAL,
        text=_("Linked %(tickets)s.") % {"tickets": ", ".join(t.reference for t in new)},
    )
    return new


def incident_link_tickets(
    incident: MajorIncident, *, actor: Any, tickets: Sequence[Ticket]
) -> list[Ticket]:
    """Link tickets (already linked ones are skipped); their accounts become affected accounts."""
    if not tickets:
        raise ValidationError({"tickets": [_("Name at least one ticket to link.")]})
    with transaction.atomic():
        current = _locked(incident)
        _refuse_if_closed(current)
        return _link(current, tickets, actor)


def incident_unlink_ticket(incident: MajorIncident, *, actor: Any, ticket: Ticket) -> None:
    """Unlink one ticket. Its account stays affected: it was affected, and other tickets or a
    person may have put it there."""
    with transaction.atomic():
        current = _locked(incident)
        _refuse_if_closed(current)
        if not current.tickets.filter(pk=ticket.pk).exists():
            raise ValidationError(
                {"ticket": [_("%(ticket)s is not linked to this incident.") % {"ticket": ticket}]}
            )
        current.tickets.remove(ticket)
        _write(
            current,
            actor=actor,
            kind=TimelineEntry.Kind.INTERNAL,
            text=_("Unlinked %(ticket)s.") % {"ticket": ticket.reference},
        )


# --- timeline ----------------------------------------------------------------------------------


def timeline_add(
    incident: MajorIncident, *, actor: Any, kind: str, text: str, at: datetime | None = None
) -> TimelineEntry:
    """Record an update or internal note; ``at`` may be earlier (what happened when), never later."""
    errors: dict[str, list[str]] = {}
    if kind not in MANUAL_KINDS:
        errors.setdefault("kind", []).append(
            _("Status changes and customer notices are recorded by the system.")
        )
    if not text.strip():
        errors.setdefault("text", []).append(_("The entry is empty."))
    elif len(text) > MAX_TEXT:
        errors.setdefault("text", []).append(_("The entry is too long."))
    now = timezone.now()
    if at is not None and not _recent_past(at, now):
        errors.setdefault("at", []).append(
            _("Give a time, with its zone, within the last ten years and not in the future.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked(incident)
        _refuse_if_closed(current)
        return _write(current, actor=actor, kind=kind, text=text.strip(), at=at or now)


def _recent_past(at: datetime, now: datetime) -> bool:
    if at.tzinfo is None:
        return False
    try:
        at = at.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset
        return False
    return now - timedelta(days=3653) <= at <= now + timedelta(minutes=1)


# --- customer notice ---------------------------------------------------------------------------


def notice_key(text: str) -> str:
    """The notice's identity: the digest of its text with whitespace normalised."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def incident_notify(incident: MajorIncident, *, actor: Any, text: str) -> NoticeResult:
    """Post ``text`` as a public reply on every linked open ticket that has not had this notice
    yet, and record one customer-notice entry with the count. Clicking twice posts nothing new."""
    if not text.strip():
        raise ValidationError({"text": [_("Write the notice to the customers.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("The notice is too long.")]})
    text = text.strip()
    key = notice_key(text)
    with transaction.atomic():
        # The incident lock serialises two clicks; the unique constraint backs it up.
        current = _locked(incident)
        _refuse_if_closed(current)
        sent = set(
            IncidentNotice.objects.filter(incident=current, key=key).values_list(
                "ticket_id", flat=True
            )
        )
        candidates = current.tickets.filter(
            status__in=OPEN_STATUSES, merged_into__isnull=True
        ).order_by("pk")
        posted: list[Ticket] = []
        already = 0
        for ticket in candidates:
            if ticket.pk in sent:
                already += 1
                continue
            message = ticket_services.add_message(
                ticket, actor=actor, body=text, kind=Message.Kind.PUBLIC
            )
            IncidentNotice.objects.create(incident=current, ticket=ticket, key=key, message=message)
            posted.append(ticket)
        entry = None
        if posted:
            entry = _write(
                current,
                actor=actor,
                kind=TimelineEntry.Kind.CUSTOMER_NOTICE,
                text=text,
                notified_count=len(posted),
            )
    return NoticeResult(key=key, posted=posted, already_notified=already, entry=entry)


# --- close -------------------------------------------------------------------------------------


def incident_close(
    incident: MajorIncident, *, actor: Any, expected_version: int, review: dict[str, str]
) -> MajorIncident:
    """Close a resolved incident with its post-incident review (summary and root cause needed)."""
    unknown = set(review) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError(
            {name: [_("This is not a field of the review.")] for name in sorted(unknown)}
        )
    now = timezone.now()
    with transaction.atomic():
        current = _locked(incident)
        if current.version != expected_version:
            raise StaleVersionError(current)
        _refuse_if_closed(current)
        values = {
            name: (review[name] if name in review else getattr(current, name)).strip()
            for name in REVIEW_FIELDS
        }
        errors: dict[str, list[str]] = {}
        if current.status != IncidentStatus.RESOLVED:
            errors.setdefault("status", []).append(
                _("Resolve the incident before closing it (it is %(status)s).")
                % {"status": IncidentStatus(current.status).label}
            )
        if not values["review_summary"]:
            errors.setdefault("review_summary", []).append(
                _("Closing needs the post-incident review: write its summary.")
            )
        if not values["review_root_cause"]:
            errors.setdefault("review_root_cause", []).append(
                _("Closing needs the post-incident review: name the root cause.")
            )
        if errors:
            raise ValidationError(errors)
        closed = save_if_current(
            current,
            expected_version=expected_version,
            changes={
                **values,
                "status": IncidentStatus.CLOSED,
                "closed_at": now,
                "review_completed_at": now,
            },
        )
        _write(
            closed,
            actor=actor,
            kind=TimelineEntry.Kind.STATUS,
            text=_status_text(IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
            at=now,
        )
    return closed
