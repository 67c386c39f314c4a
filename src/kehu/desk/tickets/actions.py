"""Ticket actions as a signed-in person takes them (API, and any view that wants the same rules).

These turn ids into objects, decide the requester and channel from who is acting, apply the
permission rules of ``kehu.desk.rules`` through ``kehu.access.permissions`` and call the lifecycle
services of ``kehu.desk.tickets``. Nothing here changes how a ticket behaves once it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.access.models import Role, User
from kehu.access.permissions import ADD, CHANGE, access_object, authorize, roles_of
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Contact
from kehu.customers.rules import portal_contact
from kehu.desk.models import Category, Channel, Message, Ticket, Transfer
from kehu.desk.rules import (
    can_reply_as_requester,
    is_desk_staff,
    may_direct,
    may_watch,
    works_queue,
)
from kehu.desk.tickets import assignment, intake
from kehu.desk.tickets import changes as ticket_changes
from kehu.org.models import Department, Employee, Service

STAFF_CHANNELS = (Channel.WEB, Channel.PHONE, Channel.VISIT, Channel.API)


def _get(model: type[Model], pk: int | None, field_name: str, **lookups: Any) -> Any:
    """The ``model`` row with ``pk`` (None stays None), or a field error naming ``field_name``."""
    if pk is None:
        return None
    found = model._default_manager.filter(pk=pk, **lookups).first()
    if found is None:
        raise ValidationError({field_name: [_("No such record: %(id)s.") % {"id": pk}]})
    return found


def _own_employee(user: Any) -> Employee | None:
    return Employee.objects.filter(user=user, is_active=True).select_related("department").first()


# --- intake ------------------------------------------------------------------------------------


@dataclass
class TicketRequest:
    """A new ticket as a client asks for it: ids, not objects; who is asking decides the rest."""

    subject: str
    body: str
    ticket_type: str
    impact: str
    severity: str
    department_id: int | None = None
    category_id: int | None = None
    service_id: int | None = None
    contact_id: int | None = None
    requester_employee_id: int | None = None
    channel: str | None = None
    priority: str | None = None
    priority_reason: str = ""
    assignee_id: int | None = None
    tags: Sequence[str] = ()
    custom_values: dict[str, Any] = field(default_factory=dict)


def open_ticket(actor: Any, request: TicketRequest) -> Ticket:
    """Open a ticket as ``actor``: staff for a named contact or employee, a portal customer for
    themselves, an employee for themselves from the service catalogue."""
    authorize(actor, ADD, Ticket)
    if request.contact_id is not None or request.requester_employee_id is not None:
        if Role.CUSTOMER in roles_of(actor) and not is_desk_staff(actor):
            return _portal_intake(actor, request)
        return _staff_intake(actor, request)
    if Role.CUSTOMER in roles_of(actor) and portal_contact(actor) is not None:
        return _portal_intake(actor, request)
    if request.service_id is not None and _own_employee(actor) is not None:
        return _internal_intake(actor, request)
    raise ValidationError(
        {
            "contact_id": [
                _(
                    "Name the requester (contact_id or requester_employee_id), or give the "
                    "service_id of the catalogued service you request."
                )
            ]
        }
    )


def _staff_intake(actor: Any, request: TicketRequest) -> Ticket:
    department = _get(Department, request.department_id, "department_id", is_active=True)
    if department is None:
        raise ValidationError({"department_id": [_("Choose the handling department.")]})
    if not works_queue(actor, Ticket(department=department)):
        raise PermissionDenied
    channel = request.channel or Channel.API
    if channel not in STAFF_CHANNELS:
        raise ValidationError(
            {
                "channel": [
                    _("Staff log tickets from the web form, a phone call, a visit or the API.")
                ]
            }
        )
    contact = _get(Contact, request.contact_id, "contact_id", is_active=True)
    employee = _get(Employee, request.requester_employee_id, "requester_employee_id")
    return intake.create_ticket(
        _new_ticket(request, department, channel, contact=contact, employee=employee), actor=actor
    )


def _portal_intake(actor: Any, request: TicketRequest) -> Ticket:
    contact = portal_contact(actor)
    if contact is None:
        raise PermissionDenied
    if request.contact_id is not None and request.contact_id != contact.pk:
        # Another account's contact does not exist for this customer; a colleague's is not theirs.
        access_object(actor, Contact, request.contact_id)
        raise PermissionDenied
    if request.requester_employee_id is not None:
        raise PermissionDenied
    # Customers describe the problem; the desk decides department, priority, assignee and tags.
    request = replace(request, priority=None, priority_reason="", assignee_id=None, tags=())
    return intake.create_ticket(
        _new_ticket(request, intake.default_intake_department(), Channel.PORTAL, contact=contact),
        actor=actor,
    )


def _internal_intake(actor: Any, request: TicketRequest) -> Ticket:
    employee = _own_employee(actor)
    service = _get(Service, request.service_id, "service_id")
    if employee is None or service is None:  # pragma: no cover - checked by the caller
        raise PermissionDenied
    request = replace(request, priority=None, priority_reason="", assignee_id=None)
    return intake.create_ticket(
        _new_ticket(request, service.department, Channel.INTERNAL, employee=employee),
        actor=actor,
    )


def _new_ticket(
    request: TicketRequest,
    department: Department,
    channel: str,
    *,
    contact: Contact | None = None,
    employee: Employee | None = None,
) -> intake.NewTicket:
    category = _get(Category, request.category_id, "category_id")
    service = _get(Service, request.service_id, "service_id")
    assignee = _get(Employee, request.assignee_id, "assignee_id", is_active=True)
    return intake.NewTicket(
        subject=request.subject,
        body=request.body,
        department=department,
        channel=channel,
        ticket_type=request.ticket_type,
        category=category,
        service=service,
        impact=request.impact,
        severity=request.severity,
        priority=request.priority,
        priority_reason=request.priority_reason,
        contact=contact,
        requester_employee=employee,
        assignee=assignee,
        tags=list(request.tags),
        custom_values=dict(request.custom_values),
    )


# --- changes -----------------------------------------------------------------------------------


def edit_ticket(
    ticket: Ticket,
    *,
    actor: Any,
    expected_version: int,
    changes: dict[str, Any],
    tags: Sequence[str] | None = None,
) -> Ticket:
    """``ticket_changes.update_ticket`` with ids (``category_id``, ``assignee_id``) resolved first."""
    fields = dict(changes)
    if "category_id" in fields:
        fields["category"] = _get(Category, fields.pop("category_id"), "category_id")
    if "assignee_id" in fields:
        fields["assignee"] = _get(
            Employee, fields.pop("assignee_id"), "assignee_id", is_active=True
        )
    return ticket_changes.update_ticket(
        ticket, actor=actor, expected_version=expected_version, changes=fields, tags=tags
    )


def post_message(
    ticket: Ticket,
    *,
    actor: Any,
    body: str,
    kind: str,
    on_behalf_of_requester: bool = False,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """A reply or note: staff working the queue choose public or internal; the requester (portal
    customer or requesting employee) only ever writes public messages, as the requester."""
    if works_queue(actor, ticket):
        return ticket_changes.add_message(
            ticket,
            actor=actor,
            body=body,
            kind=kind,
            from_requester=on_behalf_of_requester,
            author_name=ticket.requester_name if on_behalf_of_requester else "",
            attachments=attachments,
        )
    if can_reply_as_requester(actor, ticket):
        if kind != Message.Kind.PUBLIC:
            raise PermissionDenied
        return ticket_changes.add_message(
            ticket, actor=actor, body=body, from_requester=True, attachments=attachments
        )
    raise PermissionDenied


def transfer_ticket(
    ticket: Ticket, *, actor: Any, to_department_id: int, reason: str, directed: bool
) -> Transfer:
    """Move to another department's queue; only the after-sales advocate may *direct* it."""
    if directed and not may_direct(actor):
        raise PermissionDenied
    department = _get(Department, to_department_id, "to_department_id", is_active=True)
    return assignment.transfer(
        ticket, actor=actor, to_department=department, reason=reason, directed=directed
    )


# --- watchers ----------------------------------------------------------------------------------


def watch(ticket: Ticket, *, actor: Any, user_id: int) -> None:
    """Add a watcher: anyone who sees the ticket adds themselves; its workers add others."""
    if user_id != actor.pk:
        authorize(actor, CHANGE, ticket)
    person = _get(User, user_id, "user_id", is_active=True)
    if not may_watch(person, ticket):
        raise ValidationError({"user_id": [_("This person may not see this ticket.")]})
    ticket.watchers.add(person)


def unwatch(ticket: Ticket, *, actor: Any, user_id: int) -> None:
    """Remove a watcher: yourself, or anyone if you work the ticket's queue."""
    if user_id != actor.pk:
        authorize(actor, CHANGE, ticket)
    ticket.watchers.remove(user_id)


# --- bulk --------------------------------------------------------------------------------------


@dataclass
class BulkFailure:
    id: int
    code: str
    message: str
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)
    failed: list[BulkFailure] = field(default_factory=list)


def bulk_update(
    actor: Any,
    *,
    ids: Sequence[int],
    changes: dict[str, Any],
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
) -> BulkResult:
    """Apply the same change to each ticket on its own: each is permission-checked and saved in
    its own transaction, and every ticket that could not be changed is reported with why."""
    result = BulkResult()
    for pk in dict.fromkeys(ids):  # each once, in the order given
        try:
            ticket = access_object(actor, Ticket, pk, action=CHANGE)
            tags = None
            if add_tags or remove_tags:
                names = set(ticket.tags.values_list("name", flat=True))
                tags = sorted((names | set(add_tags)) - set(remove_tags))
            edit_ticket(
                ticket,
                actor=actor,
                expected_version=ticket.version,
                changes=dict(changes),
                tags=tags,
            )
        except Http404:
            result.failed.append(BulkFailure(pk, "not_found", _("Not found.")))
        except PermissionDenied:
            result.failed.append(
                BulkFailure(pk, "forbidden", _("You are not allowed to change this ticket."))
            )
        except StaleVersionError as exc:
            result.failed.append(BulkFailure(pk, "stale_version", str(exc)))
        except ValidationError as exc:
            result.failed.append(
                BulkFailure(pk, "invalid", _("The change is not valid here."), _field_errors(exc))
            )
        else:
            result.updated.append(pk)
    return result


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if name == "__all__" else name, "message": str(message)}
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": str(message)} for message in exc.messages]
