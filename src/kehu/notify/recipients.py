"""Who hears of each ticket event.

Every candidate must be able to open the ticket, internal notes reach only people who may see
internal notes, and nobody is told about what they did themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kehu.access.models import User
from kehu.access.permissions import VIEW, can, is_admin, roles_of
from kehu.desk.models import Message, Ticket
from kehu.desk.rules import sees_internal, visible_tickets
from kehu.notify.models import Event
from kehu.org.models import Department


class Directory:
    """The people events name (assignees, heads, watchers, requesters), loaded for a whole batch
    of events in a few queries and shared between them, so that each user's roles are also
    read only once."""

    def __init__(self) -> None:
        self._by_employee: dict[int, User | None] = {}
        self._heads: dict[int, int | None] = {}
        self._watchers: dict[int, list[User]] = {}
        self._by_contact: dict[int, User | None] = {}
        self._users: dict[int, User] = {}
        self._tickets: set[int] = set()
        self._visible: dict[int, set[int]] = {}

    def preload(self, needs: Iterable[tuple[str, Ticket, dict[str, Any]]]) -> Directory:
        """Load what ``recipients`` will ask for (event, ticket, data) at once."""
        employees: set[int] = set()
        departments: set[int] = set()
        watched: set[int] = set()
        contacts: set[int] = set()
        for event, ticket, data in needs:
            self._tickets.add(ticket.pk)
            if event == Event.CREATED:
                if ticket.assignee_id:
                    employees.add(ticket.assignee_id)
                elif ticket.department_id:
                    departments.add(ticket.department_id)
            elif event == Event.ASSIGNED and data.get("assignee_id"):
                employees.add(data["assignee_id"])
            elif event == Event.TRANSFERRED and data.get("to_department_id"):
                departments.add(data["to_department_id"])
            elif event in (Event.SLA_WARNING, Event.SLA_ESCALATION):
                employees.update(i for i in data.get("recipient_ids") or [] if i)
            elif event == Event.MESSAGE_ADDED:
                if ticket.assignee_id:
                    employees.add(ticket.assignee_id)
                watched.add(ticket.pk)
                if ticket.contact_id:
                    contacts.add(ticket.contact_id)
                elif ticket.requester_employee_id:
                    employees.add(ticket.requester_employee_id)
        departments -= self._heads.keys()
        if departments:
            heads = dict(Department.objects.filter(pk__in=departments).values_list("pk", "head_id"))
            for pk in departments:
                self._heads[pk] = heads.get(pk)
            employees.update(h for h in heads.values() if h)
        self._load_employees(employees)
        watched -= self._watchers.keys()
        if watched:
            for pk in watched:
                self._watchers[pk] = []
            through = Ticket.watchers.through.objects.filter(ticket_id__in=watched)
            for row in through.select_related("user"):
                self._watchers[row.ticket_id].append(self._shared(row.user))
        contacts -= self._by_contact.keys()
        if contacts:
            for pk in contacts:
                self._by_contact[pk] = None
            for user in User.objects.filter(contact__pk__in=contacts).select_related("contact"):
                self._by_contact[user.contact.pk] = self._shared(user)
        return self

    def _load_employees(self, ids: Iterable[int]) -> None:
        wanted = {i for i in ids if i} - self._by_employee.keys()
        if not wanted:
            return
        for pk in wanted:
            self._by_employee[pk] = None
        for user in User.objects.filter(employee__pk__in=wanted).select_related("employee"):
            self._by_employee[user.employee.pk] = self._shared(user)

    def can_view(self, user: User, ticket: Ticket) -> bool:
        """``can(user, VIEW, ticket)``, answered for all the batch's tickets in one query per
        user (an hour of SLA backlog names hundreds of tickets and a handful of people)."""
        if ticket.pk not in self._tickets or is_admin(user) or not roles_of(user):
            return can(user, VIEW, ticket)
        if user.pk not in self._visible:
            among = Ticket.objects.filter(pk__in=self._tickets)
            self._visible[user.pk] = set(visible_tickets(user, among).values_list("pk", flat=True))
        return ticket.pk in self._visible[user.pk]

    def _shared(self, user: User) -> User:
        """One object per user across the batch (it carries the user's cached roles)."""
        return self._users.setdefault(user.pk, user)

    def employees(self, ids: Iterable[int | None]) -> list[User]:
        wanted = [i for i in ids if i]
        self._load_employees(wanted)
        return [u for u in (self._by_employee[i] for i in wanted) if u is not None]

    def department_head(self, department_id: int | None) -> list[User]:
        if not department_id:
            return []
        if department_id not in self._heads:
            self._heads[department_id] = (
                Department.objects.filter(pk=department_id)
                .values_list("head_id", flat=True)
                .first()
            )
        return self.employees([self._heads[department_id]])

    def watchers(self, ticket: Ticket) -> list[User]:
        if ticket.pk not in self._watchers:
            self._watchers[ticket.pk] = list(ticket.watchers.all())
        return self._watchers[ticket.pk]

    def requester(self, ticket: Ticket) -> User | None:
        if ticket.contact_id:
            if ticket.contact_id not in self._by_contact:
                self._by_contact[ticket.contact_id] = User.objects.filter(
                    contact__pk=ticket.contact_id
                ).first()
            return self._by_contact[ticket.contact_id]
        if ticket.requester_employee_id:
            found = self.employees([ticket.requester_employee_id])
            return found[0] if found else None
        return None


def messages_of(data: Iterable[dict[str, Any]]) -> dict[int, Message]:
    """The messages events name by ``message_id``, in one query."""
    ids = {d["message_id"] for d in data if d.get("message_id")}
    if not ids:
        return {}
    return {m.pk: m for m in Message.objects.select_related("author").filter(pk__in=ids)}


def recipients(
    event: str,
    ticket: Ticket,
    actor: Any,
    data: dict[str, Any],
    message: Message | None = None,
    directory: Directory | None = None,
) -> list[User]:
    """The users to notify of ``event``, each allowed to see the ticket (and the note)."""
    people = directory or Directory().preload([(event, ticket, data)])
    candidates: list[User] = []
    authors = {getattr(actor, "pk", None)}
    if event == Event.CREATED:
        candidates = (
            people.employees([ticket.assignee_id])
            if ticket.assignee_id
            else people.department_head(ticket.department_id)
        )
    elif event == Event.ASSIGNED:
        candidates = people.employees([data.get("assignee_id")])
    elif event == Event.TRANSFERRED:
        candidates = people.department_head(data.get("to_department_id"))
    elif event in (Event.SLA_WARNING, Event.SLA_ESCALATION):
        candidates = people.employees(data.get("recipient_ids") or [])
    elif event == Event.MESSAGE_ADDED and message is not None:
        authors.add(message.author_id)
        candidates = people.employees([ticket.assignee_id])
        candidates += people.watchers(ticket)
        if message.kind != Message.Kind.INTERNAL and not message.from_requester:
            requester = people.requester(ticket)
            if requester is not None:
                candidates.append(requester)
    chosen: dict[int, User] = {}
    for user in candidates:
        if user.pk in authors or user.pk in chosen or not user.is_active:
            continue
        if not people.can_view(user, ticket):
            continue
        if (
            message is not None
            and message.kind == Message.Kind.INTERNAL
            and not sees_internal(user, ticket)
        ):
            continue
        chosen[user.pk] = user
    return list(chosen.values())
