"""Reads of service-desk data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet

from kehu.desk.models import BusinessCalendar, CalendarDay, SlaPolicy, SlaTarget, WorkingInterval
from kehu.desk.sla import engine as sla


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


def working_day_minutes(calendar_ids: Iterable[int]) -> dict[int, int | None]:
    """Each calendar's usual working day in minutes (None without working time), one query."""
    weekly: dict[int, dict[int, list[sla.Interval]]] = {
        pk: defaultdict(list) for pk in calendar_ids
    }
    for interval in WorkingInterval.objects.filter(calendar_id__in=list(weekly)):
        weekly[interval.calendar_id][interval.weekday].append((interval.start, interval.end))
    return {
        pk: sla.working_day_minutes(
            sla.BusinessCalendar(time_zone="UTC", weekly={d: tuple(v) for d, v in days.items()})
        )
        for pk, days in weekly.items()
    }


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


def sla_policies() -> QuerySet[SlaPolicy]:
    """Policies in the order they are tried, with everything a list or a match needs (not the
    service catalogue's fallback row: it is no policy anyone edits or matches)."""
    return (
        SlaPolicy.objects.filter(is_catalogue_fallback=False)
        .select_related("calendar")
        .prefetch_related(
            "targets", "departments", "services", "categories", "escalation_steps__people"
        )
    )


def sla_policy_for(
    *,
    ticket_type: str,
    priority: str,
    department_id: int | None = None,
    service_id: int | None = None,
    category_id: int | None = None,
    account_level: str | None = None,
    policies: list[SlaPolicy] | None = None,
) -> tuple[SlaPolicy, SlaTarget] | None:
    """The first active policy whose conditions all hold and which has a target for ``priority``.

    ``policies`` lets a caller matching many tickets load the active policies once.
    """
    if policies is None:
        policies = list(sla_policies().filter(is_active=True))
    for policy in policies:
        if policy.account_levels and account_level not in policy.account_levels:
            continue
        category_ids = {c.pk for c in policy.categories.all()}
        if category_ids and category_id not in category_ids:
            continue
        if policy.ticket_types and ticket_type not in policy.ticket_types:
            continue
        department_ids = {d.pk for d in policy.departments.all()}
        if department_ids and department_id not in department_ids:
            continue
        service_ids = {s.pk for s in policy.services.all()}
        if service_ids and service_id not in service_ids:
            continue
        target = next((t for t in policy.targets.all() if t.priority == priority), None)
        if target is not None:
            return policy, target
    return None
