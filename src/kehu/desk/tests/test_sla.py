"""SLA calendar arithmetic: every rule a service desk's due times depend on."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.desk.sla.engine import (
    BusinessCalendar,
    CalendarError,
    add_business_time,
    business_time_between,
    evaluate_target,
    paused_business_time,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_SIX = ((time(9), time(12)), (time(13), time(18)))  # lunch break: two intervals a day


def weekdays(intervals=NINE_TO_SIX):
    return dict.fromkeys(range(5), intervals)


def at(zone, *args):
    return datetime(*args, tzinfo=zone)


CN = BusinessCalendar(
    time_zone="Asia/Shanghai",
    weekly=weekdays(),
    # National Day 2026: Oct 1–7 off; Sat Oct 10 is a make-up working day (Friday's hours).
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    extra_working_days={date(2026, 10, 10): 4},
)


def test_minutes_run_only_inside_working_intervals_across_the_lunch_break():
    due = add_business_time(CN, at(SHANGHAI, 2026, 9, 14, 11, 0), timedelta(hours=2))
    assert due == at(SHANGHAI, 2026, 9, 14, 14, 0)  # 11–12, lunch, 13–14


def test_a_request_after_hours_starts_counting_next_working_morning():
    due = add_business_time(CN, at(SHANGHAI, 2026, 9, 14, 20, 0), timedelta(minutes=30))
    assert due == at(SHANGHAI, 2026, 9, 15, 9, 30)


def test_weekend_is_skipped():
    friday_late = at(SHANGHAI, 2026, 9, 18, 17, 0)
    assert add_business_time(CN, friday_late, timedelta(hours=2)) == at(
        SHANGHAI, 2026, 9, 21, 10, 0
    )


def test_holidays_are_skipped_and_a_make_up_saturday_is_worked():
    before_holiday = at(SHANGHAI, 2026, 9, 30, 17, 0)  # Wednesday
    # 1h on Sep 30, Oct 1–7 off, Thu Oct 8 and Fri Oct 9 full days (8h each), then Sat Oct 10.
    due = add_business_time(CN, before_holiday, timedelta(hours=1 + 8 + 8 + 1))
    assert due == at(SHANGHAI, 2026, 10, 10, 10, 0)


def test_zero_target_outside_hours_is_due_at_the_next_working_moment():
    assert add_business_time(CN, at(SHANGHAI, 2026, 9, 19, 12, 0), timedelta(0)) == at(
        SHANGHAI, 2026, 9, 21, 9, 0
    )


def test_overnight_shift_counts_past_midnight_and_the_next_days_start_is_not_double_counted():
    night = BusinessCalendar(
        time_zone="Asia/Shanghai",
        weekly=dict.fromkeys(range(7), ((time(22), time(6)), (time(5), time(8)))),
    )
    start = at(SHANGHAI, 2026, 9, 14, 23, 0)
    assert add_business_time(night, start, timedelta(hours=4)) == at(SHANGHAI, 2026, 9, 15, 3, 0)
    # 23:00 → 08:00 is 9 hours of cover: 22–06 and 05–08 overlap by one hour, counted once.
    assert business_time_between(night, start, at(SHANGHAI, 2026, 9, 15, 9, 0)) == timedelta(
        hours=9
    )


def test_instants_in_other_zones_are_read_in_the_calendars_zone():
    utc_start = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = add_business_time(CN, utc_start, timedelta(hours=1))
    assert due == datetime(2026, 9, 14, 2, 0, tzinfo=UTC)


def test_daylight_saving_night_counts_the_minutes_that_really_pass():
    # A 24/7 desk in Berlin: on 2026-03-29 clocks jump 02:00 → 03:00, so that day has 23 hours.
    always = BusinessCalendar(
        time_zone="Europe/Berlin", weekly=dict.fromkeys(range(7), ((time(0), time(0)),))
    )
    start = at(BERLIN, 2026, 3, 29, 0, 0)
    assert add_business_time(always, start, timedelta(hours=24)) == at(BERLIN, 2026, 3, 30, 1, 0)
    # Office hours on the autumn change day (25 hours long) are still 9 hours.
    office = BusinessCalendar(
        time_zone="Europe/Berlin", weekly=dict.fromkeys(range(7), ((time(9), time(18)),))
    )
    assert business_time_between(
        office, at(BERLIN, 2026, 10, 25, 0), at(BERLIN, 2026, 10, 26, 0)
    ) == timedelta(hours=9)


def test_a_pause_stops_the_clock_and_resuming_continues_it():
    start = at(SHANGHAI, 2026, 9, 14, 9, 0)
    waiting = [
        (at(SHANGHAI, 2026, 9, 14, 10, 0), at(SHANGHAI, 2026, 9, 15, 10, 0))
    ]  # a day on the customer
    due = add_business_time(CN, start, timedelta(hours=2), waiting)
    assert due == at(SHANGHAI, 2026, 9, 15, 11, 0)
    assert paused_business_time(CN, waiting, now=due) == timedelta(hours=8)


def test_while_paused_there_is_no_due_time_and_time_used_stands_still():
    start = at(SHANGHAI, 2026, 9, 14, 9, 0)
    open_pause = [(at(SHANGHAI, 2026, 9, 14, 10, 0), None)]
    later = evaluate_target(
        CN,
        started_at=start,
        target=timedelta(hours=4),
        now=at(SHANGHAI, 2026, 9, 16, 9, 0),
        pauses=open_pause,
    )
    assert later.due_at is None
    assert later.elapsed == timedelta(hours=1)
    assert not later.breached


def test_target_state_met_breached_and_fraction_for_early_warning():
    start = at(SHANGHAI, 2026, 9, 14, 9, 0)
    four_hours = timedelta(hours=4)
    warning = evaluate_target(
        CN, started_at=start, target=four_hours, now=at(SHANGHAI, 2026, 9, 14, 13, 0)
    )
    assert (
        warning.fraction_used == 0.75
        and warning.remaining == timedelta(hours=1)
        and not warning.breached
    )
    assert warning.due_at == at(SHANGHAI, 2026, 9, 14, 14, 0)
    breached = evaluate_target(
        CN, started_at=start, target=four_hours, now=at(SHANGHAI, 2026, 9, 14, 15, 30)
    )
    assert breached.breached and breached.remaining == timedelta(minutes=-90)
    met = evaluate_target(
        CN,
        started_at=start,
        target=four_hours,
        now=at(SHANGHAI, 2026, 9, 20, 9, 0),
        met_at=at(SHANGHAI, 2026, 9, 14, 10, 30),
    )
    assert not met.breached and met.elapsed == timedelta(minutes=90)


def test_a_priority_change_midway_recomputes_from_the_original_start():
    start = at(SHANGHAI, 2026, 9, 14, 9, 0)
    now = at(SHANGHAI, 2026, 9, 14, 11, 0)  # two hours used
    raised = evaluate_target(CN, started_at=start, target=timedelta(hours=3), now=now)
    assert raised.due_at == at(SHANGHAI, 2026, 9, 14, 12, 0)  # the morning's 9–12
    lowered = evaluate_target(CN, started_at=start, target=timedelta(hours=16), now=now)
    assert lowered.due_at == at(SHANGHAI, 2026, 9, 15, 18, 0)
    assert raised.elapsed == lowered.elapsed == timedelta(hours=2)


@pytest.mark.parametrize(
    "build",
    [
        lambda: BusinessCalendar(time_zone="Mars/Olympus", weekly=weekdays()),
        lambda: BusinessCalendar(time_zone="UTC", weekly={7: NINE_TO_SIX}),
    ],
)
def test_invalid_calendars_are_refused(build):
    with pytest.raises((CalendarError, KeyError, ValueError)):
        build()


def test_a_calendar_without_working_time_and_naive_instants_are_refused():
    empty = BusinessCalendar(time_zone="UTC", weekly={})
    with pytest.raises(CalendarError, match="no working time"):
        add_business_time(empty, datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))
    with pytest.raises(CalendarError, match="time-zone-aware"):
        add_business_time(CN, datetime(2026, 1, 1), timedelta(minutes=1))  # noqa: DTZ001


# hypothesis takes naive bounds and attaches the zone itself
NAIVE_FROM, NAIVE_TO = datetime(2026, 1, 1), datetime(2027, 12, 31)  # noqa: DTZ001


@given(
    start=st.datetimes(min_value=NAIVE_FROM, max_value=NAIVE_TO, timezones=st.just(UTC)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 30),
    zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
)
@settings(max_examples=150, deadline=None)
def test_adding_business_time_and_measuring_it_back_agree(start, minutes, zone):
    calendar = BusinessCalendar(
        time_zone=zone,
        weekly={**weekdays(), 5: ((time(22), time(2)),)},
        holidays=CN.holidays,
        extra_working_days=CN.extra_working_days,
    )
    due = add_business_time(calendar, start, timedelta(minutes=minutes))
    assert due >= start
    assert business_time_between(calendar, start, due) == timedelta(minutes=minutes)
