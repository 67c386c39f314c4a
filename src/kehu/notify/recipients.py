"""Who hears of each ticket event.

Every candidate must be able to open the ticket, internal notes reach only people who may see
internal notes, and nobody is told about what they did themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kehu.access.models import User
from kehu.access.permissions import VIEW, can
from kehu.desk.models import Message, Ticket
from kehu.desk.rules import sees_internal
from kehu.notify.models import Event
from kehu.org.models import Department


def _users_of_employees(ids: Iterable[int | None]) -> list[User]:
    wanted = [i for i in ids if i]
    if not wanted:
        return []
    return list(User.objects.filter(employee__pk__in=wanted).select_related("employee"))


def _department_head(department_id: int | None) -> list[User]:
    head = (
        Department.objects.filter(pk=department_id).values_list("head_id", flat=True).first()
        if department_id
        else None
    )
    return _users_of_employees([head])


def _requester_user(ticket: Ticket) -> User | None:
    if ticket.contact_id:
        return User.objects.filter(contact__pk=ticket.contact_id).first()
    if ticket.requester_employee_id:
        return User.objects.filter(employee__pk=ticket.requester_employee_id).first()
    return None


def message_of(data: dict[str, Any]) -> Message | None:
    message_id = data.get("message_id")
    if not message_id:
        return None
    return Message.objects.select_related("author").filter(pk=message_id).first()


def recipients(
    event: str, ticket: Ticket, actor: Any, data: dict[str, Any], message: Message | None = None
) -> list[User]:
    """The users to notify of ``event``, each allowed to see the ticket (and the note)."""
    candidates: list[User] = []
    authors = {getattr(actor, "pk", None)}
    if event == Event.CREATED:
        candidates = (
            _users_of_employees([ticket.assignee_id])
            if ticket.assignee_id
            else _department_head(ticket.department_id)
        )
    elif event == Event.ASSIGNED:
        candidates = _users_of_employees([data.get("assignee_id")])
    elif event == Event.TRANSFERRED:
        candidates = _department_head(data.get("to_department_id"))
    elif event in (Event.SLA_WARNING, Event.SLA_ESCALATION):
        candidates = _users_of_employees(data.get("recipient_ids") or [])
    elif event == Event.MESSAGE_ADDED and message is not None:
        authors.add(message.author_id)
        candidates = _users_of_employees([ticket.assignee_id])
        candidates += list(ticket.watchers.all())
        if message.kind != Message.Kind.INTERNAL and not message.from_requester:
            requester = _requester_user(ticket)
            if requester is not None:
                candidates.append(requester)
    chosen: dict[int, User] = {}
    for user in candidates:
        if user.pk in authors or user.pk in chosen or not user.is_active:
            continue
        if not can(user, VIEW, ticket):
            continue
        if (
            message is not None
            and message.kind == Message.Kind.INTERNAL
            and not sees_internal(user, ticket)
        ):
            continue
        chosen[user.pk] = user
    return list(chosen.values())
