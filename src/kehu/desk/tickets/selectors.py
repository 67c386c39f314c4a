"""Reads of tickets: the visible, filtered, sortable list and one ticket with everything shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Case, DateTimeField, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.desk.models import SlaClock, Ticket, Transfer
from kehu.desk.rules import _employee_id, sees_internal, visible_tickets

# Public ordering names → what the database sorts on. Priority sorts by urgency, not spelling;
# tickets without a running clock sort after every due time (NULL has no cursor position).
ORDERINGS = {
    "id": "id",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "next_due_at": "due_sort",
    "priority": "priority_rank",
}
_NEVER = datetime(9999, 12, 31, tzinfo=UTC)
PRIORITY_RANK = Case(
    When(priority="urgent", then=Value(0)),
    When(priority="high", then=Value(1)),
    When(priority="normal", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


@dataclass
class TicketFilters:
    status: Sequence[str] = ()
    ticket_type: Sequence[str] = ()
    priority: Sequence[str] = ()
    department_id: int | None = None
    assignee_id: int | str | None = None  # an employee id, "me" or "none"
    account_id: int | None = None
    tag: str | None = None
    breached: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str = ""


def ticket_rows() -> QuerySet[Ticket]:
    """Tickets with what a list row shows loaded in a fixed number of queries."""
    return (
        Ticket.objects.select_related("sla_policy", "contact", "requester_employee")
        .prefetch_related("tags")
        .annotate(
            priority_rank=PRIORITY_RANK,
            due_sort=Coalesce("next_due_at", Value(_NEVER, output_field=DateTimeField())),
        )
    )


def ticket_list(user: Any, filters: TicketFilters) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, narrowed by ``filters``."""
    tickets = visible_tickets(user, ticket_rows())
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.ticket_type:
        tickets = tickets.filter(ticket_type__in=filters.ticket_type)
    if filters.priority:
        tickets = tickets.filter(priority__in=filters.priority)
    if filters.department_id is not None:
        tickets = tickets.filter(department_id=filters.department_id)
    if filters.assignee_id == "me":
        tickets = tickets.filter(assignee_id=_employee_id(user) or 0)
    elif filters.assignee_id == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif isinstance(filters.assignee_id, int):
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.account_id is not None:
        tickets = tickets.filter(account_id=filters.account_id)
    if filters.tag:
        tickets = tickets.filter(tags__name=filters.tag)
    if filters.breached is not None:
        tickets = tickets.filter(sla_breached=filters.breached)
    if filters.created_after is not None:
        tickets = tickets.filter(created_at__gte=_aware(filters.created_after))
    if filters.created_before is not None:
        tickets = tickets.filter(created_at__lt=_aware(filters.created_before))
    query = filters.q.strip()
    if query:
        reference = query.upper().removeprefix("KH-")
        match = Q(subject__icontains=query)
        if reference.isdigit():
            match |= Q(pk=int(reference))
        tickets = tickets.filter(match)
    return tickets


def _aware(moment: datetime) -> datetime:
    """A time given without an offset is read in the current (the user's) time zone."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def ticket_detail(user: Any, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """One ticket's page: clocks, tags, watchers, links, and for staff transfers and disputes."""
    base = queryset if queryset is not None else ticket_rows()
    return base.prefetch_related(
        Prefetch("clocks", queryset=SlaClock.objects.order_by("target", "cycle")),
        "watchers",
        "links_out",
        "links_in",
        Prefetch(
            "transfers",
            queryset=Transfer.objects.select_related("dispute").order_by("created_at", "id"),
        ),
    )


def shown_to(user: Any, ticket: Ticket) -> Ticket:
    """Mark on ``ticket`` what this reader may see of its internal side (for the API schema)."""
    internal = sees_internal(user, ticket)
    ticket.shown_internal = internal  # type: ignore[attr-defined]
    return ticket
