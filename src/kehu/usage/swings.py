"""Swing detection: usage or spend that moved more than a rule allows against its baseline.

For every active rule, a handful of aggregate queries over the rule's window (grouped by
account and product, reading ``usage_by_day`` / the (account, product, day) unique index) give
each series' current value and baseline; never one query per account.

Baselines
    ``week_over_week``: the 7 days ending ``day`` against the 7 days before them.
    ``same_weekday``: the value on ``day`` against the average of the same weekday over the
    previous ``baseline_weeks`` weeks.

Gaps: a missing day is *no data*, not zero. Feeds send a zero row for a day without use; a day
without a row means nothing arrived. So

* a window (current or baseline) without any record is *unknown*: no alert either way;
* a 7-day window with some days missing is scaled to 7 days from the days it has
  (sum / recorded days × 7), so a late or lost import does not look like a drop;
* the same-weekday baseline averages only the weeks that have a record for that weekday;
* records that are there and sum to zero are a real zero.
* For spend, a record without spend is a missing day of spend.

Zero baselines: baseline 0 and current above 0 is an alert "started using" with
``change_percent`` empty — a rise from nothing passes any threshold; baseline 0 and current 0
is nothing. Otherwise the change is ``(current − baseline) / baseline × 100`` and a rule fires
when its size reaches the threshold (``≥``: a ±30 % rule fires at exactly +30 % or −30 %).

Each alert is created once (unique per account, product, rule and day): running the same day
again creates nothing new and tells nobody twice. New alerts are told to the account owner and to
every after-sales engineer through the notify app, and written on the account's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from kehu.usage.models import DetectionRun, SwingAlert, SwingRule, UsageRecord

WEEK = 7
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
MAX_PERCENT = Decimal("9999999999.99")  # what the change column holds


def default_day(now: datetime | None = None) -> date:
    """Yesterday in the configured TIME_ZONE: the last complete day of usage."""
    return timezone.localdate(now or timezone.now()) - timedelta(days=1)


@dataclass(frozen=True)
class Finding:
    account_id: int
    product_id: int
    baseline: Decimal
    current: Decimal
    change_percent: Decimal | None


def change_of(baseline: Decimal, current: Decimal) -> tuple[bool, Decimal | None]:
    """(worth looking at, change in %); the threshold is applied by the caller."""
    if baseline == 0:
        return current > 0, None
    return True, ((current - baseline) * HUNDRED / baseline).quantize(CENT, ROUND_HALF_UP)


def fires(rule: SwingRule, baseline: Decimal, current: Decimal) -> tuple[bool, Decimal | None]:
    """(whether ``rule`` fires, the change in % — None when usage started from zero)."""
    moved, percent = change_of(baseline, current)
    if not moved:
        return False, None
    if percent is None:
        return True, None
    return abs(percent) >= rule.threshold_percent, min(percent, MAX_PERCENT)


def _records(rule: SwingRule, days: Q) -> Any:
    records = UsageRecord.objects.filter(days)
    if rule.product_id is not None:
        records = records.filter(product_id=rule.product_id)
    return records.values("account_id", "product_id").order_by()


def _week_over_week(rule: SwingRule, day: date) -> list[Finding]:
    metric = rule.metric
    split = day - timedelta(days=WEEK)
    first = day - timedelta(days=2 * WEEK - 1)
    current, before = Q(day__gt=split), Q(day__lte=split)
    rows = _records(rule, Q(day__range=(first, day))).annotate(
        cur_sum=Sum(metric, filter=current),
        cur_days=Count(metric, filter=current),
        base_sum=Sum(metric, filter=before),
        base_days=Count(metric, filter=before),
    )
    found = []
    for row in rows.filter(cur_days__gt=0, base_days__gt=0):
        # Scaled to 7 days from the days that have data (a missing day is no data).
        cur = Decimal(row["cur_sum"]) * WEEK / row["cur_days"]
        base = Decimal(row["base_sum"]) * WEEK / row["base_days"]
        found.extend(_finding(rule, row, base, cur))
    return found


def _same_weekday(rule: SwingRule, day: date) -> list[Finding]:
    metric = rule.metric
    earlier = [day - timedelta(days=WEEK * n) for n in range(1, rule.baseline_weeks + 1)]
    current, before = Q(day=day), Q(day__in=earlier)
    rows = _records(rule, Q(day__in=[day, *earlier])).annotate(
        cur_sum=Sum(metric, filter=current),
        cur_days=Count(metric, filter=current),
        base_sum=Sum(metric, filter=before),
        base_days=Count(metric, filter=before),
    )
    found = []
    for row in rows.filter(cur_days__gt=0, base_days__gt=0):
        base = Decimal(row["base_sum"]) / row["base_days"]
        found.extend(_finding(rule, row, base, Decimal(row["cur_sum"])))
    return found


def _finding(rule: SwingRule, row: dict[str, Any], base: Decimal, cur: Decimal) -> list[Finding]:
    base, cur = base.quantize(FOUR_PLACES), cur.quantize(FOUR_PLACES)
    fire, percent = fires(rule, base, cur)
    if not fire:
        return []
    return [Finding(row["account_id"], row["product_id"], base, cur, percent)]


def findings(rule: SwingRule, day: date) -> list[Finding]:
    """Every series where ``rule`` fires on ``day`` (one aggregate query)."""
    if rule.baseline == SwingRule.Baseline.SAME_WEEKDAY:
        return _same_weekday(rule, day)
    return _week_over_week(rule, day)


def detect(day: date | None = None, *, now: datetime | None = None) -> list[SwingAlert]:
    """Run every active rule for ``day`` (default: yesterday); returns the alerts new this run."""
    from kehu.usage import services  # notifications and timeline lines of the new alerts

    day = day or default_day(now)
    rules = list(SwingRule.objects.filter(is_active=True).order_by("pk"))
    # Read before the transaction: on SQLite it takes the write lock, which the seconds of
    # aggregate reading over a big table must not hold.
    found = [(rule, f) for rule in rules for f in findings(rule, day)]
    with transaction.atomic():
        run, _created = DetectionRun.objects.get_or_create(day=day)
        # Serialises detections of the same day: the second waits, then finds the alerts made.
        run = DetectionRun.objects.select_for_update().get(pk=run.pk)
        existing = set(
            SwingAlert.objects.filter(day=day).values_list("account_id", "product_id", "rule_id")
        )
        # Holding the day's lock, every alert of the day above this id is one of ours.
        last_id = SwingAlert.objects.filter(day=day).aggregate(last=Max("pk"))["last"] or 0
        fresh = [
            SwingAlert(
                account_id=f.account_id,
                product_id=f.product_id,
                rule=rule,
                day=day,
                baseline_value=f.baseline,
                current_value=f.current,
                change_percent=f.change_percent,
            )
            for rule, f in found
            if (f.account_id, f.product_id, rule.pk) not in existing
        ]
        created: list[SwingAlert] = []
        if fresh:
            SwingAlert.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
            created = list(
                SwingAlert.objects.filter(day=day, pk__gt=last_id)
                .select_related("account", "product", "rule")
                .order_by("pk")
            )
        services.alerts_announce(created, now=now)
        run.finished_at = now or timezone.now()
        run.alerts += len(created)
        run.save(update_fields=["finished_at", "alerts"])
    return created
