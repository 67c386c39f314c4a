"""Reads of the segments app: the overview and an account's segment history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from kehu.customers.models import Account, Segment, SegmentChange
from kehu.segments.models import SegmentRun

RECENT_DAYS = 30


@dataclass
class Overview:
    counts: list[tuple[str, str, int]]  # (segment, label, accounts); "" is "not yet computed"
    overridden: int
    recent_changes: list[SegmentChange]
    changed_accounts: list[Account]
    last_run: SegmentRun | None
    since: datetime


def segment_history(account: Account, limit: int = 10) -> QuerySet[SegmentChange]:
    """The account's latest segment changes, newest first, with who made them."""
    return SegmentChange.objects.filter(account=account).select_related("changed_by")[:limit]


def segment_overview(*, now: datetime | None = None, limit: int = 50) -> Overview:
    """Counts per segment, the latest changes and the accounts that changed segment lately."""
    now = now or timezone.now()
    since = now - timedelta(days=RECENT_DAYS)
    by_segment = dict(
        Account.objects.values("segment").annotate(n=Count("id")).values_list("segment", "n")
    )
    counts = [(value, str(label), by_segment.get(value, 0)) for value, label in Segment.choices]
    if by_segment.get(""):
        counts.append(("", "", by_segment[""]))
    return Overview(
        counts=counts,
        overridden=Account.objects.exclude(segment_override_reason="").count(),
        recent_changes=list(
            SegmentChange.objects.select_related("account", "changed_by").order_by(
                "-changed_at", "-id"
            )[:limit]
        ),
        changed_accounts=list(
            Account.objects.filter(segment_changed_at__gte=since)
            .select_related("owner")
            .order_by("-segment_changed_at", "id")[:limit]
        ),
        last_run=SegmentRun.objects.first(),
        since=since,
    )
