"""Call for fire 呼唤炮火 (SPEC §4 point 9, seed 002): the account's front line asks a back-office
department for support, and the request becomes an internal ticket in that department's queue —
with the account's priority, the SLA that applies to it, and the account linked. The requester
watches the ticket (desk notifications follow it); leads see per department how fast fire was
answered (``fire_speed``), so the front line can direct the fastest department.

Who may call: the account's iron triangle (AR, SR, FR, members) and administrators.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.access.permissions import is_admin
from kehu.customers.models import Account, AccountLevel
from kehu.customers.rules import employee_id_of
from kehu.desk import tickets as desk_tickets
from kehu.desk.models import OPEN_STATUSES, Channel, Ticket
from kehu.desk.sla import clocks
from kehu.org.models import Department, Employee, Service
from kehu.relations.models import FireRequest, IronTriangle

MAX_BODY = 10_000
# The account's priority: a strategic account's call for fire is urgent, a key account's high.
PRIORITY_OF_LEVEL = {
    AccountLevel.STRATEGIC: "urgent",
    AccountLevel.KEY: "high",
    AccountLevel.STANDARD: "normal",
}


def back_office() -> QuerySet[Department]:
    """The departments fire can be called from: active, with a service catalogue or a desk."""
    return (
        Department.objects.filter(is_active=True)
        .filter(Q(services__isnull=False) | Q(desk_settings__isnull=False))
        .distinct()
        .order_by("name")
    )


def triangle_employee_ids(triangle: IronTriangle | None) -> set[int]:
    if triangle is None:
        return set()
    seats = {
        triangle.account_manager_id,
        triangle.solution_manager_id,
        triangle.fulfilment_manager_id,
    }
    return {pk for pk in seats if pk is not None} | {m.pk for m in triangle.members.all()}


def can_call_fire(user: Any, account: Account, triangle: IronTriangle | None) -> bool:
    """Triangle members call for fire for their account; administrators may too."""
    if is_admin(user):
        return True
    employee_id = employee_id_of(user)
    return employee_id is not None and employee_id in triangle_employee_ids(triangle)


@transaction.atomic
def call_for_fire(
    *,
    account: Account,
    department: Department,
    subject: str,
    body: str,
    by: Any,
    service: Service | None = None,
    requester: Employee | None = None,
) -> FireRequest:
    """Open the internal ticket in ``department``'s queue for ``account`` and link it. The
    requester is the employee ``by`` is (or ``requester``, for the demo and imports)."""
    errors: dict[str, list[str]] = {}
    employee_id = requester.pk if requester is not None else employee_id_of(by)
    employee = (
        Employee.objects.filter(pk=employee_id).select_related("department").first()
        if employee_id is not None
        else None
    )
    if employee is None:
        errors["requester"] = [_("Only an employee can call for fire.")]
    if not back_office().filter(pk=department.pk).exists():
        errors["department"] = [
            _("%(department)s has no service catalogue or desk to answer a call for fire.")
            % {"department": department}
        ]
    if len(body) > MAX_BODY:
        errors["body"] = [_("This text is too long.")]
    if errors:
        raise ValidationError(errors)
    level = AccountLevel(account.level) if account.level in AccountLevel.values else None
    priority = PRIORITY_OF_LEVEL[level] if level else "normal"
    ticket = desk_tickets.create_ticket(
        desk_tickets.NewTicket(
            subject=subject,
            body=body,
            department=department,
            channel=Channel.INTERNAL,
            ticket_type="service_request",
            service=service,
            priority=priority,
            priority_reason=_("Call for fire for %(account)s (%(level)s account)")
            % {"account": account, "level": level.label if level else account.level},
            requester_employee=employee,
        ),
        actor=by,
    )
    # The desk takes the account from a customer contact; an internal request names it here,
    # and the clocks are recomputed so that SLA policies by account level apply.
    Ticket.objects.filter(pk=ticket.pk).update(account=account)
    ticket.account = account
    clocks.recompute(ticket)
    return FireRequest.objects.create(
        account=account,
        ticket=ticket,
        department=department,
        requested_by=employee,  # type: ignore[misc]
    )


# --- reads -----------------------------------------------------------------------------------


def account_requests(account: Account, *, open_only: bool = False) -> list[FireRequest]:
    """The account's calls for fire, newest first (one query)."""
    found = FireRequest.objects.filter(account=account).select_related(
        "ticket", "department", "requested_by"
    )
    if open_only:
        found = found.filter(ticket__status__in=OPEN_STATUSES)
    return list(found[:100])


def my_requests(user: Any) -> list[FireRequest]:
    """The calls for fire the user raised, newest first, with their tickets' state."""
    employee_id = employee_id_of(user)
    if employee_id is None:
        return []
    return list(
        FireRequest.objects.filter(requested_by_id=employee_id).select_related(
            "ticket", "department", "account"
        )[:200]
    )


@dataclass
class DepartmentSpeed:
    department: Department
    requests: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-9 * len(ordered) // 10) - 1)]


def fire_speed(*, days: int = 90, now: datetime | None = None) -> list[DepartmentSpeed]:
    """Per department, how fast calls for fire of the last ``days`` were first answered (wall
    -clock minutes from the request to the first response): the fastest first. Two queries."""
    now = now or timezone.now()
    rows = FireRequest.objects.filter(created_at__gte=now - timedelta(days=days)).values_list(
        "department_id", "ticket__created_at", "ticket__first_response_at"
    )
    waits: dict[int, list[float]] = {}
    counts: dict[int, int] = {}
    for department_id, created, answered in rows:
        counts[department_id] = counts.get(department_id, 0) + 1
        if answered is not None:
            minutes = max(0.0, (answered - created).total_seconds() / 60)
            waits.setdefault(department_id, []).append(minutes)
    departments = Department.objects.in_bulk(list(counts))
    result = [
        DepartmentSpeed(
            department=departments[pk],
            requests=count,
            answered=len(waits.get(pk, [])),
            median_minutes=statistics.median(waits[pk]) if waits.get(pk) else None,
            p90_minutes=_p90(waits[pk]) if waits.get(pk) else None,
        )
        for pk, count in counts.items()
    ]
    return sorted(
        result,
        key=lambda s: (s.median_minutes is None, s.median_minutes or 0, s.department.name),
    )
