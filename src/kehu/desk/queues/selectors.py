"""Reads for the agent's queue (filters, keyset pages) and the lead's dashboard."""

from __future__ import annotations

import binascii
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.desk.models import OPEN_STATUSES, Ticket
from kehu.desk.rules import visible_tickets

SORTS = ("due", "-id", "id", "-updated_at")
PAGE_SIZE = 50


def queue(user: Any, filters: dict[str, Any]) -> QuerySet[Ticket]:
    """The tickets a queue view shows (unordered), with what the rows need loaded."""
    tickets = visible_tickets(user).select_related(
        "department", "assignee", "account", "contact", "requester_employee", "sla_policy"
    )
    text = (filters.get("q") or "").strip()
    if text:
        reference = text.upper().removeprefix("KH-")
        by_subject = Q(subject__icontains=text)
        tickets = tickets.filter(
            by_subject | Q(pk=int(reference)) if reference.isdigit() else by_subject
        )
    statuses = list(filters.get("status") or [])
    if "open_all" in statuses or not statuses:
        statuses = [s for s in statuses if s != "open_all"] + list(OPEN_STATUSES)
    tickets = tickets.filter(status__in=statuses)
    for field in ("ticket_type", "priority"):
        if filters.get(field):
            tickets = tickets.filter(**{field: filters[field]})
    if filters.get("department"):
        tickets = tickets.filter(department=filters["department"])
    assignee = filters.get("assignee")
    if assignee == "me":
        tickets = tickets.filter(assignee__user=user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    now = timezone.now()
    if filters.get("sla") == "breached":
        tickets = tickets.filter(Q(sla_breached=True) | Q(next_due_at__lt=now))
    elif filters.get("sla") == "due_today":
        end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
        tickets = tickets.filter(next_due_at__range=(now, end_of_day))
    return tickets


@dataclass(frozen=True)
class Page:
    rows: list[Ticket]
    next_cursor: str | None


def queue_page(
    tickets: QuerySet[Ticket], sort: str, cursor: str | None, size: int = PAGE_SIZE
) -> Page:
    """One page in ``sort`` order after ``cursor`` (keyset paging: as fast deep as at the top).

    "due" orders by next due time with tickets without one last, each group by id. The page's
    ids are found first on the ticket table alone, then its rows are loaded with what they show:
    joining first made PostgreSQL join every ticket after the cursor before sorting.
    """
    sort = sort if sort in SORTS else "due"
    keys = _page_keys(tickets, sort, _decode(cursor), size)
    more = len(keys) > size
    keys = keys[:size]
    loaded = {t.pk: t for t in tickets.filter(pk__in=[pk for _value, pk in keys])}
    rows = [loaded[pk] for _value, pk in keys if pk in loaded]
    return Page(rows, _encode(keys[-1]) if more else None)


def _page_keys(
    tickets: QuerySet[Ticket], sort: str, after: tuple[str | None, int] | None, size: int
) -> list[tuple[str | None, int]]:
    """(sort value, id) of up to ``size + 1`` tickets after ``after``, in ``sort`` order."""
    if sort in ("-id", "id"):
        if after is not None:
            tickets = (
                tickets.filter(id__lt=after[1])
                if sort == "-id"
                else tickets.filter(id__gt=after[1])
            )
        return [
            (None, pk) for pk in tickets.order_by(sort).values_list("pk", flat=True)[: size + 1]
        ]
    if sort == "-updated_at":
        if after is not None:
            moment = datetime.fromisoformat(str(after[0]))
            tickets = tickets.filter(updated_at__lte=moment).filter(
                Q(updated_at__lt=moment) | Q(id__lt=after[1])
            )
        by_update = tickets.order_by("-updated_at", "-id").values_list("updated_at", "pk")
        return [(updated.isoformat(), pk) for updated, pk in by_update[: size + 1]]
    # Due first: tickets with a due time by (due, id), then those without by id.
    found: list[tuple[str | None, int]] = []
    if after is None or after[0] is not None:
        due = tickets.filter(next_due_at__isnull=False)
        if after is not None:
            moment = datetime.fromisoformat(str(after[0]))
            due = due.filter(next_due_at__gte=moment).filter(
                Q(next_due_at__gt=moment) | Q(id__gt=after[1])
            )
        by_due = due.order_by("next_due_at", "id").values_list("next_due_at", "pk")
        found = [(due_at.isoformat() if due_at else None, pk) for due_at, pk in by_due[: size + 1]]
    if len(found) <= size:
        rest = tickets.filter(next_due_at__isnull=True)
        if after is not None and after[0] is None:
            rest = rest.filter(id__gt=after[1])
        more = rest.order_by("id").values_list("pk", flat=True)[: size + 1 - len(found)]
        found += [(None, pk) for pk in more]
    return found


def _encode(key: tuple[str | None, int]) -> str:
    return urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[str | None, int] | None:
    """A cursor from the query string; anything malformed starts from the top."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        value = json.loads(urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        first, pk = value
        if first is not None:
            datetime.fromisoformat(str(first))
        return (first, int(pk))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class DashboardRow:
    label: str
    open: int
    overdue: int
    due_today: int


@dataclass
class Dashboard:
    open: int
    overdue: int
    due_today: int
    unassigned: int
    by_agent: list[DashboardRow]
    by_service: list[DashboardRow]
    by_department: list[DashboardRow]


def lead_dashboard(user: Any, department_ids: frozenset[int] | None) -> Dashboard:
    """Open work of the departments a lead answers for (None: all departments)."""
    now = timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    tickets = visible_tickets(user).filter(status__in=OPEN_STATUSES)
    if department_ids is not None:
        tickets = tickets.filter(department_id__in=department_ids)
    overdue = Q(next_due_at__lt=now) | Q(sla_breached=True)
    due_today = Q(next_due_at__range=(now, end_of_day))
    counts = {
        "n": Count("id", distinct=True),
        "late": Count("id", filter=overdue, distinct=True),
        "today": Count("id", filter=due_today, distinct=True),
    }
    totals = tickets.aggregate(**counts, unassigned=Count("id", filter=Q(assignee__isnull=True)))

    def grouped(field: str, label_fields: tuple[str, ...]) -> list[DashboardRow]:
        rows = tickets.values(field, *label_fields).annotate(**counts).order_by("-late", "-n")
        return [
            DashboardRow(
                label=next((str(r[f]) for f in label_fields if r[f]), "—"),
                open=r["n"],
                overdue=r["late"],
                due_today=r["today"],
            )
            for r in rows
        ]

    return Dashboard(
        open=totals["n"],
        overdue=totals["late"],
        due_today=totals["today"],
        unassigned=totals["unassigned"],
        by_agent=grouped("assignee", ("assignee__name",)),
        by_service=grouped("service", ("service__name",)),
        by_department=grouped("department", ("department__name",)),
    )
