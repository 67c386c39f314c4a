"""Quiet hours: when a non-urgent email to a person may go out.

A person's working hours are the working calendar of their department's queue settings
(``DeskSettings.working_calendar``). Without one, or for people outside the organisation
(customers), email goes at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kehu.desk.models import BusinessCalendar, DeskSettings
from kehu.desk.sla import engine as sla
from kehu.desk.sla import selectors


def working_calendar(user: Any) -> BusinessCalendar | None:
    """The stored working calendar of ``user``'s department, if any."""
    employee = getattr(user, "employee", None)
    if employee is None:
        return None
    row = (
        DeskSettings.objects.filter(department_id=employee.department_id)
        .select_related("working_calendar")
        .prefetch_related("working_calendar__intervals", "working_calendar__days")
        .first()
    )
    return row.working_calendar if row else None


def next_working_instant(calendar: BusinessCalendar, now: datetime) -> datetime:
    """``now`` if it is working time on ``calendar``, else the start of the next working span."""
    try:
        span = next(sla.working_spans(selectors.engine_calendar(calendar), now), None)
    except sla.CalendarError:
        span = None
    if span is None:  # a calendar without any working time: do not hold mail forever
        return now
    return max(span[0], now)


def email_send_after(
    user: Any,
    *,
    now: datetime,
    urgent: bool,
    known: dict[int | None, datetime] | None = None,
) -> datetime:
    """When an email to ``user`` may be sent: at once when urgent, else in their working hours.
    ``known``: department id → answer, shared by a caller asking for many people at once."""
    if urgent:
        return now
    employee = getattr(user, "employee", None)
    department_id = employee.department_id if employee is not None else None
    if known is not None and department_id in known:
        return known[department_id]
    calendar = working_calendar(user)
    after = now if calendar is None else next_working_instant(calendar, now)
    if known is not None:
        known[department_id] = after
    return after
