"""Who works on a ticket: queue settings, automatic assignment, transfers and their disputes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kehu.access.permissions import ADD, can
from kehu.core.concurrency import save_if_current
from kehu.desk.models import (
    OPEN_STATUSES,
    AssignmentStrategy,
    DeskSettings,
    Dispute,
    Message,
    Ticket,
    Transfer,
)
from kehu.desk.signals import announce
from kehu.desk.sla import clocks
from kehu.desk.staffing import effective_assignee
from kehu.org.models import Department, Employee


def desk_settings(department: Department) -> DeskSettings:
    found, _created = DeskSettings.objects.get_or_create(department=department)
    return found


def queue_members(department: Department) -> list[Employee]:
    """People who take tickets of ``department``'s queue: active, signed-up, not away."""
    people = Employee.objects.filter(
        department=department, is_active=True, user__isnull=False, user__is_active=True
    ).order_by("pk")
    return [p for p in people if not p.is_currently_away]


def choose_assignee(department: Department) -> Employee | None:
    """Pick an assignee by the department's strategy (None for manual queues)."""
    return choose_assignees(department, 1)[0]


def choose_assignees(department: Department, count: int) -> list[Employee | None]:
    """Assignees for ``count`` new tickets of ``department``, as if they arrived one by one."""
    settings_row = desk_settings(department)
    strategy = settings_row.assignment_strategy
    members = queue_members(department) if strategy != AssignmentStrategy.MANUAL else []
    if not members:
        return [None] * count
    chosen: list[Employee | None] = []
    if strategy == AssignmentStrategy.LEAST_LOAD:
        loads = dict(
            Ticket.objects.filter(assignee__in=members, status__in=OPEN_STATUSES)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        for _n in range(count):
            person = min(members, key=lambda p: (loads.get(p.pk, 0), p.pk))
            loads[person.pk] = loads.get(person.pk, 0) + 1
            chosen.append(person)
        return chosen
    # Round robin: the next member after the last one served, under a row lock so two
    # simultaneous intakes do not pick the same person.
    locked = DeskSettings.objects.select_for_update().get(pk=settings_row.pk)
    last = locked.last_assigned_id or 0
    for _n in range(count):
        person = next((p for p in members if p.pk > last), members[0])
        last = person.pk
        chosen.append(person)
    DeskSettings.objects.filter(pk=locked.pk).update(last_assigned_id=last)
    return chosen


def transfer(
    ticket: Ticket,
    *,
    actor: Any,
    to_department: Department,
    reason: str,
    directed: bool = False,
) -> Transfer:
    """Move a ticket to another department's queue; ``directed`` is the after-sales advocate
    choosing the department it judges fastest, which that department may dispute later."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the move.")]})
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.department_id == to_department.pk:
            raise ValidationError(
                {"to_department": [_("The ticket is already with this department.")]}
            )
        if current.status not in OPEN_STATUSES:
            raise ValidationError(_("Only open tickets can be moved."))
        record = Transfer.objects.create(
            ticket=current,
            from_department_id=current.department_id,
            to_department=to_department,
            directed=directed,
            reason=reason.strip(),
            by=actor,
        )
        current.department = to_department
        current.category = None
        current.assignee = None
        assignee = choose_assignee(to_department)
        if assignee is not None:
            current.assignee = effective_assignee(assignee)
        current.version += 1
        current.save(update_fields=["department", "category", "assignee", "version", "updated_at"])
        clocks.recompute(current)
        announce(
            "ticket.transferred",
            current,
            actor,
            to_department_id=to_department.pk,
            directed=directed,
        )
    return record


def has_worked(ticket: Ticket, department_id: int, since: datetime) -> bool:
    """Whether someone of ``department_id`` answered the requester or resolved the ticket after
    ``since``: the condition for disputing a directed transfer."""
    replied = Message.objects.filter(
        ticket=ticket,
        kind=Message.Kind.PUBLIC,
        from_requester=False,
        created_at__gte=since,
        author__employee__department_id=department_id,
    ).exists()
    resolved_at = ticket.resolved_at
    return replied or (resolved_at is not None and resolved_at >= since)


class DisputeRefused(ValidationError):
    """A dispute that cannot be filed or decided in the transfer's or dispute's present state."""


def file_dispute(record: Transfer, *, actor: Any, reason: str) -> Dispute:
    """The receiving department objects to a directed transfer, after working the ticket."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the direction was wrong.")]})
    with transaction.atomic():
        # The lock serialises two people of the department disputing at the same moment.
        record = Transfer.objects.select_for_update().select_related("ticket").get(pk=record.pk)
        if not record.directed:
            raise DisputeRefused(_("Only a directed transfer can be disputed."))
        if Dispute.objects.filter(transfer=record).exists():
            raise DisputeRefused(_("This direction has been disputed already."))
        if not can(actor, ADD, Dispute(transfer=record)):
            raise DisputeRefused(_("Only the receiving department can dispute the direction."))
        if not has_worked(record.ticket, record.to_department_id, record.created_at):
            raise DisputeRefused(
                _("Work the ticket first (answer the requester or resolve it), then dispute.")
            )
        return Dispute.objects.create(transfer=record, reason=reason.strip(), filed_by=actor)


def decide_dispute(
    dispute: Dispute, *, actor: Any, expected_version: int, outcome: str, note: str
) -> Dispute:
    """Uphold or dismiss an open dispute (StaleVersionError if it moved on since it was read)."""
    if outcome not in (Dispute.Outcome.UPHELD, Dispute.Outcome.DISMISSED):
        raise ValidationError({"outcome": [_("Decide: upheld or dismissed.")]})
    with transaction.atomic():
        current = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if current.outcome != Dispute.Outcome.OPEN and current.version == expected_version:
            raise DisputeRefused(_("This dispute has been decided already."))
        return save_if_current(
            current,
            expected_version=expected_version,
            changes={"outcome": outcome, "decision_note": note.strip(), "decided_by": actor},
        )
