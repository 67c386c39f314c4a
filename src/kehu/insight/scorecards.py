"""Internal service scorecards (SPEC §1, §6): each department as a supplier and as a customer,
and the department × department matrix. Set-at-a-time: a few grouped queries over the
internal tickets (those an employee raised) of the window, whatever the number of departments.

As a supplier: requests received, median business minutes to first response and resolution,
SLA breach share, satisfaction given by the internal requesters.
As a customer: requests raised, clarity (share of its requests never sent back to it for more
information, i.e. without a "waiting on customer" pause), timeliness (median hours it kept a
supplier waiting when asked), and the ratings it gave (count, average, share of resolved
requests it rated).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Count, Q

from kehu.desk.models import Pause, Status, Ticket
from kehu.feedback.models import SatisfactionRating
from kehu.insight.figures import median, percentile, ratio
from kehu.insight.periods import instant
from kehu.org.models import Department


@dataclass
class SupplierCard:
    requests: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    breached_pct: float | None = None
    ratings: int = 0
    satisfaction: float | None = None
    by_customer: list[tuple[int | None, int]] = field(default_factory=list)


@dataclass
class CustomerCard:
    requests: int = 0
    clear_pct: float | None = None
    waiting_hours_median: float | None = None
    ratings_given: int = 0
    average_given: float | None = None
    rated_pct: float | None = None


@dataclass
class Card:
    department: Department
    supplier: SupplierCard
    customer: CustomerCard


def _internal(start: date, end: date) -> Any:
    return Ticket.objects.filter(
        requester_employee__isnull=False,
        merged_into__isnull=True,
        created_at__gte=instant(start),
        created_at__lt=instant(end),
    )


def scorecards(start: date, end: date, department_ids: set[int] | None = None) -> list[Card]:
    """Every department's (or the given ones') cards for tickets created in [start, end)."""
    tickets = _internal(start, end)
    supplier: dict[int, SupplierCard] = defaultdict(SupplierCard)
    customer: dict[int, CustomerCard] = defaultdict(CustomerCard)
    first: dict[int, list[int]] = defaultdict(list)
    resolution: dict[int, list[int]] = defaultdict(list)
    breached: dict[int, int] = defaultdict(int)
    for dept, requester, fr, res, br in tickets.values_list(
        "department_id",
        "requesting_department_id",
        "first_response_minutes",
        "resolution_minutes",
        "sla_breached",
    ).iterator(chunk_size=5000):
        supplier[dept].requests += 1
        if fr is not None:
            first[dept].append(fr)
        if res is not None:
            resolution[dept].append(res)
        breached[dept] += bool(br)
        if requester is not None:
            customer[requester].requests += 1
    for dept, card in supplier.items():
        values = sorted(first[dept])
        card.first_response_median = median(values)
        card.first_response_p90 = percentile(values, 0.9)
        card.resolution_median = median(sorted(resolution[dept]))
        card.breached_pct = ratio(breached[dept], card.requests)
    pairs = tickets.values("department_id", "requesting_department_id").annotate(n=Count("id"))
    for row in pairs:
        supplier[row["department_id"]].by_customer.append(
            (row["requesting_department_id"], row["n"])
        )
    ratings = SatisfactionRating.objects.filter(
        requesting_department__isnull=False,
        created_at__gte=instant(start),
        created_at__lt=instant(end),
    )
    for row in ratings.values("department_id").annotate(n=Count("id"), avg=Avg("score")):
        card = supplier[row["department_id"]]
        card.ratings, card.satisfaction = row["n"], _round(row["avg"])
    resolved = dict(
        tickets.filter(status__in=[Status.RESOLVED, Status.CLOSED])
        .values("requesting_department_id")
        .annotate(n=Count("id"))
        .values_list("requesting_department_id", "n")
    )
    for row in ratings.values("requesting_department_id").annotate(n=Count("id"), avg=Avg("score")):
        ccard = customer[row["requesting_department_id"]]
        ccard.ratings_given, ccard.average_given = row["n"], _round(row["avg"])
        ccard.rated_pct = ratio(row["n"], resolved.get(row["requesting_department_id"], 0))
    asked = dict(
        tickets.filter(pauses__status=Status.WAITING_CUSTOMER)
        .values("requesting_department_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("requesting_department_id", "n")
    )
    waits: dict[int, list[float]] = defaultdict(list)
    for requester, started, ended in Pause.objects.filter(
        ticket__in=tickets, status=Status.WAITING_CUSTOMER, ended_at__isnull=False
    ).values_list("ticket__requesting_department_id", "started_at", "ended_at"):
        if requester is not None and ended is not None:
            waits[requester].append(_hours(started, ended))
    for dept, ccard in customer.items():
        ccard.clear_pct = ratio(ccard.requests - asked.get(dept, 0), ccard.requests)
        found = sorted(waits[dept])
        ccard.waiting_hours_median = round(found[len(found) // 2], 1) if found else None
    wanted = set(supplier) | set(customer)
    if department_ids is not None:
        wanted &= department_ids
    departments = Department.objects.filter(pk__in=wanted).order_by("name_pinyin")
    return [
        Card(d, supplier.get(d.pk, SupplierCard()), customer.get(d.pk, CustomerCard()))
        for d in departments
    ]


def _round(value: Any) -> float | None:
    return round(float(value), 2) if value is not None else None


def _hours(started: datetime, ended: datetime) -> float:
    return (ended - started).total_seconds() / 3600


@dataclass
class Matrix:
    suppliers: list[Department]
    customers: list[Department]
    cells: dict[tuple[int, int], dict[str, Any]]


def matrix(start: date, end: date) -> Matrix:
    """Supplier × customer department: requests, SLA breach share, average rating."""
    tickets = _internal(start, end).filter(requesting_department__isnull=False)
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for row in tickets.values("department_id", "requesting_department_id").annotate(
        n=Count("id"), breached=Count("id", filter=Q(sla_breached=True))
    ):
        cells[(row["department_id"], row["requesting_department_id"])] = {
            "requests": row["n"],
            "breached_pct": ratio(row["breached"], row["n"]),
            "satisfaction": None,
        }
    ratings = SatisfactionRating.objects.filter(
        requesting_department__isnull=False,
        created_at__gte=instant(start),
        created_at__lt=instant(end),
    )
    for row in ratings.values("department_id", "requesting_department_id").annotate(
        avg=Avg("score")
    ):
        key = (row["department_id"], row["requesting_department_id"])
        cells.setdefault(key, {"requests": 0, "breached_pct": None, "satisfaction": None})
        cells[key]["satisfaction"] = _round(row["avg"])
    ids = {s for s, _c in cells} | {c for _s, c in cells}
    departments = {d.pk: d for d in Department.objects.filter(pk__in=ids).order_by("name_pinyin")}
    suppliers = [d for pk, d in departments.items() if any(s == pk for s, _c in cells)]
    customers = [d for pk, d in departments.items() if any(c == pk for _s, c in cells)]
    return Matrix(suppliers, customers, cells)
