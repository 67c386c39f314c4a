"""Reads of major incidents, with their related rows fetched in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from kehu.customers.models import Account
from kehu.desk.models import OPEN_STATUSES, Ticket
from kehu.incidents.models import (
    ACTIVE_STATUSES,
    REFERENCE_PREFIX,
    MajorIncident,
    TimelineEntry,
)

ACTIVE = "active"


@dataclass
class IncidentFilters:
    q: str = ""
    status: str = ""  # "", "active" or one IncidentStatus
    severity: str = ""
    account_id: int | None = None


def _count(through_model: type, column: str, extra: Q | None = None) -> Coalesce:
    rows = through_model._default_manager.filter(majorincident_id=OuterRef("pk"))  # type: ignore[attr-defined]
    if extra is not None:
        rows = rows.filter(extra)
    counted = rows.values("majorincident_id").annotate(n=Count(column)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def incidents() -> QuerySet[MajorIncident]:
    """Incidents with commander and counts of linked (open) tickets and affected accounts;
    counted in subqueries so two many-to-many joins never multiply each other."""
    tickets = MajorIncident.tickets.through
    accounts = MajorIncident.affected_accounts.through
    return MajorIncident.objects.select_related("commander", "declared_by").annotate(
        ticket_count=_count(tickets, "ticket_id"),
        open_ticket_count=_count(tickets, "ticket_id", Q(ticket__status__in=OPEN_STATUSES)),
        account_count=_count(accounts, "account_id"),
    )


def incident_list(filters: IncidentFilters) -> QuerySet[MajorIncident]:
    """The incidents matching ``filters``, newest first."""
    found = incidents()
    q = filters.q.strip()
    if q:
        number = q.upper().removeprefix(REFERENCE_PREFIX)
        match = Q(title__icontains=q) | Q(description__icontains=q)
        if number.isdigit():
            match |= Q(pk=int(number))
        found = found.filter(match)
    if filters.status == ACTIVE:
        found = found.filter(status__in=ACTIVE_STATUSES)
    elif filters.status:
        found = found.filter(status=filters.status)
    if filters.severity:
        found = found.filter(severity=filters.severity)
    if filters.account_id is not None:
        found = found.filter(affected_accounts__id=filters.account_id)
    return found


def incident_detail() -> QuerySet[MajorIncident]:
    """Incidents with everything the incident page shows prefetched."""
    return incidents().prefetch_related(
        "response_departments",
        "response_members__department",
        Prefetch("affected_accounts", queryset=Account.objects.order_by("name_pinyin", "id")),
        Prefetch(
            "tickets",
            queryset=Ticket.objects.select_related(
                "account", "contact", "requester_employee", "assignee", "department"
            ).order_by("pk"),
        ),
        Prefetch("timeline", queryset=TimelineEntry.objects.select_related("author")),
    )


def incidents_for_account(account: Account) -> QuerySet[MajorIncident]:
    """The major incidents that affected ``account`` (for its dossier), newest first."""
    return (
        MajorIncident.objects.filter(affected_accounts=account)
        .select_related("commander")
        .order_by("-declared_at", "-id")
    )


def timeline(incident: MajorIncident) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(incident=incident).select_related("author")
