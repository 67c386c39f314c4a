"""Recomputing every account's health score at once, its history and the owner's alerts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Account
from kehu.insight import health
from kehu.insight.models import AccountHealth, HealthHistory, HealthRun, HealthSettings

BATCH = 2000
CHANGE_DAYS = 30  # the change shown in lists is against the score of about a month ago
EVENT = "insight.health_drop"


def settings_row() -> HealthSettings:
    """The one settings row (created with the defaults on first use)."""
    row = HealthSettings.objects.order_by("pk").first()
    if row is None:
        row = HealthSettings.objects.create()
    return row


def weights_of(row: HealthSettings) -> dict[str, int]:
    """Configured weights, with registered factors missing from them at their defaults."""
    configured = {k: int(v) for k, v in (row.weights or {}).items() if k in health.FACTORS}
    return {**health.default_weights(), **configured}


def crossed(before: int | None, after: int, thresholds: list[int]) -> int | None:
    """The lowest threshold a score fell below (None when it crossed none downward)."""
    if before is None:
        return None
    fallen = [t for t in thresholds if before >= t > after]
    return min(fallen) if fallen else None


def _baseline(day: date) -> dict[int, int]:
    """Scores of the run about ``CHANGE_DAYS`` ago (else the earliest run), by account."""
    earlier = HealthRun.objects.filter(day__lt=day, finished_at__isnull=False)
    run = (
        earlier.filter(day__lte=day - timedelta(days=CHANGE_DAYS)).order_by("-day").first()
        or earlier.order_by("day").first()
    )
    if run is None:
        return {}
    return dict(HealthHistory.objects.filter(day=run.day).values_list("account_id", "score"))


def recompute(day: date | None = None, *, alert: bool = True) -> int:
    """Score every active account as of ``day`` (default today); returns how many."""
    day = day or timezone.localdate()
    row = settings_row()
    weights = weights_of(row)
    thresholds = sorted(int(t) for t in row.thresholds or [])
    account_ids = list(Account.objects.filter(is_active=True).values_list("pk", flat=True))
    baseline = _baseline(day)
    done = 0
    for offset in range(0, len(account_ids), BATCH):
        batch = account_ids[offset : offset + BATCH]
        results = {key: factor.compute(batch, day) for key, factor in health.FACTORS.items()}
        scored = health.combine(results, weights, batch)
        with transaction.atomic():
            current = dict(
                AccountHealth.objects.filter(account_id__in=batch).values_list(
                    "account_id", "score"
                )
            )
            rows = [
                AccountHealth(
                    account_id=account_id,
                    score=s.score,
                    previous_score=baseline.get(account_id, current.get(account_id)),
                    change=s.score - baseline.get(account_id, current.get(account_id, s.score)),
                    factors=s.factors,
                    computed_on=day,
                )
                for account_id, s in scored.items()
            ]
            AccountHealth.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["account"],
                update_fields=["score", "previous_score", "change", "factors", "computed_on"],
            )
            HealthHistory.objects.bulk_create(
                [HealthHistory(account_id=a, day=day, score=s.score) for a, s in scored.items()],
                update_conflicts=True,
                unique_fields=["account", "day"],
                update_fields=["score"],
            )
            if alert:
                drops = {
                    account_id: threshold
                    for account_id, s in scored.items()
                    if (threshold := crossed(current.get(account_id), s.score, thresholds))
                    is not None
                }
                if drops:
                    _alert_owners(drops, {a: s.score for a, s in scored.items()})
        done += len(batch)
    return done


def _alert_owners(drops: dict[int, int], scores: dict[int, int]) -> None:
    """Tell each account's owner that its score fell below a threshold (their inbox, and email
    by their notification preference)."""
    from kehu.notify import notices

    accounts = Account.objects.filter(pk__in=drops, owner__user__isnull=False).select_related(
        "owner__user"
    )
    for account in accounts:
        threshold, score = drops[account.pk], scores[account.pk]

        def text(
            user: Any, account: Account = account, threshold: int = threshold, score: int = score
        ) -> tuple[str, str]:
            title = _("Health of %(account)s fell below %(threshold)s: now %(score)s") % {
                "account": account.name,
                "threshold": threshold,
                "score": score,
            }
            return title, _("See which factors moved on the account's health page.")

        notices.notify_users(
            event=EVENT,
            users=[account.owner.user],  # type: ignore[union-attr]
            text=text,
            url=reverse("insight:health-account", args=[account.pk]),
        )


def run_daily(now: Any = None) -> int | None:
    """Today's recomputation, once a day whatever the number of schedulers (None: done)."""
    day = timezone.localdate(now) if now else timezone.localdate()
    if HealthRun.objects.filter(day=day).exists():
        return None
    with transaction.atomic():
        run, created = HealthRun.objects.get_or_create(day=day)
    if not created:
        return None
    count = recompute(day)
    HealthRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), accounts=count)
    return count


def settings_update(
    *, weights: dict[str, int], thresholds: list[int], expected_version: int
) -> HealthSettings:
    """Change the weights and thresholds (409 on a stale version); they apply at the next run."""
    from kehu.core.concurrency import save_if_current

    return save_if_current(
        settings_row(),
        expected_version=expected_version,
        changes={
            "weights": {k: int(v) for k, v in weights.items() if k in health.FACTORS},
            "thresholds": sorted({int(t) for t in thresholds}),
        },
    )
