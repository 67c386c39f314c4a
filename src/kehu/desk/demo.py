"""Demo business calendars: a Chinese office calendar with 2026 holidays and make-up days,
a round-the-clock calendar for emergency teams, and a European office."""

from __future__ import annotations

from datetime import date, time, timedelta

from kehu.desk.models import BusinessCalendar, CalendarDay
from kehu.desk.services import DaySpec, IntervalSpec, calendar_create, calendar_update

OFFICE = [(time(9), time(12)), (time(13, 30), time(18))]

# Illustrative 2026 public holidays and make-up working days (demo data, not an official notice).
CN_HOLIDAYS = [
    (date(2026, 1, 1), 3, "元旦"),
    (date(2026, 2, 15), 9, "春节"),
    (date(2026, 4, 4), 3, "清明节"),
    (date(2026, 5, 1), 5, "劳动节"),
    (date(2026, 6, 19), 3, "端午节"),
    (date(2026, 9, 25), 3, "中秋节"),
    (date(2026, 10, 1), 7, "国庆节"),
]
CN_MAKE_UP = [
    (date(2026, 1, 4), 4, "元旦调休"),
    (date(2026, 2, 14), 0, "春节调休"),
    (date(2026, 2, 28), 0, "春节调休"),
    (date(2026, 5, 9), 0, "劳动节调休"),
    (date(2026, 9, 20), 0, "国庆节调休"),
    (date(2026, 10, 10), 4, "国庆节调休"),
]


def _calendars() -> list[tuple[dict[str, str], list[IntervalSpec], list[DaySpec]]]:
    office = [IntervalSpec(day, start, end) for day in range(5) for start, end in OFFICE]
    cn_days = [
        DaySpec(first + timedelta(days=offset), CalendarDay.Kind.HOLIDAY, 0, name)
        for first, length, name in CN_HOLIDAYS
        for offset in range(length)
    ] + [
        DaySpec(day, CalendarDay.Kind.WORKING, works_as, name) for day, works_as, name in CN_MAKE_UP
    ]
    return [
        (
            {
                "name": "中国大陆工作日历",
                "name_en": "Mainland China office hours",
                "time_zone": "Asia/Shanghai",
                "description": "工作日 9:00–12:00、13:30–18:00，含法定节假日与调休",
            },
            office,
            cn_days,
        ),
        (
            {
                "name": "7×24 值守",
                "name_en": "24/7 on-call",
                "time_zone": "Asia/Shanghai",
                "description": "应急与重保团队全天候值守",
            },
            [IntervalSpec(day, time(0), time(0)) for day in range(7)],
            [],
        ),
        (
            {
                "name": "柏林办公室",
                "name_en": "Berlin office",
                "time_zone": "Europe/Berlin",
                "description": "欧洲客户服务时间",
            },
            [IntervalSpec(day, time(8), time(17)) for day in range(5)],
            [
                DaySpec(date(2026, 12, 25), CalendarDay.Kind.HOLIDAY, 0, "Weihnachten"),
                DaySpec(date(2026, 12, 26), CalendarDay.Kind.HOLIDAY, 0, "Zweiter Weihnachtstag"),
            ],
        ),
    ]


def build_calendars() -> int:
    """Create or refresh the demo calendars; returns how many exist."""
    for fields, intervals, days in _calendars():
        existing = BusinessCalendar.objects.filter(name=fields["name"]).first()
        if existing is None:
            calendar_create(fields=fields, intervals=intervals, days=days)
        elif existing.intervals.count() != len(intervals) or existing.days.count() != len(days):
            calendar_update(
                calendar=existing,
                expected_version=existing.version,
                fields=fields,
                intervals=intervals,
                days=days,
            )
    return BusinessCalendar.objects.count()


def build_policies() -> int:
    """Demo SLA policies: incidents and complaints on the 24/7 calendar, everything else in office hours."""
    from kehu.desk.models import SlaPolicy
    from kehu.desk.services import TargetSpec, sla_policy_save

    office = BusinessCalendar.objects.get(name="中国大陆工作日历")
    always = BusinessCalendar.objects.get(name="7×24 值守")
    demo = [
        (
            {
                "name": "故障与投诉",
                "name_en": "Incidents and complaints",
                "position": 10,
                "calendar": always,
                "ticket_types": ["incident", "complaint", "defect"],
            },
            [
                TargetSpec("urgent", 15, 30, 240),
                TargetSpec("high", 30, 60, 480),
                TargetSpec("normal", 60, 240, 1440),
                TargetSpec("low", 240, 480, 2880),
            ],
        ),
        (
            {
                "name": "标准服务",
                "name_en": "Standard service",
                "position": 100,
                "calendar": office,
                "ticket_types": [],
            },
            [
                TargetSpec("urgent", 30, 60, 480),
                TargetSpec("high", 60, 120, 960),
                TargetSpec("normal", 240, 480, 2400),
                TargetSpec("low", 480, 960, 4800),
            ],
        ),
    ]
    for fields, targets in demo:
        if not SlaPolicy.objects.filter(name=fields["name"]).exists():
            sla_policy_save(
                policy=None,
                expected_version=None,
                fields=fields,
                departments=[],
                services=[],
                targets=targets,
            )
    return SlaPolicy.objects.count()
