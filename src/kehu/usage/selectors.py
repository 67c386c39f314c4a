"""Reads of the usage app: series aggregated in the database, alerts visible to a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from kehu.customers.models import Account
from kehu.customers.rules import dossier_accounts
from kehu.usage.models import Product, SwingAlert, SwingRule, UsageRecord

GRANULARITIES = ("day", "week", "month")
LONG_DAYS = 730
MID_DAYS = 90
SHORT_DAYS = 14


@dataclass(frozen=True)
class Point:
    product_id: int
    period: date
    quantity: Decimal
    spend: Decimal | None
    total_spend: Decimal | None
    # Over the records where both our spend and the customer's total are known: share of wallet.
    spend_with_total: Decimal | None
    total_with_spend: Decimal | None


def series(
    *,
    account_id: int,
    start: date,
    end: date,
    granularity: str = "day",
    product_ids: list[int] | None = None,
) -> list[Point]:
    """Usage of one account per product and period (day, week from Monday, month), summed in SQL."""
    records = UsageRecord.objects.filter(account_id=account_id, day__range=(start, end))
    if product_ids is not None:
        records = records.filter(product_id__in=product_ids)
    period: Any = F("day")
    if granularity == "week":
        period = TruncWeek("day")
    elif granularity == "month":
        period = TruncMonth("day")
    rows = (
        records.annotate(period=period)
        .values("product_id", "period")
        .annotate(
            q=Sum("quantity"),
            s=Sum("spend"),
            t=Sum("total_spend"),
            st=Sum("spend", filter=Q(total_spend__isnull=False)),
            ts=Sum("total_spend", filter=Q(spend__isnull=False)),
        )
        .order_by("product_id", "period")
    )
    return [
        Point(r["product_id"], _as_date(r["period"]), r["q"], r["s"], r["t"], r["st"], r["ts"])
        for r in rows
    ]


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def share_of_wallet(points: list[Point]) -> Decimal | None:
    """Our spend as a % of the customer's total where the total is known (None: unknown)."""
    total = sum((p.total_with_spend for p in points if p.total_with_spend), Decimal(0))
    ours = sum((p.spend_with_total for p in points if p.spend_with_total is not None), Decimal(0))
    if total <= 0:
        return None
    return (ours * 100 / total).quantize(Decimal("0.1"))


def account_products(account_id: int) -> list[Product]:
    """The products the account has usage of, in code order (one query)."""
    used = UsageRecord.objects.filter(account_id=account_id).values("product_id").distinct()
    return list(Product.objects.filter(pk__in=used).order_by("code"))


def today() -> date:
    return timezone.localdate()


def visible_alerts(user: Any) -> QuerySet[SwingAlert]:
    """Alerts on the accounts whose dossier ``user`` may read, newest first."""
    return SwingAlert.objects.filter(account__in=dossier_accounts(user)).select_related(
        "account", "product", "rule", "acknowledged_by"
    )


@dataclass
class AlertFilters:
    status: str = ""
    product_id: int | None = None
    rule_id: int | None = None
    account_id: int | None = None


def alert_list(user: Any, filters: AlertFilters) -> QuerySet[SwingAlert]:
    alerts = visible_alerts(user)
    if filters.status:
        alerts = alerts.filter(status=filters.status)
    if filters.product_id:
        alerts = alerts.filter(product_id=filters.product_id)
    if filters.rule_id:
        alerts = alerts.filter(rule_id=filters.rule_id)
    if filters.account_id:
        alerts = alerts.filter(account_id=filters.account_id)
    return alerts.order_by("-day", "-id")


def account_alerts(account: Account, *, open_only: bool = False) -> QuerySet[SwingAlert]:
    alerts = SwingAlert.objects.filter(account=account).select_related(
        "product", "rule", "acknowledged_by"
    )
    if open_only:
        alerts = alerts.filter(status=SwingAlert.Status.OPEN)
    return alerts.order_by("-day", "-id")


def rules() -> QuerySet[SwingRule]:
    return SwingRule.objects.select_related("product").order_by("name", "pk")


def window(days: int, end: date | None = None) -> tuple[date, date]:
    """The ``days`` days ending ``end`` (default today)."""
    end = end or today()
    return end - timedelta(days=days - 1), end
