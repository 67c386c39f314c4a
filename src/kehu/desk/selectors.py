"""Reads of service-desk data."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet

from kehu.desk import sla
from kehu.desk.models import BusinessCalendar, CalendarDay


def calendars() -> QuerySet[BusinessCalendar]:
    """Calendars with their intervals and special days loaded, and their special days counted."""
    return BusinessCalendar.objects.prefetch_related("intervals", "days").annotate(
        holiday_count=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
        working_day_count=Count("days", filter=Q(days__kind=CalendarDay.Kind.WORKING)),
    )


def engine_calendar(calendar: BusinessCalendar) -> sla.BusinessCalendar:
    """The SLA engine's view of a stored calendar (uses prefetched rows when present)."""
    weekly: dict[int, list[sla.Interval]] = defaultdict(list)
    for interval in calendar.intervals.all():
        weekly[interval.weekday].append((interval.start, interval.end))
    days = list(calendar.days.all())
    return sla.BusinessCalendar(
        time_zone=calendar.time_zone,
        weekly={weekday: tuple(sorted(spans)) for weekday, spans in weekly.items()},
        holidays=frozenset(d.date for d in days if d.kind == CalendarDay.Kind.HOLIDAY),
        extra_working_days={d.date: d.works_as for d in days if d.kind == CalendarDay.Kind.WORKING},
    )


def weekly_hours(calendar: BusinessCalendar) -> float:
    """Working hours in an ordinary week, as a quick check of the schedule."""
    total = timedelta(0)
    for interval in calendar.intervals.all():
        total += interval_length(interval.start, interval.end)
    return total.total_seconds() / 3600


def interval_length(start: time, end: time) -> timedelta:
    """Wall-clock length of an interval; one whose end is not after its start runs overnight."""
    begin = datetime.combine(date.min, start)
    finish = datetime.combine(date.min, end)
    return finish - begin if finish > begin else finish + timedelta(days=1) - begin
