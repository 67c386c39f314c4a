"""Scheduled SLA work: warnings and escalations of due clocks, re-evaluation after policy changes.

Safe to run in several processes at once. Each warning or escalation is an ``SlaEvent`` row
with a unique constraint on (clock, policy, kind, level): the insert that wins sends the
notification, every other attempt finds the row and does nothing. On PostgreSQL tickets being
swept by another worker are skipped (SKIP LOCKED); on SQLite the IMMEDIATE transactions queue.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
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
from kehu.desk.signals import announce
from kehu.desk.sla import clocks
from kehu.desk.staffing import effective_assignee
from kehu.org.models import Employee, KeyRole

log = logging.getLogger(__name__)

BATCH = 500


def sweep_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire the warnings and escalations that are due; returns how many fired."""
    now = now or timezone.now()
    ticket_ids = list(
        SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    fired = 0
    for ticket_id in dict.fromkeys(ticket_ids):
        fired += sweep_ticket(ticket_id, now=now)
    return fired


def sweep_ticket(ticket_id: int, *, now: datetime) -> int:
    fired = 0
    with transaction.atomic():
        locking = Ticket.objects.select_related("account", "assignee__team__lead")
        if connection.features.has_select_for_update_skip_locked:
            locking = locking.select_for_update(skip_locked=True, of=("self",))
        else:
            locking = locking.select_for_update()
        ticket = locking.filter(pk=ticket_id, status__in=OPEN_STATUSES).first()
        if ticket is None:  # closed meanwhile, or another worker holds it
            return 0
        match = clocks.match_for(ticket)
        facts = clocks.recompute(ticket, now=now, match=match)
        if match is None:
            return 0
        running = [
            c for c in facts.clocks.values() if c.stopped_at is None and c.due_at is not None
        ]
        for clock in running:
            recorded = facts.fired.setdefault(clock.pk, set())
            due: list[tuple[str, int, EscalationStep | None]] = []
            if clock.warn_at and clock.warn_at <= now:
                due.append((SlaEvent.Kind.WARNING, 0, None))
            if clock.due_at is not None and clock.due_at <= now:
                for escalation in match.steps:
                    if clocks.escalation_instant(clock, match, escalation, facts.pauses, now) > now:
                        break
                    due.append((SlaEvent.Kind.ESCALATION, escalation.level, escalation))
            for kind, level, step in due:
                if (kind, level) in recorded:
                    continue
                if _fire(ticket, clock, match, kind, level, step):
                    fired += 1
                recorded.add((kind, level))  # by this call or, losing the race, another worker
        if fired:
            # The new events move each clock's next check on; the facts read above still hold.
            clocks.recompute(ticket, now=now, match=match, facts=facts)
    return fired


def _fire(
    ticket: Ticket,
    clock: SlaClock,
    match: clocks.Match,
    kind: str,
    level: int,
    step: EscalationStep | None = None,
) -> bool:
    """Record the event once; only the call that records it announces it."""
    try:
        with transaction.atomic():
            SlaEvent.objects.create(clock=clock, policy=match.policy, kind=kind, level=level)
    except IntegrityError:
        return False
    recipients = escalation_recipients(ticket, step) if step else warning_recipients(ticket)
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
    return True


def warning_recipients(ticket: Ticket) -> list[Employee]:
    """The early warning goes to the assignee, or the department head for unassigned tickets."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    head = ticket.department.head
    return [head] if head else []


def escalation_recipients(ticket: Ticket, step: EscalationStep) -> list[Employee]:
    """Who one escalation level reaches; away people are replaced by their backup."""
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
        role = KeyRole.objects.select_related("primary", "backup").get(pk=step.key_role_id)
        holder = role.current_holder
        people = [holder] if holder else []
    elif step.recipient == Recipient.GROUP:
        people = list(step.people.filter(is_active=True))
    if not people and ticket.department.head:
        people = [ticket.department.head]  # nobody at this level: the head hears of it
    reached = [effective_assignee(p) for p in people]
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
