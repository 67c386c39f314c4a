"""Ticket intake: one or many new tickets from any channel (web, portal, API, email).

Validation (custom fields, attachments, service), assignment and the first SLA clocks happen in one
transaction per batch; the other writes are in ``changes`` and ``assignment``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit import bulk as audit_bulk
from kehu.customers.models import Contact
from kehu.desk.models import (
    Attachment,
    Category,
    CustomField,
    Message,
    Tag,
    Ticket,
)
from kehu.desk.priority import TicketType
from kehu.desk.signals import announce
from kehu.desk.sla import clocks
from kehu.desk.sla.matrix import priority_from, priority_matrix
from kehu.desk.staffing import effective_assignee, fronting_person
from kehu.desk.tickets.assignment import choose_assignees
from kehu.org.models import Department, Employee, Service


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
            self._fields[department.pk] = department_custom_fields(department)
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
    custom = clean_custom_values(intake.custom_fields(data.department), data.custom_values, errors)
    check_files(data.attachments, errors)
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
            store_files(ticket, message, data.attachments, actor)
            if data.tags:
                ticket.tags.set(tags_named(data.tags))
            requester_user = _requester_user_id(ticket)
            if requester_user is not None:
                ticket.watchers.add(requester_user)
        clocks.start(opened)
        for ticket in opened:
            announce("ticket.created", ticket, actor)
    return opened


def _assignees_for(requests: Sequence[NewTicket]) -> list[Employee | None]:
    """Who takes each new ticket: the one asked for, else for an internal request the interface
    person who fronts it, else by its department's strategy."""
    chosen: list[Employee | None] = [data.assignee for data in requests]
    waiting: dict[int, list[int]] = {}
    departments: dict[int, Department] = {}
    for index, data in enumerate(requests):
        if data.assignee is None and data.requester_employee is not None:
            chosen[index] = fronting_person(
                data.department.pk, data.service, data.requester_employee.department_id
            )
        if chosen[index] is None:
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


def tags_named(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({n.strip()[:50] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in cleaned]


def department_custom_fields(department: Department) -> dict[str, CustomField]:
    return {f.key: f for f in CustomField.objects.filter(department=department)}


def clean_custom_values(
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


def check_files(files: Sequence[UploadedFile], errors: dict[str, list[str]]) -> None:
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


def store_files(
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
