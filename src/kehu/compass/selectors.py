"""The product requirement compass (SPEC §3): who asked for a requirement or reported a defect,
and what we know about them — so a requirement reaches product managers with its customers'
context instead of as a bare quote.

A *group* is the tickets that are one requirement: a ticket with the tickets linked to it
(related, duplicate, child) and those merged into it, or every requirement/defect ticket with
one tag. Every read here is a fixed number of queries, whatever the size of the group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from kehu.core.markdown import plain_summary
from kehu.customers.models import Account
from kehu.customers.rules import dossier_accounts
from kehu.desk.models import OPEN_STATUSES, Ticket, TicketLink
from kehu.desk.priority import TicketType
from kehu.desk.rules import visible_tickets
from kehu.dossier.models import DossierEntry, Section, Visit
from kehu.incidents.models import MajorIncident
from kehu.usage.models import UsageRecord

REQUIREMENT_TYPES = (TicketType.NEW_REQUIREMENT, TicketType.DEFECT)
MAX_GROUP = 500  # tickets followed through links; a larger group is cut (and says so)
USAGE_DAYS = 30
INCIDENT_DAYS = 180


@dataclass
class CustomerContext:
    account: Account
    tickets: list[Ticket] = field(default_factory=list)
    # Dossier facts, present only for accounts whose dossier the reader may see.
    dossier_visible: bool = False
    usage: list[dict[str, Any]] = field(default_factory=list)  # per product, last 30 days
    spend_365: Decimal | None = None
    share_of_wallet: Decimal | None = None  # percent
    architecture: DossierEntry | None = None
    architecture_excerpt: str = ""
    last_visit: Visit | None = None
    incidents: list[MajorIncident] = field(default_factory=list)

    @property
    def tenure_years(self) -> float | None:
        since = self.account.customer_since
        if since is None:
            return None
        return round((timezone.localdate() - since).days / 365.25, 1)


@dataclass
class Compass:
    tickets: list[Ticket]
    customers: list[CustomerContext]
    cut: bool = False  # the group was larger than MAX_GROUP
    without_account: int = 0  # tickets from colleagues (internal requests)


def ticket_group(root: Ticket) -> tuple[list[int], bool]:
    """Ids of ``root`` and the tickets linked to it either way or merged into it, transitively."""
    seen = {root.pk}
    frontier = {root.pk}
    while frontier and len(seen) < MAX_GROUP:
        links = TicketLink.objects.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier))
        found: set[int] = set()
        for source_id, target_id in links.values_list("source_id", "target_id"):
            found.update((source_id, target_id))
        found.update(
            Ticket.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)
        )
        frontier = found - seen
        seen |= frontier
    ids = sorted(seen)
    return ids[:MAX_GROUP], len(ids) > MAX_GROUP


def tag_group(tag_name: str) -> tuple[list[int], bool]:
    ids = list(
        Ticket.objects.filter(tags__name=tag_name, ticket_type__in=REQUIREMENT_TYPES)
        .order_by("-pk")
        .values_list("pk", flat=True)[: MAX_GROUP + 1]
    )
    return ids[:MAX_GROUP], len(ids) > MAX_GROUP


def compass(user: Any, ticket_ids: list[int], *, cut: bool = False) -> Compass:
    """The customers behind ``ticket_ids`` (only the tickets ``user`` may see) with context."""
    tickets = list(
        visible_tickets(user, Ticket.objects.filter(pk__in=ticket_ids))
        .select_related("account")
        .order_by("-created_at", "-pk")
    )
    by_account: dict[int, CustomerContext] = {}
    without_account = 0
    for ticket in tickets:
        if ticket.account_id is None:
            without_account += 1
            continue
        context = by_account.get(ticket.account_id)
        if context is None:
            context = CustomerContext(account=ticket.account)  # type: ignore[arg-type]
            by_account[ticket.account_id] = context
        context.tickets.append(ticket)
    account_ids = list(by_account)
    readable = set(dossier_accounts(user).filter(pk__in=account_ids).values_list("pk", flat=True))
    _owners(by_account)
    _add_usage(by_account, readable)
    _add_dossier(by_account, readable)
    _add_incidents(by_account)
    customers = sorted(
        by_account.values(),
        key=lambda c: (_LEVEL_ORDER.get(c.account.level, 9), -(c.spend_365 or 0), c.account.pk),
    )
    return Compass(tickets=tickets, customers=customers, cut=cut, without_account=without_account)


_LEVEL_ORDER = {"strategic": 0, "key": 1, "standard": 2}


def _owners(by_account: dict[int, CustomerContext]) -> None:
    accounts = Account.objects.filter(pk__in=list(by_account)).select_related("owner")
    for account in accounts:
        by_account[account.pk].account = account


def _add_usage(by_account: dict[int, CustomerContext], readable: set[int]) -> None:
    if not readable:
        return
    today = timezone.localdate()
    recent = (
        UsageRecord.objects.filter(account_id__in=readable, day__gt=today - timedelta(USAGE_DAYS))
        .values("account_id", "product__code", "product__name", "product__name_en", "product__unit")
        .annotate(quantity=Sum("quantity"))
        .order_by("account_id", "product__code")
    )
    for usage in recent:
        by_account[usage["account_id"]].usage.append(dict(usage))
    year = (
        UsageRecord.objects.filter(account_id__in=readable, day__gt=today - timedelta(365))
        .values("account_id")
        .annotate(spend=Sum("spend"), known_total=Sum("total_spend"))
    )
    for row in year:
        context = by_account[row["account_id"]]
        context.spend_365 = row["spend"]
        if row["spend"] is not None and row["known_total"]:
            context.share_of_wallet = min(
                Decimal(100), (row["spend"] / row["known_total"] * 100).quantize(Decimal("0.1"))
            )
    for account_id in readable:
        by_account[account_id].dossier_visible = True


def _add_dossier(by_account: dict[int, CustomerContext], readable: set[int]) -> None:
    if not readable:
        return
    # The newest architecture note and the last visit done, per account: one query each.
    newest = (
        DossierEntry.objects.filter(account_id__in=readable, section=Section.ARCHITECTURE)
        .values("account_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    for entry in DossierEntry.objects.filter(pk__in=list(newest)):
        context = by_account[entry.account_id]
        context.architecture = entry
        context.architecture_excerpt = plain_summary(entry.body, 300)
    last_done = (
        Visit.objects.filter(account_id__in=readable, status=Visit.Status.DONE)
        .values("account_id")
        .annotate(last=Max("visited_on"))
    )
    wanted = Q(pk__in=[])
    for row in last_done:
        wanted |= Q(account_id=row["account_id"], visited_on=row["last"])
    for visit in Visit.objects.filter(wanted, status=Visit.Status.DONE).order_by("-id"):
        context = by_account[visit.account_id]
        if context.last_visit is None:
            context.last_visit = visit


def _add_incidents(by_account: dict[int, CustomerContext]) -> None:
    if not by_account:
        return
    since = timezone.now() - timedelta(INCIDENT_DAYS)
    through = MajorIncident.affected_accounts.through
    links = through.objects.filter(
        account_id__in=list(by_account), majorincident__declared_at__gte=since
    ).select_related("majorincident")
    for link in links.order_by("-majorincident__declared_at"):
        context = by_account[link.account_id]
        if len(context.incidents) < 3:
            context.incidents.append(link.majorincident)


@dataclass
class TagSummary:
    name: str
    tickets: int
    accounts: int
    open_tickets: int


def requirement_tags(user: Any, *, limit: int = 50) -> list[TagSummary]:
    """Tags of requirement and defect tickets, the ones raised by most customers first."""
    rows = (
        visible_tickets(user, Ticket.objects.filter(ticket_type__in=REQUIREMENT_TYPES))
        .filter(tags__isnull=False)
        .values("tags__name")
        .annotate(
            tickets=Count("pk", distinct=True),
            accounts=Count("account", distinct=True),
            open_tickets=Count("pk", filter=Q(status__in=OPEN_STATUSES), distinct=True),
        )
        .order_by("-accounts", "-tickets", "tags__name")[:limit]
    )
    return [
        TagSummary(r["tags__name"], r["tickets"], r["accounts"], r["open_tickets"]) for r in rows
    ]


def requirement_tickets(
    user: Any, *, ticket_type: str = "", open_only: bool = True, q: str = ""
) -> QuerySet[Ticket]:
    """Requirement and defect tickets with how many tickets are linked to each."""
    found = visible_tickets(user, Ticket.objects.filter(ticket_type__in=REQUIREMENT_TYPES))
    if ticket_type in REQUIREMENT_TYPES:
        found = found.filter(ticket_type=ticket_type)
    if open_only:
        found = found.filter(status__in=OPEN_STATUSES)
    if q:
        found = found.filter(subject__icontains=q)
    return (
        found.select_related("account")
        .annotate(
            links=Count("links_out", distinct=True) + Count("links_in", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )
