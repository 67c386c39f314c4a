"""Account health score (0–100): a weighted mean of factor scores, computed for every account
at once (one or two aggregate queries per factor, then bulk writes).

Factors form a registry (``register_factor``): each takes the ids of the accounts and the day
and returns, per account, a score 0–100 and the fact behind it, or nothing when it has no data
for that account — then its weight is left out of that account's mean instead of counting as
zero. Payment behaviour (SPEC §5, contracts) and the sales pipeline plug in the same way once
those apps exist: a function here reading them, decorated with ``register_factor``.
Weights and alert thresholds live in ``HealthSettings`` (administrators change them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from kehu.insight.periods import instant

FactorResult = dict[int, tuple[float, dict[str, Any]]]
Compute = Callable[[list[int], date], FactorResult]


@dataclass(frozen=True)
class Factor:
    key: str
    label: Any  # lazy translation
    weight: int  # the default weight
    compute: Compute
    explanation: Any


FACTORS: dict[str, Factor] = {}


def register_factor(
    key: str, *, label: Any, weight: int, explanation: Any
) -> Callable[[Compute], Compute]:
    """Add a factor to the health score (its default weight; administrators may change it)."""

    def add(compute: Compute) -> Compute:
        FACTORS[key] = Factor(key, label, weight, compute, explanation)
        return compute

    return add


def default_weights() -> dict[str, int]:
    return {key: factor.weight for key, factor in FACTORS.items()}


def _end_of(day: date) -> Any:
    """Scores are as of the end of ``day``: what happened that day counts."""
    return instant(day + timedelta(days=1))


def clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


USAGE_DAYS = 30
TICKET_DAYS = 90
RATING_DAYS = 180
INCIDENT_DAYS = 90


@register_factor(
    "usage_trend",
    label=_("Usage trend"),
    weight=25,
    explanation=_(
        "Spend of the last 30 days against the 30 days before: 110% or more scores 100, half "
        "or less scores 0, linear between. No usage in either window: no data."
    ),
)
def usage_trend(account_ids: list[int], today: date) -> FactorResult:
    from kehu.usage.models import UsageRecord

    start = today - timedelta(days=USAGE_DAYS)
    before = start - timedelta(days=USAGE_DAYS)
    rows = (
        UsageRecord.objects.filter(account_id__in=account_ids, day__gte=before, day__lte=today)
        .values("account_id")
        .annotate(
            recent=Sum("spend", filter=Q(day__gte=start)),
            earlier=Sum("spend", filter=Q(day__lt=start)),
        )
    )
    found: FactorResult = {}
    for row in rows:
        recent, earlier = row["recent"] or Decimal(0), row["earlier"] or Decimal(0)
        if not recent and not earlier:
            continue
        trend = float(recent / earlier) if earlier else 2.0
        found[row["account_id"]] = (
            clamp((trend - 0.5) / 0.6 * 100),
            {"recent": str(recent), "earlier": str(earlier), "ratio": round(trend, 2)},
        )
    return found


@register_factor(
    "tickets",
    label=_("Tickets and complaints"),
    weight=25,
    explanation=_(
        "Pain of the last 90 days: each ticket 1 point, each SLA breach 2, each complaint 5; "
        "score 100 × e^(−pain/20). No tickets: 100."
    ),
)
def tickets(account_ids: list[int], today: date) -> FactorResult:
    from kehu.desk.models import Ticket
    from kehu.desk.priority import TicketType

    since = instant(today - timedelta(days=TICKET_DAYS))
    rows = (
        Ticket.objects.filter(
            account_id__in=account_ids,
            created_at__gte=since,
            created_at__lt=_end_of(today),
            merged_into__isnull=True,
        )
        .values("account_id")
        .annotate(
            n=Count("id"),
            breached=Count("id", filter=Q(sla_breached=True)),
            complaints=Count("id", filter=Q(ticket_type=TicketType.COMPLAINT)),
        )
    )
    counted = {row["account_id"]: row for row in rows}
    found: FactorResult = {}
    for account_id in account_ids:
        row = counted.get(account_id, {"n": 0, "breached": 0, "complaints": 0})
        pain = row["n"] + 2 * row["breached"] + 5 * row["complaints"]
        found[account_id] = (
            100 * math.exp(-pain / 20),
            {"tickets": row["n"], "breached": row["breached"], "complaints": row["complaints"]},
        )
    return found


@register_factor(
    "satisfaction",
    label=_("Satisfaction"),
    weight=20,
    explanation=_(
        "Average survey score (1–5) of the last 180 days: 1 scores 0, 5 scores 100. No ratings: "
        "no data."
    ),
)
def satisfaction(account_ids: list[int], today: date) -> FactorResult:
    from kehu.feedback.models import SatisfactionRating

    rows = (
        SatisfactionRating.objects.filter(
            account_id__in=account_ids,
            created_at__gte=instant(today - timedelta(days=RATING_DAYS)),
            created_at__lt=_end_of(today),
        )
        .values("account_id")
        .annotate(average=Avg("score"), n=Count("id"))
    )
    return {
        row["account_id"]: (
            clamp((float(row["average"]) - 1) / 4 * 100),
            {"average": round(float(row["average"]), 2), "ratings": row["n"]},
        )
        for row in rows
    }


@register_factor(
    "relationship",
    label=_("Relationship depth"),
    weight=15,
    explanation=_(
        "From the relationship map: each person at trust or alliance stage 25 points, each "
        "coach 15, a key relationship 20 and an organisational one 40 (at most 100). An "
        "account without a map: no data."
    ),
)
def relationship(account_ids: list[int], today: date) -> FactorResult:
    from kehu.relations.models import AccountRelationship, Person, RelationshipLevel, Stage

    rows = (
        Person.objects.filter(account_id__in=account_ids, created_at__lt=_end_of(today))
        .values("account_id")
        .annotate(
            people=Count("id"),
            close=Count("id", filter=Q(stage__in=[Stage.TRUST, Stage.ALLIANCE])),
            coaches=Count("id", filter=Q(is_coach=True)),
        )
    )
    levels = dict(
        AccountRelationship.objects.filter(account_id__in=account_ids).values_list(
            "account_id", "level"
        )
    )
    bonus = {RelationshipLevel.KEY: 20, RelationshipLevel.ORGANISATIONAL: 40}
    found: FactorResult = {}
    for row in rows:
        level = levels.get(row["account_id"], "")
        points = 25 * row["close"] + 15 * row["coaches"] + bonus.get(level, 0)  # type: ignore[call-overload]
        found[row["account_id"]] = (
            clamp(points),
            {
                "people": row["people"],
                "close": row["close"],
                "coaches": row["coaches"],
                "level": level,
            },
        )
    return found


@register_factor(
    "incidents",
    label=_("Major incidents"),
    weight=15,
    explanation=_(
        "Major incidents that affected the account in the last 90 days: each SEV 1 costs 50 "
        "points, SEV 2 35, SEV 3 20 (from 100)."
    ),
)
def incidents(account_ids: list[int], today: date) -> FactorResult:
    from kehu.incidents.models import IncidentSeverity, MajorIncident

    cost = {IncidentSeverity.SEV1: 50, IncidentSeverity.SEV2: 35, IncidentSeverity.SEV3: 20}
    rows = (
        MajorIncident.affected_accounts.through.objects.filter(
            account_id__in=account_ids,
            majorincident__declared_at__gte=instant(today - timedelta(days=INCIDENT_DAYS)),
            majorincident__declared_at__lt=_end_of(today),
        )
        .values("account_id", "majorincident__severity")
        .annotate(n=Count("id"))
    )
    hits: dict[int, dict[str, int]] = {}
    for row in rows:
        hits.setdefault(row["account_id"], {})[row["majorincident__severity"]] = row["n"]
    found: FactorResult = {}
    for account_id in account_ids:
        counts = hits.get(account_id, {})
        lost = sum(cost.get(sev, 20) * n for sev, n in counts.items())  # type: ignore[call-overload]
        found[account_id] = (clamp(100 - lost), {"incidents": sum(counts.values())})
    return found


@dataclass
class Scored:
    score: int
    factors: dict[str, Any]


def combine(
    results: dict[str, FactorResult], weights: dict[str, int], account_ids: Iterable[int]
) -> dict[int, Scored]:
    """Each account's weighted mean over the factors that have data for it; each factor's
    contribution is its share of the final score in points (they add up to the score)."""
    scored: dict[int, Scored] = {}
    for account_id in account_ids:
        present = {
            key: result[account_id]
            for key, result in results.items()
            if account_id in result and weights.get(key, 0) > 0
        }
        total_weight = sum(weights[key] for key in present)
        factors: dict[str, Any] = {}
        score = 0.0
        for key in results:
            if key not in present:
                factors[key] = {"score": None, "weight": weights.get(key, 0), "contribution": 0}
                continue
            value, detail = present[key]
            contribution = value * weights[key] / total_weight
            score += contribution
            factors[key] = {
                "score": round(value, 1),
                "weight": weights[key],
                "contribution": round(contribution, 1),
                "detail": detail,
            }
        scored[account_id] = Scored(round(score) if total_weight else 50, factors)
    return scored
