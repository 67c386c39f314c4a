"""Reads of the dossier: an account's whole dossier, the planning lists, the account panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.priority import TicketType
from kehu.dossier.models import (
    OPEN_EVENT_STATUSES,
    DossierEntry,
    DossierRevision,
    EventStatus,
    Section,
    Visit,
    VisitFollowUp,
)
from kehu.dossier.rules import readable_accounts_q
from kehu.org.models import Employee

STATUS_FILTERS = ("", "open", "closed")


def entries() -> QuerySet[DossierEntry]:
    return DossierEntry.objects.select_related("account", "author")


def readable_entries(user: Any) -> QuerySet[DossierEntry]:
    """The entries of every account whose dossier the user may read."""
    found = entries()
    limit = readable_accounts_q(user)
    return found if limit is None else found.filter(limit)


def readable_visits(user: Any) -> QuerySet[Visit]:
    found = Visit.objects.select_related("account")
    limit = readable_accounts_q(user)
    return found if limit is None else found.filter(limit)


def readable_follow_ups(user: Any) -> QuerySet[VisitFollowUp]:
    found = VisitFollowUp.objects.select_related("visit__account", "owner")
    limit = readable_accounts_q(user, prefix="visit__account")
    return found if limit is None else found.filter(limit)


def visits_with_people() -> QuerySet[Visit]:
    return Visit.objects.select_related(
        "account", "ticket", "incident", "created_by"
    ).prefetch_related(
        Prefetch("our_attendees", queryset=Employee.objects.order_by("name_pinyin", "id")),
        "customer_attendees",
        Prefetch(
            "follow_ups",
            queryset=VisitFollowUp.objects.select_related("owner", "done_by").order_by("id"),
        ),
    )


@dataclass
class ComplaintItem:
    """One line of the complaint archive: a complaint ticket or a manual entry."""

    day: date
    title: str
    ticket: Ticket | None = None
    entry: DossierEntry | None = None

    @property
    def record(self) -> Any:
        return getattr(self.ticket, "complaint_record", None) if self.ticket else None


@dataclass
class AccountDossier:
    account: Account
    sections: dict[str, list[DossierEntry]]
    status_filter: str
    upcoming_visits: list[Visit]
    past_visits: list[Visit]
    complaints: list[ComplaintItem]
    today: date = field(default_factory=timezone.localdate)

    @property
    def section_list(self) -> list[tuple[str, Any, list[DossierEntry]]]:
        return [(value, label, self.sections[value]) for value, label in Section.choices]


def complaint_tickets(account: Account) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(account=account, ticket_type=TicketType.COMPLAINT)
        .select_related(
            "complaint_record__responsible_employee", "complaint_record__responsible_department"
        )
        .order_by("-created_at", "-id")
    )


def account_dossier(account: Account, *, status_filter: str = "") -> AccountDossier:
    """Everything the account's dossier page shows, in a fixed number of queries."""
    today = timezone.localdate()
    sections: dict[str, list[DossierEntry]] = {value: [] for value in Section.values}
    rows = (
        DossierEntry.objects.filter(account=account)
        .select_related("author")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-happened_on", "-id")
    )
    for entry in rows:
        if entry.section == Section.CURRENT_EVENT:
            if status_filter == "open" and entry.status not in OPEN_EVENT_STATUSES:
                continue
            if status_filter == "closed" and entry.status != EventStatus.CLOSED:
                continue
        sections[entry.section].append(entry)
    visits = list(visits_with_people().filter(account=account).order_by("-planned_on", "-id"))
    upcoming = sorted(
        (v for v in visits if v.status == Visit.Status.PLANNED), key=lambda v: (v.planned_on, v.pk)
    )
    past = [v for v in visits if v.status != Visit.Status.PLANNED]
    past.sort(key=lambda v: (v.day, v.pk), reverse=True)
    complaints = [
        ComplaintItem(day=timezone.localtime(t.created_at).date(), title=t.subject, ticket=t)
        for t in complaint_tickets(account)
    ] + [
        ComplaintItem(day=e.happened_on, title=e.title, entry=e)
        for e in sections[Section.COMPLAINT]
    ]
    complaints.sort(key=lambda c: c.day, reverse=True)
    return AccountDossier(
        account=account,
        sections=sections,
        status_filter=status_filter,
        upcoming_visits=upcoming,
        past_visits=past,
        complaints=complaints,
        today=today,
    )


def revisions(entry: DossierEntry) -> QuerySet[DossierRevision]:
    return entry.revisions.select_related("author").order_by("-number")


@dataclass
class Planning:
    visits: list[Visit]
    follow_ups: list[VisitFollowUp]
    today: date


PLANNING_LIMIT = 200


def planning(user: Any, *, mine: bool = False) -> Planning:
    """Upcoming visits and open follow-ups across the accounts whose dossier the user reads."""
    from kehu.customers.rules import employee_id_of

    visits = (
        readable_visits(user)
        .filter(status=Visit.Status.PLANNED)
        .prefetch_related(
            Prefetch("our_attendees", queryset=Employee.objects.order_by("name_pinyin", "id"))
        )
        .order_by("planned_on", "id")
    )
    follow_ups = readable_follow_ups(user).filter(done_at__isnull=True).order_by("due_on", "id")
    if mine:
        employee_id = employee_id_of(user)
        if employee_id is None:  # not an employee: nothing is theirs
            return Planning(visits=[], follow_ups=[], today=timezone.localdate())
        visits = visits.filter(our_attendees=employee_id).distinct()
        follow_ups = follow_ups.filter(owner_id=employee_id)
    # Follow-ups without a due date come last on every database.
    dated = list(follow_ups.filter(due_on__isnull=False)[:PLANNING_LIMIT])
    undated = list(follow_ups.filter(due_on__isnull=True)[: PLANNING_LIMIT - len(dated)])
    return Planning(
        visits=list(visits[:PLANNING_LIMIT]),
        follow_ups=dated + undated,
        today=timezone.localdate(),
    )


def panel(account: Account) -> dict[str, Any]:
    """What the account page's dossier panel shows (five queries)."""
    entries_of = DossierEntry.objects.filter(account=account)
    counts = entries_of.aggregate(
        complaints=Count("pk", filter=Q(section=Section.COMPLAINT)),
        positive=Count("pk", filter=Q(section=Section.POSITIVE)),
    )
    architecture = (
        entries_of.filter(section=Section.ARCHITECTURE)
        .select_related("author")
        .order_by("-happened_on", "-id")
        .first()
    )
    open_events = list(
        entries_of.filter(section=Section.CURRENT_EVENT, status__in=OPEN_EVENT_STATUSES)
        .select_related("author")
        .order_by("-happened_on", "-id")[:5]
    )
    visits = Visit.objects.filter(account=account)
    next_visit = visits.filter(status=Visit.Status.PLANNED).order_by("planned_on", "id").first()
    last_visit = visits.filter(status=Visit.Status.DONE).order_by("-visited_on", "-id").first()
    complaint_ticket_count = Ticket.objects.filter(
        account=account, ticket_type=TicketType.COMPLAINT
    ).count()
    return {
        "account": account,
        "architecture": architecture,
        "open_events": open_events,
        "next_visit": next_visit,
        "last_visit": last_visit,
        "complaint_count": counts["complaints"] + complaint_ticket_count,
        "positive_count": counts["positive"],
        "today": timezone.localdate(),
    }
