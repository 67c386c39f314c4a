"""Writes on an existing ticket: conversation, field changes, status, links and merge.

Every write runs inside one transaction and ends by recomputing the ticket's SLA clocks and
announcing what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.concurrency import save_if_current
from kehu.desk.models import (
    PAUSED_STATUSES,
    TRANSITIONS,
    DeskSettings,
    Message,
    Pause,
    Status,
    Ticket,
    TicketLink,
)
from kehu.desk.signals import announce
from kehu.desk.sla import clocks
from kehu.desk.sla.matrix import priority_for
from kehu.desk.staffing import effective_assignee
from kehu.desk.tickets.intake import (
    check_files,
    clean_custom_values,
    department_custom_fields,
    store_files,
    tags_named,
)

# --- conversation ------------------------------------------------------------------------------


def add_message(
    ticket: Ticket,
    *,
    actor: Any,
    body: str,
    kind: str = Message.Kind.PUBLIC,
    from_requester: bool = False,
    author_name: str = "",
    attachments: Sequence[UploadedFile] = (),
    new_status: str | None = None,
    automatic: bool = False,
) -> Message:
    """Append a reply or note. A public staff reply is the first response / next response; a
    requester's message resumes a waiting ticket, reopens a resolved one and starts the
    next-response clock."""
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors.setdefault("body", []).append(_("The message is empty."))
    if kind not in Message.Kind.values:
        errors.setdefault("kind", []).append(_("Unknown kind of message."))
    if from_requester and kind != Message.Kind.PUBLIC:
        errors.setdefault("kind", []).append(_("A requester's message is always public."))
    check_files(attachments, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        # The account comes along for the SLA match (its level); only the ticket is locked.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=ticket.pk)
        )
        if ticket.status == Status.CLOSED:
            raise ValidationError(
                _("%(ticket)s is closed; open a new ticket that refers to it.")
                % {"ticket": ticket.reference}
            )
        if ticket.merged_into_id:
            raise ValidationError(_("This ticket was merged; reply on the ticket it went into."))
        message = Message.objects.create(
            ticket=ticket,
            kind=Message.Kind.SYSTEM if automatic else kind,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            author_name=author_name or _display(actor),
            from_requester=from_requester,
            body=body.strip(),
        )
        store_files(ticket, message, attachments, actor)
        changes: dict[str, Any] = {}
        if from_requester:
            if ticket.awaiting_reply_since is None:
                changes["awaiting_reply_since"] = now
            if ticket.status in PAUSED_STATUSES or ticket.status == Status.RESOLVED:
                new_status = Status.OPEN
        elif kind == Message.Kind.PUBLIC and not automatic:
            if ticket.first_response_at is None:
                changes["first_response_at"] = now
            changes["awaiting_reply_since"] = None
            ticket.clocks.filter(target="next_response", stopped_at__isnull=True).update(
                stopped_at=now
            )
            if ticket.status == Status.NEW and new_status is None:
                new_status = Status.OPEN
        for name, value in changes.items():
            setattr(ticket, name, value)
        if changes:
            Ticket.objects.filter(pk=ticket.pk).update(**changes)
        if new_status and new_status != ticket.status:
            _move_status(ticket, new_status, actor, now)
        clocks.recompute(ticket, now=now)
        announce(
            "ticket.message_added",
            ticket,
            actor,
            message_id=message.pk,
            kind=message.kind,
            from_requester=message.from_requester,
        )
    return message


def _display(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _("System")
    return str(actor)


# --- changes -----------------------------------------------------------------------------------

EDITABLE = (
    "subject",
    "ticket_type",
    "category",
    "service",
    "impact",
    "severity",
    "priority",
    "priority_reason",
    "status",
    "assignee",
    "custom_values",
)


def update_ticket(
    ticket: Ticket,
    *,
    actor: Any,
    expected_version: int,
    changes: dict[str, Any],
    tags: Sequence[str] | None = None,
) -> Ticket:
    """Change fields of a ticket if nobody saved it since ``expected_version``.

    Status moves follow TRANSITIONS; a priority other than the matrix's needs a reason;
    impact or severity changes recompute the priority unless it was overridden.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(list)s")
            % {"list": ", ".join(sorted(unknown))}
        )
    now = timezone.now()
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        fields = dict(changes)
        new_status = fields.pop("status", None)
        errors: dict[str, list[str]] = {}
        if (
            new_status is not None
            and new_status != current.status
            and new_status not in TRANSITIONS.get(current.status, frozenset())
        ):
            errors.setdefault("status", []).append(
                _("A ticket cannot go from %(old)s to %(new)s.")
                % {
                    "old": Status(current.status).label,
                    "new": Status(new_status).label if new_status in Status.values else new_status,
                }
            )
        category = fields.get("category", current.category)
        if category is not None and category.department_id != current.department_id:
            errors.setdefault("category", []).append(
                _("This category belongs to another department.")
            )
        if "custom_values" in fields:
            fields["custom_values"] = clean_custom_values(
                department_custom_fields(current.department), fields["custom_values"] or {}, errors
            )
        _apply_priority(current, fields, errors)
        if errors:
            raise ValidationError(errors)
        if fields.get("assignee") is not None:
            fields["assignee"] = effective_assignee(fields["assignee"])
        old_assignee = current.assignee_id
        updated = save_if_current(current, expected_version=expected_version, changes=fields)
        if tags is not None:
            updated.tags.set(tags_named(tags))
        if new_status is not None and new_status != updated.status:
            _move_status(updated, new_status, actor, now)
        clocks.recompute(updated, now=now)
        announce("ticket.updated", updated, actor, fields=sorted(changes))
        if updated.assignee_id != old_assignee:
            announce("ticket.assigned", updated, actor, assignee_id=updated.assignee_id)
    return updated


def _apply_priority(current: Ticket, fields: dict[str, Any], errors: dict[str, list[str]]) -> None:
    impact = fields.get("impact", current.impact)
    severity = fields.get("severity", current.severity)
    matrix = priority_for(impact, severity)
    if "priority" in fields and fields["priority"] != matrix:
        reason = str(fields.get("priority_reason", "")).strip()
        if not reason:
            errors.setdefault("priority_reason", []).append(
                _("Say why the priority differs from the impact × severity matrix.")
            )
        fields["priority_reason"] = reason
    elif "priority" in fields or (
        ("impact" in fields or "severity" in fields) and not current.priority_reason
    ):
        fields["priority"] = matrix
        fields["priority_reason"] = ""


def _move_status(ticket: Ticket, new_status: str, actor: Any, now: datetime) -> None:
    """Record a status change and its effect on pauses, resolution and closing."""
    old_status = ticket.status
    if new_status not in TRANSITIONS.get(old_status, frozenset()):
        raise ValidationError(
            {
                "status": [
                    _("A ticket cannot go from %(old)s to %(new)s.")
                    % {"old": Status(old_status).label, "new": new_status}
                ]
            }
        )
    updates: dict[str, Any] = {"status": new_status}
    if old_status in PAUSED_STATUSES:
        Pause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
    if new_status in PAUSED_STATUSES:
        Pause.objects.create(ticket=ticket, started_at=now, status=new_status)
    if new_status == Status.RESOLVED:
        updates["resolved_at"] = now
    if old_status == Status.RESOLVED and new_status == Status.OPEN:
        # The resolved span does not count against the resolution target.
        resolved_at = ticket.resolved_at or now
        Pause.objects.create(
            ticket=ticket, started_at=resolved_at, ended_at=now, status=Status.RESOLVED
        )
        updates["resolved_at"] = None
        ticket.clocks.filter(target="resolution").update(stopped_at=None)
    if new_status == Status.CLOSED:
        updates["closed_at"] = now
    for name, value in updates.items():
        setattr(ticket, name, value)
    # The status is audited like any field edit (one history entry per move).
    ticket.save(update_fields=[*updates, "updated_at"])
    announce("ticket.status_changed", ticket, actor, old=old_status, new=new_status)
    if new_status == Status.RESOLVED:
        announce("ticket.resolved", ticket, actor)
    elif new_status == Status.CLOSED:
        announce("ticket.closed", ticket, actor)
    elif old_status == Status.RESOLVED:
        announce("ticket.reopened", ticket, actor)


def change_status(ticket: Ticket, new_status: str, *, actor: Any) -> Ticket:
    """Move one ticket to ``new_status`` (bulk actions, portal "close"), no version needed:
    a status move is checked against the current status under a row lock."""
    now = timezone.now()
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if new_status != current.status:
            _move_status(current, new_status, actor, now)
            Ticket.objects.filter(pk=current.pk).update(version=current.version + 1)
            current.version += 1
        clocks.recompute(current, now=now)
    return current


def auto_close(*, now: datetime | None = None) -> int:
    """Close tickets resolved longer ago than their department's auto-close period."""
    now = now or timezone.now()
    periods = dict(DeskSettings.objects.values_list("department_id", "auto_close_days"))
    default_days = DeskSettings._meta.get_field("auto_close_days").default
    closed = 0
    candidates = Ticket.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=1)
    ).values_list("pk", "department_id", "resolved_at")
    for pk, department_id, resolved_at in candidates.iterator():
        days = periods.get(department_id, default_days)
        if days and resolved_at is not None and resolved_at <= now - timedelta(days=days):
            with transaction.atomic():
                # Conditional: a reopen that raced us wins and the ticket stays open.
                ticket = (
                    Ticket.objects.select_for_update().filter(pk=pk, status=Status.RESOLVED).first()
                )
                if ticket is None:
                    continue
                _move_status(ticket, Status.CLOSED, None, now)
                Ticket.objects.filter(pk=pk).update(version=ticket.version + 1)
                closed += 1
    return closed


# --- links and merge ---------------------------------------------------------------------------


def link(source: Ticket, target: Ticket, *, kind: str, actor: Any) -> TicketLink:
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    if kind not in TicketLink.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind of link.")]})
    if TicketLink.objects.filter(
        Q(source=source, target=target) | Q(source=target, target=source)
    ).exists():
        raise ValidationError(_("These tickets are already linked."))
    return TicketLink.objects.create(source=source, target=target, kind=kind, created_by=actor)


def merge(source: Ticket, target: Ticket, *, actor: Any) -> Ticket:
    """Merge ``source`` into ``target``: its requester's messages are copied over as context,
    its watchers and tags join, it is closed with a pointer and a duplicate link."""
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    if target.status == Status.CLOSED or target.merged_into_id:
        raise ValidationError(_("The ticket to merge into must still be open."))
    if source.merged_into_id:
        raise ValidationError(_("This ticket was merged already."))
    now = timezone.now()
    with transaction.atomic():
        source = Ticket.objects.select_for_update().get(pk=source.pk)
        target = Ticket.objects.select_for_update().get(pk=target.pk)
        public = source.messages.filter(kind=Message.Kind.PUBLIC).order_by("created_at")
        summary = "\n\n".join(
            f"[{m.created_at:%Y-%m-%d %H:%M} {m.author_name}]\n{m.body}" for m in public
        )
        Message.objects.create(
            ticket=target,
            kind=Message.Kind.INTERNAL,
            author=actor,
            author_name=_display(actor),
            body=_("Merged from %(ref)s “%(subject)s”:")
            % {
                "ref": source.reference,
                "subject": source.subject,
            }
            + "\n\n"
            + summary,
        )
        Message.objects.create(
            ticket=source,
            kind=Message.Kind.SYSTEM,
            author=actor,
            author_name=_display(actor),
            body=_("Merged into %(ref)s.") % {"ref": target.reference},
        )
        target.watchers.add(*source.watchers.all())
        target.tags.add(*source.tags.all())
        TicketLink.objects.get_or_create(
            source=source,
            target=target,
            defaults={"kind": TicketLink.Kind.DUPLICATE, "created_by": actor},
        )
        source.merged_into = target
        source.status = Status.CLOSED
        source.closed_at = now
        source.version += 1
        source.save(update_fields=["merged_into", "status", "closed_at", "version", "updated_at"])
        Pause.objects.filter(ticket=source, ended_at__isnull=True).update(ended_at=now)
        clocks.recompute(source, now=now)
        announce("ticket.merged", source, actor, into=target.pk)
    return target
