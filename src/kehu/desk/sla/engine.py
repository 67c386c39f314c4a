"""Business-time arithmetic for SLA targets: pure functions over a calendar and instants.

A calendar has working intervals per weekday (several a day; an interval whose end is not after
its start runs overnight into the next day, so 00:00–00:00 is a whole day), a time zone, public holidays, and extra working days
that override a weekend or holiday (the Chinese 调休 make-up days) using the intervals of a
chosen weekday. Everything is computed on real elapsed time in UTC, so days on which clocks
change for daylight saving count the minutes that actually pass.

Pauses (the ticket waiting on the customer or a third party) are passed in as closed or open
instant ranges; paused time inside working hours does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]
Span = tuple[datetime, datetime]

# A calendar with no working time at all would make "add N minutes" search forever.
_SEARCH_LIMIT = timedelta(days=3 * 366)


class CalendarError(ValueError):
    """The calendar or the request cannot be evaluated (e.g. no working time at all)."""


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str
    weekly: dict[int, tuple[Interval, ...]]  # 0 = Monday … 6 = Sunday
    holidays: frozenset[date] = frozenset()
    # make-up working day -> the weekday whose intervals it works (Monday's by default)
    extra_working_days: dict[date, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        for weekday in self.weekly:
            if weekday not in range(7):
                raise CalendarError(f"weekday {weekday} is not 0–6")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """Working intervals starting on the local ``day``."""
        if day in self.extra_working_days:
            return self.weekly.get(self.extra_working_days[day], ())
        if day in self.holidays:
            return ()
        return self.weekly.get(day.weekday(), ())


def working_day_minutes(calendar: BusinessCalendar) -> int | None:
    """The length of the calendar's usual working day in minutes (the most common among the
    weekdays with working time; the longer on a tie), or None when it has no working time."""
    totals = []
    for weekday in range(7):
        length = timedelta(0)
        for start, end in calendar.weekly.get(weekday, ()):
            begin = datetime.combine(date.min, start)
            finish = datetime.combine(date.min, end)
            length += finish - begin if finish > begin else finish + timedelta(days=1) - begin
        if length:
            totals.append(int(length.total_seconds() // 60))
    if not totals:
        return None
    return max(set(totals), key=lambda total: (totals.count(total), total))


def _local_to_utc(day: date, moment: time, zone: ZoneInfo) -> datetime:
    # A wall time skipped by a DST jump maps past the gap; an ambiguous one takes its first
    # occurrence (fold=0). Either way the result is a real instant.
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def working_spans(calendar: BusinessCalendar, since: datetime) -> Iterator[Span]:
    """Working spans (UTC) in time order, from the one containing or following ``since``."""
    _require_aware(since)
    zone = calendar.zone
    day = since.astimezone(zone).date() - timedelta(
        days=1
    )  # yesterday's overnight shift may run on
    last_day = day + _SEARCH_LIMIT
    covered_until = since  # overlapping intervals (an overnight shift into an early one) count once
    while day <= last_day:
        spans = []
        for start, end in calendar.intervals_on(day):
            end_day = day + timedelta(days=1) if end <= start else day
            spans.append((_local_to_utc(day, start, zone), _local_to_utc(end_day, end, zone)))
        for span_start, span_end in sorted(spans):
            if span_end > covered_until:
                yield (max(span_start, covered_until), span_end)
                covered_until = span_end
        day += timedelta(days=1)


def _merge(pauses: Iterable[tuple[datetime, datetime | None]], until: datetime) -> list[Span]:
    """Pauses sorted and merged; an open pause (end None) runs to ``until``."""
    closed = sorted((start, end if end is not None else until) for start, end in pauses)
    merged: list[Span] = []
    for start, end in closed:
        _require_aware(start)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _minus_pauses(span: Span, pauses: Sequence[Span]) -> Iterator[Span]:
    start, end = span
    for pause_start, pause_end in pauses:
        if pause_end <= start or pause_start >= end:
            continue
        if pause_start > start:
            yield (start, pause_start)
        start = max(start, pause_end)
        if start >= end:
            return
    if start < end:
        yield (start, end)


def add_business_time(
    calendar: BusinessCalendar,
    start: datetime,
    amount: timedelta,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime:
    """The instant at which ``amount`` of unpaused working time has passed since ``start``.

    An open pause never ends, so with one the target is never reached: CalendarError.
    """
    _require_aware(start)
    if amount < timedelta(0):
        raise CalendarError("the amount of business time cannot be negative")
    pause_list = list(pauses)
    if any(end is None for _start, end in pause_list):
        raise CalendarError("the clock is paused; no due time while it is")
    merged = _merge(pause_list, start)
    left = amount
    for span in working_spans(calendar, start):
        for piece_start, piece_end in _minus_pauses(span, merged):
            length = piece_end - piece_start
            if left <= length:
                # Zero left means "due now" only if we are inside working time; otherwise the
                # next working moment — which is where this loop stands.
                return piece_start + left
            left -= length
    raise CalendarError("the calendar has no working time in the next three years")


def business_time_between(
    calendar: BusinessCalendar,
    start: datetime,
    end: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> timedelta:
    """Unpaused working time between two instants (zero if ``end`` is not after ``start``)."""
    _require_aware(start)
    _require_aware(end)
    if end <= start:
        return timedelta(0)
    merged = _merge(pauses, end)
    total = timedelta(0)
    for span in working_spans(calendar, start):
        if span[0] >= end:
            break
        clipped = (span[0], min(span[1], end))
        for piece_start, piece_end in _minus_pauses(clipped, merged):
            total += piece_end - piece_start
    return total


def paused_business_time(
    calendar: BusinessCalendar,
    pauses: Iterable[tuple[datetime, datetime | None]],
    now: datetime,
) -> timedelta:
    """Working time that fell inside the pauses (for the per-ticket statistics)."""
    total = timedelta(0)
    for pause_start, pause_end in _merge(pauses, now):
        total += business_time_between(calendar, pause_start, pause_end)
    return total


@dataclass(frozen=True)
class TargetState:
    due_at: datetime | None  # None while the clock is paused
    elapsed: timedelta
    remaining: timedelta  # negative once breached
    met_at: datetime | None
    breached: bool
    fraction_used: float  # of the target; the early warning fires past its threshold


def evaluate_target(
    calendar: BusinessCalendar,
    *,
    started_at: datetime,
    target: timedelta,
    now: datetime,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
    met_at: datetime | None = None,
) -> TargetState:
    """Where one SLA target stands at ``now``: due time, time used and left, met or breached.

    Recomputing with another ``target`` (a priority change) or calendar gives the new state from
    the original start, so elapsed business time is never lost or counted twice.
    """
    if target <= timedelta(0):
        raise CalendarError("an SLA target must be positive")
    pause_list = list(pauses)
    stop = met_at or now
    elapsed = business_time_between(calendar, started_at, stop, pause_list)
    open_pause = any(end is None for _start, end in pause_list)
    due_at = (
        None
        if open_pause and met_at is None
        else add_business_time(
            calendar, started_at, target, [(s, e if e is not None else stop) for s, e in pause_list]
        )
    )
    remaining = target - elapsed
    return TargetState(
        due_at=due_at,
        elapsed=elapsed,
        remaining=remaining,
        met_at=met_at,
        breached=elapsed > target,
        fraction_used=elapsed / target,
    )


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("SLA arithmetic needs time-zone-aware instants")
