"""The figures of a perception report, computed set-at-a-time for one scope and period.

Every figure comes from facts other apps already keep: tickets with their business-minute
statistics (the desk's SLA clocks and calendars computed them), SLA clocks per target,
satisfaction ratings and callbacks, complaint records, major incidents, usage records and the
relationship map's stage changes. The result is plain JSON (numbers, codes and both names),
so it renders in any language later and the archive keeps what the figures were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from kehu.desk.models import SlaClock, Ticket
from kehu.desk.priority import TicketType
from kehu.feedback.models import LOW_SCORE, CallbackTask, ComplaintRecord, SatisfactionRating
from kehu.incidents.models import MajorIncident
from kehu.insight.models import ScopeKind
from kehu.insight.periods import instant, previous

SATISFIED = 4  # a score of 4 or 5 counts as satisfied
TOP_CUSTOMERS = 10
INCIDENTS_LISTED = 20
# Backlog age buckets in days: [low, high) and their keys (labels are in render.py).
AGE_BUCKETS = [("lt1", 0, 1), ("1to3", 1, 3), ("3to7", 3, 7), ("7to30", 7, 30), ("ge30", 30, None)]
# Pain points of a customer in a period (top customers by pain).
PAIN = {"ticket": 1, "breached": 2, "complaint": 3, "low_rating": 2, "incident": 5}


@dataclass(frozen=True)
class Scope:
    kind: str
    department_ids: frozenset[int] = frozenset()
    account_id: int | None = None
    name: str = ""
    name_en: str = ""

    def tickets(self) -> QuerySet[Ticket]:
        """The scope's tickets (merged duplicates left out: they count in their survivor)."""
        found = Ticket.objects.filter(merged_into__isnull=True)
        if self.kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER):
            found = found.filter(department_id__in=self.department_ids)
        if self.kind == ScopeKind.SUPPLIER:
            found = found.filter(requester_employee__isnull=False)
        if self.kind == ScopeKind.ACCOUNT:
            found = found.filter(account_id=self.account_id or 0)
        return found

    def ticket_q(self, prefix: str) -> Q:
        """The same filter seen from a model with a ``ticket`` relation at ``prefix``."""
        q = Q(**{f"{prefix}merged_into__isnull": True})
        if self.kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER):
            q &= Q(**{f"{prefix}department_id__in": self.department_ids})
        if self.kind == ScopeKind.SUPPLIER:
            q &= Q(**{f"{prefix}requester_employee__isnull": False})
        if self.kind == ScopeKind.ACCOUNT:
            q &= Q(**{f"{prefix}account_id": self.account_id})
        return q


def percentile(values: list[int], share: float) -> float | None:
    """The nearest-rank percentile of sorted ``values`` (None without values)."""
    if not values:
        return None
    rank = max(1, math.ceil(share * len(values)))
    return float(values[rank - 1])


def median(values: list[int]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return float(values[middle])
    return (values[middle - 1] + values[middle]) / 2


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage with one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


def _pairs(rows: Any, key: str) -> list[list[Any]]:
    return [[row[key], row["n"]] for row in rows]


def volume(scope: Scope, start: date, end: date) -> dict[str, Any]:
    created = scope.tickets().filter(created_at__gte=instant(start), created_at__lt=instant(end))
    by_type = list(created.values("ticket_type").annotate(n=Count("id")).order_by("-n"))
    by_channel = list(created.values("channel").annotate(n=Count("id")).order_by("-n"))
    by_category = list(
        created.values("category_id", "category__name", "category__name_en")
        .annotate(n=Count("id"))
        .order_by("-n")[:12]
    )
    return {
        "total": sum(row["n"] for row in by_type),
        "by_type": _pairs(by_type, "ticket_type"),
        "by_channel": _pairs(by_channel, "channel"),
        "by_category": [
            [row["category__name"] or "", row["category__name_en"] or "", row["n"]]
            for row in by_category
        ],
    }


def sla(scope: Scope, start: date, end: date) -> list[dict[str, Any]]:
    """Attainment per target: clocks that stopped in the period, plus running clocks whose due
    time fell in it (those are already breached). Met = stopped without breach."""
    begin, finish = instant(start), instant(end)
    clocks = SlaClock.objects.filter(scope.ticket_q("ticket__")).filter(
        Q(stopped_at__gte=begin, stopped_at__lt=finish)
        | Q(stopped_at__isnull=True, due_at__gte=begin, due_at__lt=min(finish, timezone.now()))
    )
    rows = clocks.values("target").annotate(
        total=Count("id"),
        breached=Count("id", filter=Q(breached=True) | Q(stopped_at__isnull=True)),
    )
    found = []
    for row in sorted(rows, key=lambda r: r["target"]):
        met = row["total"] - row["breached"]
        found.append(
            {
                "target": row["target"],
                "total": row["total"],
                "met": met,
                "attainment": ratio(met, row["total"]),
            }
        )
    return found


def times(scope: Scope, start: date, end: date) -> dict[str, Any]:
    """Median and p90 of business minutes to first response (tickets first answered in the
    period) and to resolution (tickets resolved in the period)."""
    begin, finish = instant(start), instant(end)
    tickets = scope.tickets()
    first: list[int] = sorted(
        minutes
        for minutes in tickets.filter(
            first_response_at__gte=begin,
            first_response_at__lt=finish,
            first_response_minutes__isnull=False,
        ).values_list("first_response_minutes", flat=True)
        if minutes is not None
    )
    resolved: list[int] = sorted(
        minutes
        for minutes in tickets.filter(
            resolved_at__gte=begin, resolved_at__lt=finish, resolution_minutes__isnull=False
        ).values_list("resolution_minutes", flat=True)
        if minutes is not None
    )
    return {
        "first_response": {
            "count": len(first),
            "median": median(first),
            "p90": percentile(first, 0.9),
        },
        "resolution": {
            "count": len(resolved),
            "median": median(resolved),
            "p90": percentile(resolved, 0.9),
        },
    }


def backlog(scope: Scope, end: date) -> dict[str, Any]:
    """Tickets open at the end of the period (created before it, not resolved by then) and how
    old they were then, in calendar days (for a period still running: open now, aged now)."""
    finish = min(instant(end), timezone.now())
    still_open = (
        scope.tickets()
        .filter(created_at__lt=finish)
        .exclude(resolved_at__lt=finish)
        .exclude(closed_at__lt=finish)
    )
    ages = sorted(
        (finish - created).days for created in still_open.values_list("created_at", flat=True)
    )
    buckets = []
    for key, low, high in AGE_BUCKETS:
        buckets.append([key, sum(1 for age in ages if age >= low and (high is None or age < high))])
    return {
        "open": len(ages),
        "buckets": buckets,
        "median_age_days": median(ages),
        "oldest_days": ages[-1] if ages else None,
    }


def satisfaction(scope: Scope, start: date, end: date) -> dict[str, Any]:
    begin, finish = instant(start), instant(end)
    measures = (
        SatisfactionRating.objects.filter(scope.ticket_q("ticket__"))
        .filter(created_at__gte=begin, created_at__lt=finish)
        .aggregate(
            ratings=Count("id"),
            average=Avg("score"),
            satisfied=Count("id", filter=Q(score__gte=SATISFIED)),
            low=Count("id", filter=Q(score__lte=LOW_SCORE)),
        )
    )
    callbacks = (
        CallbackTask.objects.filter(scope.ticket_q("ticket__"))
        .filter(created_at__gte=begin, created_at__lt=finish)
        .aggregate(opened=Count("id"), done=Count("id", filter=Q(done_at__isnull=False)))
    )
    average = measures["average"]
    return {
        "ratings": measures["ratings"],
        "average": round(float(average), 2) if average is not None else None,
        "satisfied_pct": ratio(measures["satisfied"], measures["ratings"]),
        "low": measures["low"],
        "callbacks_opened": callbacks["opened"],
        "callbacks_done": callbacks["done"],
    }


def complaints(scope: Scope, start: date, end: date) -> dict[str, Any]:
    begin, finish = instant(start), instant(end)
    count = (
        scope.tickets()
        .filter(ticket_type=TicketType.COMPLAINT, created_at__gte=begin, created_at__lt=finish)
        .count()
    )
    records = ComplaintRecord.objects.filter(scope.ticket_q("ticket__")).filter(
        ticket__created_at__gte=begin, ticket__created_at__lt=finish
    )
    by_class = list(
        records.exclude(root_cause_class="")
        .values("root_cause_class")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    losses = records.aggregate(amount=Sum("loss_amount"), hours=Sum("loss_hours"))
    return {
        "count": count,
        "by_class": _pairs(by_class, "root_cause_class"),
        "loss_amount": str(losses["amount"] or Decimal("0.00")),
        "loss_currency": "CNY",
        "loss_hours": str(losses["hours"] or Decimal("0")),
    }


def incidents(scope: Scope, start: date, end: date) -> list[dict[str, Any]]:
    found = MajorIncident.objects.filter(
        declared_at__gte=instant(start), declared_at__lt=instant(end)
    )
    if scope.kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER):
        found = found.filter(
            Q(response_departments__in=scope.department_ids)
            | Q(tickets__department_id__in=scope.department_ids)
        )
    elif scope.kind == ScopeKind.ACCOUNT:
        found = found.filter(affected_accounts=scope.account_id)
    rows = (
        found.distinct()
        .order_by("declared_at", "id")
        .values("id", "title", "severity", "status", "declared_at", "resolved_at")
    )[:INCIDENTS_LISTED]
    listed = []
    for row in rows:
        hours = (
            round((row["resolved_at"] - row["declared_at"]).total_seconds() / 3600, 1)
            if row["resolved_at"]
            else None
        )
        listed.append(
            {
                "id": row["id"],
                "reference": f"MI-{row['id']}",
                "title": row["title"],
                "severity": row["severity"],
                "status": row["status"],
                "declared_on": timezone.localtime(row["declared_at"]).date().isoformat(),
                "hours_to_resolve": hours,
            }
        )
    return listed


def top_customers(scope: Scope, start: date, end: date) -> list[dict[str, Any]]:
    """The accounts that hurt most in the period: tickets, breaches, complaints, low ratings
    and major incidents, weighted by ``PAIN``."""
    begin, finish = instant(start), instant(end)
    per_account = (
        scope.tickets()
        .filter(account__isnull=False, created_at__gte=begin, created_at__lt=finish)
        .values("account_id", "account__name", "account__name_en")
        .annotate(
            tickets=Count("id"),
            breached=Count("id", filter=Q(sla_breached=True)),
            complaints=Count("id", filter=Q(ticket_type=TicketType.COMPLAINT)),
        )
    )
    rows: dict[int, dict[str, Any]] = {
        row["account_id"]: dict(row, low_ratings=0, incidents=0) for row in per_account
    }
    low = (
        SatisfactionRating.objects.filter(scope.ticket_q("ticket__"))
        .filter(created_at__gte=begin, created_at__lt=finish, score__lte=LOW_SCORE)
        .filter(account_id__in=rows.keys())
        .values("account_id")
        .annotate(n=Count("id"))
    )
    for low_row in low:
        rows[low_row["account_id"]]["low_ratings"] = low_row["n"]
    hit = (
        MajorIncident.affected_accounts.through.objects.filter(
            account_id__in=rows.keys(),
            majorincident__declared_at__gte=begin,
            majorincident__declared_at__lt=finish,
        )
        .values("account_id")
        .annotate(n=Count("id"))
    )
    for hit_row in hit:
        rows[hit_row["account_id"]]["incidents"] = hit_row["n"]
    ranked = []
    for row in rows.values():
        pain = (
            row["tickets"] * PAIN["ticket"]
            + row["breached"] * PAIN["breached"]
            + row["complaints"] * PAIN["complaint"]
            + row["low_ratings"] * PAIN["low_rating"]
            + row["incidents"] * PAIN["incident"]
        )
        ranked.append(
            {
                "account_id": row["account_id"],
                "name": row["account__name"],
                "name_en": row["account__name_en"] or "",
                "tickets": row["tickets"],
                "breached": row["breached"],
                "complaints": row["complaints"],
                "low_ratings": row["low_ratings"],
                "incidents": row["incidents"],
                "pain": pain,
            }
        )
    ranked.sort(key=lambda r: (-r["pain"], r["name"]))
    return ranked[:TOP_CUSTOMERS]


def usage(account_id: int, period: str, start: date, end: date) -> dict[str, Any]:
    """The account's usage and spend per product in the period and the one before."""
    from kehu.usage.models import UsageRecord

    before_start, _ = previous(period, start)
    rows = (
        UsageRecord.objects.filter(account_id=account_id, day__gte=before_start, day__lt=end)
        .values("product_id", "product__name", "product__name_en", "product__unit")
        .annotate(
            now_quantity=Sum("quantity", filter=Q(day__gte=start)),
            now_spend=Sum("spend", filter=Q(day__gte=start)),
            previous_quantity=Sum("quantity", filter=Q(day__lt=start)),
            previous_spend=Sum("spend", filter=Q(day__lt=start)),
        )
        .order_by("product__code")
    )
    products = [
        {
            "name": row["product__name"],
            "name_en": row["product__name_en"] or "",
            "unit": row["product__unit"],
            "quantity": str(row["now_quantity"] or 0),
            "previous_quantity": str(row["previous_quantity"] or 0),
            "spend": str(row["now_spend"] or 0),
            "previous_spend": str(row["previous_spend"] or 0),
        }
        for row in rows
    ]
    spend = sum((Decimal(p["spend"]) for p in products), Decimal(0))
    before = sum((Decimal(p["previous_spend"]) for p in products), Decimal(0))
    return {
        "products": products,
        "spend": str(spend),
        "previous_spend": str(before),
        "spend_change_pct": round(float((spend - before) * 100 / before), 1) if before else None,
    }


def relationship_changes(account_id: int, start: date, end: date) -> dict[str, Any]:
    """Stage changes of the account's people in the period (relationship map, SPEC §4)."""
    from kehu.relations.models import STAGE_ORDER, StageChange

    rows = (
        StageChange.objects.filter(
            person__account_id=account_id, changed_on__gte=start, changed_on__lt=end
        )
        .order_by("changed_on", "id")
        .values("person__contact__name", "from_stage", "to_stage", "changed_on")
    )
    changes = []
    for row in rows:
        up = STAGE_ORDER.get(row["to_stage"], 0) > STAGE_ORDER.get(row["from_stage"], -1)
        changes.append(
            {
                "person": row["person__contact__name"],
                "from_stage": row["from_stage"],
                "to_stage": row["to_stage"],
                "on": row["changed_on"].isoformat(),
                "up": up,
            }
        )
    return {
        "up": sum(1 for c in changes if c["up"]),
        "down": sum(1 for c in changes if not c["up"]),
        "changes": changes,
    }


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """The few numbers compared with the previous period."""
    sla_rows = figures["sla"]
    total = sum(r["total"] for r in sla_rows)
    met = sum(r["met"] for r in sla_rows)
    return {
        "volume": figures["volume"]["total"],
        "sla_attainment": ratio(met, total),
        "first_response_median": figures["times"]["first_response"]["median"],
        "resolution_median": figures["times"]["resolution"]["median"],
        "backlog": figures["backlog"]["open"],
        "satisfaction": figures["satisfaction"]["average"],
        "complaints": figures["complaints"]["count"],
        "incidents": len(figures["incidents"]),
    }


# For each headline figure: is a higher number better (True), worse (False) or neither (None)?
# ``threshold`` is the smallest change that counts, relative (share) or absolute.
DIRECTIONS: dict[str, tuple[bool | None, float, float]] = {
    "volume": (None, 0.10, 5),
    "sla_attainment": (True, 0.0, 2.0),
    "first_response_median": (False, 0.10, 5),
    "resolution_median": (False, 0.10, 30),
    "backlog": (False, 0.10, 3),
    "satisfaction": (True, 0.0, 0.2),
    "complaints": (False, 0.0, 1),
    "incidents": (False, 0.0, 1),
}


def compare(now: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    """Each headline figure's change; ``verdict`` is better, worse, changed or same."""
    found = []
    for key, (higher_is_better, relative, absolute) in DIRECTIONS.items():
        after, earlier = now.get(key), before.get(key)
        verdict = "same"
        if after is not None and earlier is not None:
            delta = after - earlier
            significant = abs(delta) >= absolute and (
                not relative or not earlier or abs(delta) / abs(earlier) >= relative
            )
            if significant:
                if higher_is_better is None:
                    verdict = "changed"
                else:
                    verdict = "better" if (delta > 0) == higher_is_better else "worse"
        elif after is not None or earlier is not None:
            verdict = "new" if after is not None else "gone"
        found.append({"key": key, "before": earlier, "after": after, "verdict": verdict})
    return found


def compute(scope: Scope, period: str, start: date, end: date) -> dict[str, Any]:
    """All figures of the scope's report for [start, end), with the previous period's headline."""
    figures: dict[str, Any] = {
        "scope": {"kind": scope.kind, "name": scope.name, "name_en": scope.name_en},
        "period": {"kind": period, "start": start.isoformat(), "end": end.isoformat()},
        **_core(scope, start, end),
    }
    if scope.kind == ScopeKind.ACCOUNT and scope.account_id is not None:
        figures["usage"] = usage(scope.account_id, period, start, end)
        figures["relations"] = relationship_changes(scope.account_id, start, end)
    else:
        figures["top_customers"] = top_customers(scope, start, end)
    before_start, before_end = previous(period, start)
    figures["headline"] = headline(figures)
    figures["previous"] = headline(_core(scope, before_start, before_end))
    figures["changes"] = compare(figures["headline"], figures["previous"])
    return figures


def _core(scope: Scope, start: date, end: date) -> dict[str, Any]:
    return {
        "volume": volume(scope, start, end),
        "sla": sla(scope, start, end),
        "times": times(scope, start, end),
        "backlog": backlog(scope, end),
        "satisfaction": satisfaction(scope, start, end),
        "complaints": complaints(scope, start, end),
        "incidents": incidents(scope, start, end),
    }
