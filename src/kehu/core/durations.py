"""Durations as people read them: business hours and working days, not raw minutes."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _hours_minutes(minutes: int) -> list[str]:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(_("%(hours)s h") % {"hours": hours})
    if rest or not hours:
        parts.append(_("%(minutes)s min") % {"minutes": rest})
    return parts


def business_duration(minutes: int | None, day_minutes: int | None = None) -> str:
    """``2400`` → "40 h", or "5 working days" when a working day of the calendar is 8 h long.

    ``day_minutes`` is the length of the calendar's working day; without it (or for less than
    a day) the duration is told in hours and minutes.
    """
    if minutes is None:
        return ""
    minutes = int(minutes)
    if day_minutes and minutes >= day_minutes:
        days, rest = divmod(minutes, day_minutes)
        parts = [ngettext("%(days)s working day", "%(days)s working days", days) % {"days": days}]
        if rest:
            parts += _hours_minutes(rest)
        return " ".join(parts)
    return " ".join(_hours_minutes(minutes))


def time_left(delta: timedelta) -> str:
    """Wall-clock time until a moment: "56 min", "3 h 5 min", "2 days 4 h" (never negative)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    if not days:
        return " ".join(_hours_minutes(rest))
    parts = [ngettext("%(days)s day", "%(days)s days", days) % {"days": days}]
    if rest // 60:
        parts.append(_("%(hours)s h") % {"hours": rest // 60})
    return " ".join(parts)
