"""Demo usage: three products, two years of daily usage for every demo account, swing rules.

Deterministic (one seeded generator per account) and idempotent: the demo accounts' series
are deleted and written again, rules and products are updated in place, and the swing
detection of the last days creates only alerts that are not there yet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction

from kehu.customers.models import Account
from kehu.usage import swings
from kehu.usage.models import Product, SwingRule, UsageRecord

DAYS = 730
BATCH = 20_000
DETECT_DAYS = 3

# code, name, English name, unit, typical daily quantity, price per unit, weekend factor,
# Double 11 factor
PRODUCTS = [
    ("cloud-server", "云服务器", "Cloud servers", "核·天 core-days", 400.0, 0.9, 0.85, 1.6),
    ("object-storage", "对象存储", "Object storage", "TB", 60.0, 4.0, 1.0, 1.15),
    ("cdn", "CDN", "CDN", "TB", 12.0, 180.0, 1.2, 2.2),
]
RULES = [
    (
        "周环比 ±30% · Week over week ±30 %",
        SwingRule.Baseline.WEEK_OVER_WEEK,
        4,
        30,
    ),
    (
        "同比工作日 ±50% · Same weekday (4 weeks) ±50 %",
        SwingRule.Baseline.SAME_WEEKDAY,
        4,
        50,
    ),
]


def _products() -> list[Product]:
    found = []
    for code, name, name_en, unit, *_rest in PRODUCTS:
        product = Product.objects.filter(code=code).first() or Product(code=code)
        product.name, product.name_en, product.unit = name, name_en, unit
        product.save()
        found.append(product)
    return found


def _rules() -> None:
    for name, baseline, weeks, threshold in RULES:
        SwingRule.objects.update_or_create(
            name=name,
            defaults={
                "metric": SwingRule.Metric.QUANTITY,
                "baseline": baseline,
                "baseline_weeks": weeks,
                "threshold_percent": threshold,
                "product": None,
                "is_active": True,
            },
        )


def _double_eleven(day: date) -> float:
    """0 on ordinary days, rising to 1 on 11 November (the Double 11 shopping festival)."""
    if day.month != 11 or not 9 <= day.day <= 13:
        return 0.0
    return max(0.0, 1 - abs(day.day - 11) / 2)


def _series(
    account_id: int, product_index: int, product_id: int, first: date, last: date
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(account_id * 31 + product_index)  # noqa: S311  (demo data, seeded)
    _code, _n, _e, _u, typical, price, weekend, peak = PRODUCTS[product_index]
    level = typical * rng.lognormvariate(0, 0.9)
    growth = rng.uniform(-0.0004, 0.0015)  # per day: shrinking to +70 % a year
    season = rng.uniform(0.0, 0.15)
    # Some accounts also buy from competitors: our share of their wallet, drifting slowly.
    share = rng.uniform(0.3, 1.0) if account_id % 5 in (0, 2) else None
    # A few accounts swing sharply in the last weeks (drop or jump), for the demo's alerts.
    swing = {0: 0.35, 1: 2.2}.get(account_id % 17) if product_index == 0 else None
    swing_from = last - timedelta(days=rng.randint(2, 9))
    day, n = first, 0
    while day <= last:
        value = level * math.exp(growth * n)
        value *= 1 + season * math.sin(2 * math.pi * n / 365.0)
        if day.weekday() >= 5:
            value *= weekend
        value *= 1 + (peak - 1) * _double_eleven(day)
        if swing is not None and day >= swing_from:
            value *= swing
        value *= rng.uniform(0.95, 1.05)
        spend = value * price
        total = spend / min(1.0, share + 0.05 * math.sin(n / 60)) if share else None
        yield (
            account_id,
            product_id,
            day,
            f"{value:.4f}",
            f"{spend:.2f}",
            f"{total:.2f}" if total is not None else None,
        )
        day += timedelta(days=1)
        n += 1


def _insert(rows: list[tuple[Any, ...]]) -> int:
    # One prepared statement for many rows (portable SQL): a model instance per row would
    # cost most of the demo's time at some 300,000 rows.
    if rows:
        table = UsageRecord._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (account_id, product_id, day, quantity, spend, total_spend) "  # noqa: S608  (no input in it)
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
    return len(rows)


def build_usage_demo(
    accounts: Any = None, *, days: int = DAYS, last: date | None = None, detect: bool = True
) -> dict[str, int]:
    """Products, rules, ``days`` days of usage for every account (1–3 products each), alerts."""
    accounts = list(
        (accounts if accounts is not None else Account.objects.all())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last = last or swings.default_day()
    first = last - timedelta(days=days - 1)
    with transaction.atomic():
        products = _products()
        _rules()
        UsageRecord.objects.filter(account_id__in=accounts).delete()
        pending: list[tuple[Any, ...]] = []
        written = 0
        for account_id in accounts:
            chosen = [0, 1, 2][: 1 + account_id % 3]
            for index in chosen:
                pending.extend(_series(account_id, index, products[index].pk, first, last))
                if len(pending) >= BATCH:
                    written += _insert(pending)
                    pending = []
        written += _insert(pending)
    alerts = 0
    if detect and accounts:
        for back in range(DETECT_DAYS - 1, -1, -1):
            alerts += len(swings.detect(last - timedelta(days=back)))
    return {"records": written, "accounts": len(accounts), "alerts": alerts}
