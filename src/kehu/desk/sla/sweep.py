"""Scheduled SLA work: warnings and escalations of due clocks, re-evaluation after policy changes.

Safe to run in several processes at once. Each warning or escalation is an ``SlaEvent`` row
(unique on clock, policy, kind, level), inserted while its ticket is locked and only when the
events read under that lock do not hold it yet; only the pass that inserts it announces it. On
PostgreSQL tickets being swept by another worker are skipped (SKIP LOCKED); on SQLite the
IMMEDIATE transactions queue.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from kehu.desk.models import (
    OPEN_STATUSES,
    EscalationStep,
    SlaClock,
    SlaEvent,
    Ticket,
)
from kehu.desk.priority import Priority
from kehu.desk.signals import announce, batched
from kehu.desk.sla import clocks
from kehu.desk.staffing import effective_assignee, interface_persons
from kehu.org.models import Employee, KeyRole

log = logging.getLogger(__name__)

BATCH = 500


def sweep_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire the warnings and escalations that are due; returns how many fired.

    Set-at-a-time: one pass locks its tickets, reads their pauses, clocks and fired events,
    inserts the new events and writes the clocks with a fixed number of queries however many
    clocks are due, and its notifications are delivered together (``batched``) once it commits.
    """
    now = now or timezone.now()
    ticket_ids = list(
        dict.fromkeys(
            SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("ticket_id", flat=True)[:limit]
        )
    )
    if not ticket_ids:
        return 0
    with batched(), transaction.atomic():
        return _sweep(ticket_ids, now)


def sweep_ticket(ticket_id: int, *, now: datetime) -> int:
    """One ticket's due warnings and escalations (a pass of one)."""
    with batched(), transaction.atomic():
        return _sweep([ticket_id], now)


def _sweep(ticket_ids: list[int], now: datetime) -> int:
    # Exactly once: the tickets stay locked until the events are committed (PostgreSQL: rows
    # another worker holds are skipped; SQLite: the IMMEDIATE transactions queue), and the events
    # already fired are read only once the lock is held.
    locking = Ticket.objects.select_related("account", "department__head", "assignee__team__lead")
    if connection.features.has_select_for_update_skip_locked:
        locking = locking.select_for_update(skip_locked=True, of=("self",))
    else:
        locking = locking.select_for_update()
    swept = list(locking.filter(pk__in=ticket_ids, status__in=OPEN_STATUSES).order_by("pk"))
    if not swept:
        return 0
    loaded = clocks.active_policies()
    matches = {t.pk: clocks.match_for(t, loaded=loaded) for t in swept}
    facts = clocks.facts_of(swept, matches)
    evaluated: list[tuple[Ticket, clocks.Match | None, clocks.Facts]] = []
    removed: list[SlaClock] = []
    events: list[SlaEvent] = []
    announced: list[tuple[Ticket, SlaClock, str, int, EscalationStep | None]] = []
    for ticket in swept:
        match, known = matches[ticket.pk], facts[ticket.pk]
        removed.extend(clocks.evaluate_clocks(ticket, match, known, now))
        evaluated.append((ticket, match, known))
        if match is None:
            continue
        closed_pauses: clocks.Pauses = [(s, e or now) for s, e in known.pauses]
        for clock in known.clocks.values():
            if clock.stopped_at is not None or clock.due_at is None or clock.pk is None:
                continue
            recorded = known.fired.setdefault(clock.pk, set())
            due: list[tuple[str, int, EscalationStep | None]] = []
            if clock.warn_at and clock.warn_at <= now:
                due.append((SlaEvent.Kind.WARNING, 0, None))
            if clock.due_at <= now:
                for step in match.steps:
                    if clocks.escalation_instant(clock, match, step, known.pauses, now) > now:
                        break
                    due.append((SlaEvent.Kind.ESCALATION, step.level, step))
            fresh = [item for item in due if (item[0], item[1]) not in recorded]
            for kind, level, reached in fresh:
                events.append(SlaEvent(clock=clock, policy=match.policy, kind=kind, level=level))
                announced.append((ticket, clock, kind, level, reached))
                recorded.add((kind, level))
            if fresh:  # the new events move the clock's next check on
                clocks.schedule_next(clock, match, closed_pauses, known.fired)
    SlaEvent.objects.bulk_create(events)
    clocks.save_many(evaluated, removed, now=now)
    people = _People()
    for ticket, clock, kind, level, reached in announced:
        recipients = (
            people.escalation_recipients(ticket, reached) if reached else warning_recipients(ticket)
        )
        announce(
            "sla.warning" if kind == SlaEvent.Kind.WARNING else "sla.escalation",
            ticket,
            None,
            target=clock.target,
            level=level,
            due_at=clock.due_at.isoformat() if clock.due_at else None,
            recipient_ids=[p.pk for p in recipients],
            urgent=ticket.priority == Priority.URGENT,
        )
    return len(events)


class _People:
    """``escalation_recipients`` for a whole pass: key roles and away people's backups are
    read once per role and person, not once per event."""

    def __init__(self) -> None:
        self.holders: dict[int, Employee | None] = {}
        self.reached: dict[int, Employee] = {}

    def escalation_recipients(self, ticket: Ticket, step: EscalationStep) -> list[Employee]:
        return escalation_recipients(ticket, step, cache=self)

    def holder(self, key_role_id: int) -> Employee | None:
        if key_role_id not in self.holders:
            role = KeyRole.objects.select_related("primary", "backup").get(pk=key_role_id)
            self.holders[key_role_id] = role.current_holder
        return self.holders[key_role_id]

    def effective(self, person: Employee) -> Employee:
        if person.pk not in self.reached:
            self.reached[person.pk] = effective_assignee(person)
        return self.reached[person.pk]


def warning_recipients(ticket: Ticket) -> list[Employee]:
    """The early warning goes to the assignee, or the department head for unassigned tickets,
    and for an internal request also to the interface persons who front it."""
    people = [ticket.assignee] if ticket.assignee is not None else []
    if not people and ticket.department.head:
        people = [ticket.department.head]
    people += interface_persons(ticket)
    return list({p.pk: p for p in people}.values())


def escalation_recipients(
    ticket: Ticket, step: EscalationStep, *, cache: _People | None = None
) -> list[Employee]:
    """Who one escalation level reaches; away people are replaced by their backup."""
    known = cache or _People()
    Recipient = EscalationStep.Recipient
    people: list[Employee] = []
    if step.recipient == Recipient.ASSIGNEE and ticket.assignee:
        people = [ticket.assignee]
    elif step.recipient == Recipient.TEAM_LEAD:
        team = ticket.assignee.team if ticket.assignee else None
        lead = team.lead if team else None
        people = [lead] if lead else []
    elif step.recipient == Recipient.DEPARTMENT_HEAD and ticket.department.head:
        people = [ticket.department.head]
    elif step.recipient == Recipient.KEY_ROLE and step.key_role_id:
        holder = known.holder(step.key_role_id)
        people = [holder] if holder else []
    elif step.recipient == Recipient.GROUP:
        # Prefetched with the policies (``selectors.sla_policies``): no query per event.
        people = [p for p in step.people.all() if p.is_active]
    if not people and ticket.department.head:
        people = [ticket.department.head]  # nobody at this level: the head hears of it
    reached = [known.effective(p) for p in people]
    return list({p.pk: p for p in reached}.values())


def reevaluate(ticket_ids: list[int], *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    policies = list(clocks.selectors.sla_policies().filter(is_active=True))
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("account")
                .filter(pk=ticket_id)
                .first()
            )
            if ticket is not None:
                clocks.recompute(ticket, now=now, match=clocks.match_for(ticket, policies))


@task()
def reevaluate_open_tickets() -> int:
    """After a policy or calendar edit: every open ticket gets its match and due times again."""
    ids = list(Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        reevaluate(ids[start : start + BATCH])
    return len(ids)
