"""SLA badges: each ticket's targets as the queue, the ticket page and the portal show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from kehu.desk.models import OPEN_STATUSES, SlaClock, Ticket
from kehu.desk.sla import clocks
from kehu.desk.sla import engine as sla


@dataclass(frozen=True)
class TargetBadge:
    """One target's own state: "First response overdue", "Resolution due in 56 min"."""

    label: str
    state: str  # "ok", "warning", "overdue" (running, late), "paused", "breached" (done late)
    due_at: datetime | None
    left: timedelta | None

    @property
    def css(self) -> str:
        return "breached" if self.state == "overdue" else self.state


@dataclass(frozen=True)
class Badge:
    state: str  # "ok", "warning", "breached", "paused", "met", "none"
    due_at: datetime | None
    left: timedelta | None  # wall-clock time left (negative when overdue)
    # Each target that still matters (running, or done late), when the clocks were given.
    targets: tuple[TargetBadge, ...] = ()


def _target_badge(clock: SlaClock, now: datetime) -> TargetBadge | None:
    label = str(clock.get_target_display())
    if clock.stopped_at is not None:
        return TargetBadge(label, "breached", None, None) if clock.breached else None
    if clock.due_at is None:
        return TargetBadge(label, "paused", None, None)
    if clock.breached or clock.due_at <= now:
        return TargetBadge(label, "overdue", clock.due_at, clock.due_at - now)
    state = "warning" if clock.warn_at is not None and clock.warn_at <= now else "ok"
    return TargetBadge(label, state, clock.due_at, clock.due_at - now)


def badge(
    ticket: Ticket, now: datetime | None = None, clocks: list[SlaClock] | None = None
) -> Badge:
    """The queue's SLA badge from stored instants (no engine work per row); with the ticket's
    ``clocks``, each target's state as well (the latest cycle of each target)."""
    now = now or timezone.now()
    if ticket.sla_policy_id is None:
        return Badge("none", None, None)
    latest: dict[str, SlaClock] = {}
    for clock in sorted(clocks or [], key=lambda c: (c.target, c.cycle)):
        latest[clock.target] = clock
    order = {"first_response": 0, "next_response": 1, "resolution": 2}
    targets = tuple(
        part
        for clock in sorted(latest.values(), key=lambda c: order.get(c.target, 9))
        if (part := _target_badge(clock, now)) is not None
    )
    due = ticket.next_due_at
    if due is None:
        state = "met" if ticket.status not in OPEN_STATUSES else "paused"
        state = "breached" if ticket.sla_breached and state == "met" else state
        return Badge(state, None, None, targets)
    warn = ticket.next_warn_at
    if due <= now or ticket.sla_breached:
        state = "breached"
    elif warn is not None and warn <= now:
        state = "warning"
    else:
        state = "ok"
    return Badge(state, due, due - now, targets)


def badges(tickets: list[Ticket], now: datetime | None = None) -> list[Badge]:
    """Badges with each target's state for a page of tickets, in one query for their clocks."""
    now = now or timezone.now()
    by_ticket: dict[int, list[SlaClock]] = {}
    with_policy = [t.pk for t in tickets if t.sla_policy_id is not None]
    if with_policy:
        for clock in SlaClock.objects.filter(ticket_id__in=with_policy):
            by_ticket.setdefault(clock.ticket_id, []).append(clock)
    return [badge(t, now, by_ticket.get(t.pk, [])) for t in tickets]


@dataclass(frozen=True)
class ClockView:
    clock: SlaClock
    state: sla.TargetState | None
    label: str
    day_minutes: int | None = None  # the calendar's working day, to tell durations in days


def clock_views(ticket: Ticket, now: datetime | None = None) -> list[ClockView]:
    """Each clock with its business time used and left, for the ticket page."""
    now = now or timezone.now()
    match = clocks.match_for(ticket)
    pauses = clocks.ticket_pauses(ticket)
    day_minutes = sla.working_day_minutes(match.calendar) if match is not None else None
    views = []
    for clock in ticket.clocks.all():
        state = None
        if match is not None:
            state = sla.evaluate_target(
                match.calendar,
                started_at=clock.started_at,
                target=timedelta(minutes=clock.target_minutes),
                now=now,
                pauses=pauses,
                met_at=clock.stopped_at,
            )
        label = clock.get_target_display()
        if clock.target == "next_response":
            label = f"{label} #{clock.cycle}"
        views.append(ClockView(clock, state, label, day_minutes))
    return views
