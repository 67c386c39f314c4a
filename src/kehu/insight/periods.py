"""Report periods: weeks (Monday to Monday) and calendar months, in the server's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from kehu.insight.models import Period


def bounds(period: str, start: date) -> tuple[date, date]:
    """The period containing ``start`` as [first day, day after the last)."""
    if period == Period.WEEK:
        first = start - timedelta(days=start.weekday())
        return first, first + timedelta(days=7)
    first = start.replace(day=1)
    return first, (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous(period: str, start: date) -> tuple[date, date]:
    """The period just before the one starting on ``start``."""
    return bounds(period, start - timedelta(days=1))


def last_complete(period: str, today: date) -> tuple[date, date]:
    """The latest period that has ended by ``today``."""
    first, _end = bounds(period, today)
    return previous(period, first)


def instant(day: date) -> datetime:
    """Midnight at the start of ``day`` in the server's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
