"""The ticket lifecycle: intake, conversation, status, priority, assignment, links and merge.

Every write goes through here (web, portal, API and email alike), inside one transaction, and
ends by recomputing the ticket's SLA clocks and announcing what happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.access.permissions import ADD, can
from kehu.audit import bulk as audit_bulk
from kehu.core.concurrency import save_if_current
from kehu.customers.models import Contact
from kehu.desk import clocks
from kehu.desk.matrix import priority_for, priority_from, priority_matrix
from kehu.desk.models import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    TRANSITIONS,
    AssignmentStrategy,
    Attachment,
    Category,
    CustomField,
    DeskSettings,
    Dispute,
    Message,
    Pause,
    Status,
    Tag,
    Ticket,
    TicketLink,
    Transfer,
)
from kehu.desk.priority import TicketType
from kehu.desk.signals import announce
from kehu.org.models import Department, Employee, KeyRole, Service


@dataclass
class NewTicket:
    subject: str
    body: str
    department: Department
    channel: str
    ticket_type: str = TicketType.QUESTION
    category: Category | None = None
    service: Service | None = None
    impact: str = "individual"
    severity: str = "medium"
    priority: str | None = None  # an override of the matrix; needs ``priority_reason``
    priority_reason: str = ""
    contact: Contact | None = None
    requester_employee: Employee | None = None
    assignee: Employee | None = None
    tags: Sequence[str] = ()
    custom_values: dict[str, Any] = field(default_factory=dict)
    attachments: Sequence[UploadedFile] = ()


def desk_settings(department: Department) -> DeskSettings:
    found, _created = DeskSettings.objects.get_or_create(department=department)
    return found


def default_intake_department() -> Department:
    """Where portal tickets go: the department KEHU_INTAKE_DEPARTMENT names (a code), else the
    first active department."""
    code = getattr(settings, "KEHU_INTAKE_DEPARTMENT", "")
    found = Department.objects.filter(is_active=True, code=code).first() if code else None
    found = found or Department.objects.filter(is_active=True).order_by("pk").first()
    if found is None:
        raise ValidationError(_("No department takes tickets yet; ask an administrator."))
    return found


# --- intake ------------------------------------------------------------------------------------


_LOADED_RELATIONS = [
    "department",
    "category",
    "service",
    "contact",
    "account",
    "requester_employee",
    "requesting_department",
    "created_by",
]


class _Intake:
    """What validating and opening many tickets reads once: the priority matrix and each
    department's custom fields."""

    def __init__(self) -> None:
        self.matrix = priority_matrix().cells
        self._fields: dict[int, dict[str, CustomField]] = {}

    def custom_fields(self, department: Department) -> dict[str, CustomField]:
        if department.pk not in self._fields:
            self._fields[department.pk] = _custom_fields(department)
        return self._fields[department.pk]

    def priority(self, impact: str, severity: str) -> str:
        return priority_from(self.matrix, impact, severity)


def _validated(data: NewTicket, intake: _Intake) -> dict[str, Any]:
    """The cleaned custom values of a valid request; a ValidationError names what is wrong."""
    errors: dict[str, list[str]] = {}
    if not data.subject.strip():
        errors.setdefault("subject", []).append(_("A subject is needed."))
    if not data.body.strip():
        errors.setdefault("body", []).append(_("Describe the request."))
    if (data.contact is None) == (data.requester_employee is None):
        errors.setdefault("requester", []).append(
            _("Name one requester: a customer contact or an employee.")
        )
    if data.category is not None and data.category.department_id != data.department.pk:
        errors.setdefault("category", []).append(_("This category belongs to another department."))
    if data.service is not None:
        _check_service(data.service, data.department, data.requester_employee, errors)
    if data.priority and not data.priority_reason.strip():
        errors.setdefault("priority_reason", []).append(
            _("Say why the priority differs from the impact × severity matrix.")
        )
    custom = _clean_custom_values(intake.custom_fields(data.department), data.custom_values, errors)
    _check_files(data.attachments, errors)
    if errors:
        raise ValidationError(errors)
    return custom


def create_ticket(data: NewTicket, *, actor: Any) -> Ticket:
    """Validate and open a ticket with its first message, assign it and start its clocks."""
    return create_tickets([data], actor=actor)[0]


def create_tickets(requests: Sequence[NewTicket], *, actor: Any) -> list[Ticket]:
    """Open many tickets at once, all or none (a bulk intake such as a batch of mail): the
    same rules as one at a time, with the configuration read once and the messages, clocks
    and SLA figures written in one statement each. A ValidationError names what is wrong
    with the first invalid request."""
    intake = _Intake()
    custom = [_validated(data, intake) for data in requests]
    with transaction.atomic():
        assignees = _assignees_for(requests)
        opened: list[Ticket] = []
        for data, values, assignee in zip(requests, custom, assignees, strict=True):
            matrix_priority = intake.priority(data.impact, data.severity)
            overridden = bool(data.priority) and data.priority != matrix_priority
            ticket = Ticket(
                subject=data.subject.strip(),
                ticket_type=data.ticket_type,
                channel=data.channel,
                department=data.department,
                category=data.category,
                service=data.service,
                impact=data.impact,
                severity=data.severity,
                priority=data.priority if data.priority and overridden else matrix_priority,
                priority_reason=data.priority_reason.strip() if overridden else "",
                contact=data.contact,
                account=data.contact.account if data.contact else None,
                requester_employee=data.requester_employee,
                requesting_department=(
                    data.requester_employee.department if data.requester_employee else None
                ),
                custom_values=values,
                assignee=assignee,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            # The related rows were passed in as loaded objects: no need to look each up again.
            ticket.full_clean(exclude=_LOADED_RELATIONS, validate_unique=False)
            opened.append(ticket)
        Ticket.objects.bulk_create(opened)
        audit_bulk.log_created(opened)  # bulk_create sends no signals for auditlog to hear
        messages = Message.objects.bulk_create(
            Message(
                ticket=ticket,
                kind=Message.Kind.PUBLIC,
                author_id=_requester_user_id(ticket),
                author_name=ticket.requester_name,
                from_requester=True,
                body=data.body.strip(),
            )
            for ticket, data in zip(opened, requests, strict=True)
        )
        for ticket, message, data in zip(opened, messages, requests, strict=True):
            _store_files(ticket, message, data.attachments, actor)
            if data.tags:
                ticket.tags.set(_tags(data.tags))
            requester_user = _requester_user_id(ticket)
            if requester_user is not None:
                ticket.watchers.add(requester_user)
        clocks.start(opened)
        for ticket in opened:
            announce("ticket.created", ticket, actor)
    return opened


def _assignees_for(requests: Sequence[NewTicket]) -> list[Employee | None]:
    """Who takes each new ticket: the one asked for, else by its department's strategy."""
    chosen: list[Employee | None] = [data.assignee for data in requests]
    waiting: dict[int, list[int]] = {}
    departments: dict[int, Department] = {}
    for index, data in enumerate(requests):
        if data.assignee is None:
            waiting.setdefault(data.department.pk, []).append(index)
            departments[data.department.pk] = data.department
    # Departments in id order: two intakes locking the same ones cannot deadlock.
    for department_id in sorted(waiting):
        indexes = waiting[department_id]
        for index, person in zip(
            indexes, choose_assignees(departments[department_id], len(indexes)), strict=True
        ):
            chosen[index] = person
    away: dict[int, Employee] = {}
    for index, person in enumerate(chosen):
        if person is not None:
            if person.pk not in away:
                away[person.pk] = effective_assignee(person)
            chosen[index] = away[person.pk]
    return chosen


def _check_service(
    service: Service,
    department: Department,
    employee: Employee | None,
    errors: dict[str, list[str]],
) -> None:
    if service.department_id != department.pk:
        errors.setdefault("service", []).append(
            _("This service is supplied by another department.")
        )
    if not service.is_active:
        errors.setdefault("service", []).append(_("This service is no longer offered."))
    if (
        employee is not None
        and service.audience == Service.Audience.DEPARTMENTS
        and not service.allowed_departments.filter(pk=employee.department_id).exists()
    ):
        errors.setdefault("service", []).append(
            _("Your department is not among those this service is offered to.")
        )


def _requester_user(ticket: Ticket) -> Any:
    if ticket.contact_id:
        return ticket.contact.user  # type: ignore[union-attr]
    return ticket.requester_employee.user if ticket.requester_employee else None


def _requester_user_id(ticket: Ticket) -> int | None:
    if ticket.contact_id:
        return ticket.contact.user_id  # type: ignore[union-attr]
    return ticket.requester_employee.user_id if ticket.requester_employee else None


def _tags(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({n.strip()[:50] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in cleaned]


def _custom_fields(department: Department) -> dict[str, CustomField]:
    return {f.key: f for f in CustomField.objects.filter(department=department)}


def _clean_custom_values(
    fields: dict[str, CustomField], values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in fields:
            errors.setdefault("custom_values", []).append(
                _("%(key)s is not a field of this department.") % {"key": key}
            )
    for key, spec in fields.items():
        raw = values.get(key)
        if raw in (None, "") or (spec.kind == CustomField.Kind.CHECKBOX and raw is False):
            if spec.required and spec.kind != CustomField.Kind.CHECKBOX:
                errors.setdefault("custom_values", []).append(
                    _("%(label)s is required.") % {"label": spec.label}
                )
            continue
        try:
            cleaned[key] = _coerce(spec, raw)
        except (ValueError, TypeError, InvalidOperation):
            errors.setdefault("custom_values", []).append(
                _("%(label)s: %(value)s is not a valid %(kind)s.")
                % {"label": spec.label, "value": str(raw)[:50], "kind": spec.get_kind_display()}
            )
    return cleaned


def _coerce(spec: CustomField, raw: Any) -> Any:
    if spec.kind == CustomField.Kind.NUMBER:
        number = Decimal(str(raw))
        if not number.is_finite():
            raise ValueError(raw)
        return str(number)
    if spec.kind == CustomField.Kind.DATE:
        return (
            raw.isoformat() if isinstance(raw, date) else date.fromisoformat(str(raw)).isoformat()
        )
    if spec.kind == CustomField.Kind.CHOICE:
        if str(raw) not in spec.option_list:
            raise ValueError(raw)
        return str(raw)
    if spec.kind == CustomField.Kind.CHECKBOX:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "on", "yes"):
            return True
        if str(raw).lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError(raw)
    text = str(raw).strip()
    if len(text) > 1000:
        raise ValueError(raw)
    return text


def _check_files(files: Sequence[UploadedFile], errors: dict[str, list[str]]) -> None:
    allowed = {t.lower() for t in settings.KEHU_ATTACHMENT_TYPES}
    for upload in files:
        name = upload.name or ""
        if PurePath(name).suffix.lower() not in allowed:
            errors.setdefault("attachments", []).append(
                _("%(name)s: files of this type are not accepted (allowed: %(types)s).")
                % {"name": name, "types": ", ".join(sorted(allowed))}
            )
        if upload.size is None or upload.size > settings.KEHU_ATTACHMENT_MAX_BYTES:
            errors.setdefault("attachments", []).append(
                _("%(name)s is larger than %(limit)s MB.")
                % {"name": name, "limit": settings.KEHU_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )


def _store_files(
    ticket: Ticket, message: Message, files: Sequence[UploadedFile], actor: Any
) -> None:
    for upload in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment = Attachment(
            ticket=ticket,
            message=message,
            filename=PurePath(upload.name or "file").name[:255],
            content_type=(upload.content_type or "application/octet-stream")[:100],
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        # The file is written before the row; a rolled-back transaction can leave an orphan
        # file under a random name, never a row without its file.
        attachment.file.save(upload.name or "file", upload, save=False)
        attachment.save()


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
    _check_files(attachments, errors)
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
        _store_files(ticket, message, attachments, actor)
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
            fields["custom_values"] = _clean_custom_values(
                _custom_fields(current.department), fields["custom_values"] or {}, errors
            )
        _apply_priority(current, fields, errors)
        if errors:
            raise ValidationError(errors)
        if fields.get("assignee") is not None:
            fields["assignee"] = effective_assignee(fields["assignee"])
        old_assignee = current.assignee_id
        updated = save_if_current(current, expected_version=expected_version, changes=fields)
        if tags is not None:
            updated.tags.set(_tags(tags))
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


# --- assignment --------------------------------------------------------------------------------


def effective_assignee(employee: Employee) -> Employee:
    """The person who actually takes the work: the employee, or while they are away the backup
    of a key role they hold (the first backup who is present)."""
    if not employee.is_currently_away:
        return employee
    for role in KeyRole.objects.filter(primary=employee).select_related("backup"):
        if role.backup is not None and not role.backup.is_currently_away:
            return role.backup
    return employee


def queue_members(department: Department) -> list[Employee]:
    """People who take tickets of ``department``'s queue: active, signed-up, not away."""
    people = Employee.objects.filter(
        department=department, is_active=True, user__isnull=False, user__is_active=True
    ).order_by("pk")
    return [p for p in people if not p.is_currently_away]


def choose_assignee(department: Department) -> Employee | None:
    """Pick an assignee by the department's strategy (None for manual queues)."""
    return choose_assignees(department, 1)[0]


def choose_assignees(department: Department, count: int) -> list[Employee | None]:
    """Assignees for ``count`` new tickets of ``department``, as if they arrived one by one."""
    settings_row = desk_settings(department)
    strategy = settings_row.assignment_strategy
    members = queue_members(department) if strategy != AssignmentStrategy.MANUAL else []
    if not members:
        return [None] * count
    chosen: list[Employee | None] = []
    if strategy == AssignmentStrategy.LEAST_LOAD:
        loads = dict(
            Ticket.objects.filter(assignee__in=members, status__in=OPEN_STATUSES)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        for _n in range(count):
            person = min(members, key=lambda p: (loads.get(p.pk, 0), p.pk))
            loads[person.pk] = loads.get(person.pk, 0) + 1
            chosen.append(person)
        return chosen
    # Round robin: the next member after the last one served, under a row lock so two
    # simultaneous intakes do not pick the same person.
    locked = DeskSettings.objects.select_for_update().get(pk=settings_row.pk)
    last = locked.last_assigned_id or 0
    for _n in range(count):
        person = next((p for p in members if p.pk > last), members[0])
        last = person.pk
        chosen.append(person)
    DeskSettings.objects.filter(pk=locked.pk).update(last_assigned_id=last)
    return chosen


def transfer(
    ticket: Ticket,
    *,
    actor: Any,
    to_department: Department,
    reason: str,
    directed: bool = False,
) -> Transfer:
    """Move a ticket to another department's queue; ``directed`` is the after-sales advocate
    choosing the department it judges fastest, which that department may dispute later."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the move.")]})
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.department_id == to_department.pk:
            raise ValidationError(
                {"to_department": [_("The ticket is already with this department.")]}
            )
        if current.status not in OPEN_STATUSES:
            raise ValidationError(_("Only open tickets can be moved."))
        record = Transfer.objects.create(
            ticket=current,
            from_department_id=current.department_id,
            to_department=to_department,
            directed=directed,
            reason=reason.strip(),
            by=actor,
        )
        current.department = to_department
        current.category = None
        current.assignee = None
        assignee = choose_assignee(to_department)
        if assignee is not None:
            current.assignee = effective_assignee(assignee)
        current.version += 1
        current.save(update_fields=["department", "category", "assignee", "version", "updated_at"])
        clocks.recompute(current)
        announce(
            "ticket.transferred",
            current,
            actor,
            to_department_id=to_department.pk,
            directed=directed,
        )
    return record


def has_worked(ticket: Ticket, department_id: int, since: datetime) -> bool:
    """Whether someone of ``department_id`` answered the requester or resolved the ticket after
    ``since``: the condition for disputing a directed transfer."""
    replied = Message.objects.filter(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        from_requester=False,
        created_at__gte=since,
        author__employee__department_id=department_id,
    ).exists()
    resolved_at = ticket.resolved_at
    return replied or (resolved_at is not None and resolved_at >= since)


class DisputeRefused(ValidationError):
    """A dispute that cannot be filed or decided in the transfer's or dispute's present state."""


def file_dispute(record: Transfer, *, actor: Any, reason: str) -> Dispute:
    """The receiving department objects to a directed transfer, after working the ticket."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the direction was wrong.")]})
    with transaction.atomic():
        # The lock serialises two people of the department disputing at the same moment.
        record = Transfer.objects.select_for_update().select_related("ticket").get(pk=record.pk)
        if not record.directed:
            raise DisputeRefused(_("Only a directed transfer can be disputed."))
        if Dispute.objects.filter(transfer=record).exists():
            raise DisputeRefused(_("This direction has been disputed already."))
        if not can(actor, ADD, Dispute(transfer=record)):
            raise DisputeRefused(_("Only the receiving department can dispute the direction."))
        if not has_worked(record.ticket, record.to_department_id, record.created_at):
            raise DisputeRefused(
                _("Work the ticket first (answer the requester or resolve it), then dispute.")
            )
        return Dispute.objects.create(transfer=record, reason=reason.strip(), filed_by=actor)


def decide_dispute(
    dispute: Dispute, *, actor: Any, expected_version: int, outcome: str, note: str
) -> Dispute:
    """Uphold or dismiss an open dispute (StaleVersionError if it moved on since it was read)."""
    if outcome not in (Dispute.Outcome.UPHELD, Dispute.Outcome.DISMISSED):
        raise ValidationError({"outcome": [_("Decide: upheld or dismissed.")]})
    with transaction.atomic():
        current = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if current.outcome != Dispute.Outcome.OPEN and current.version == expected_version:
            raise DisputeRefused(_("This dispute has been decided already."))
        return save_if_current(
            current,
            expected_version=expected_version,
            changes={"outcome": outcome, "decision_note": note.strip(), "decided_by": actor},
        )


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
