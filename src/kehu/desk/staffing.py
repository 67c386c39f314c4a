"""Who actually takes work handed to an employee: them, or while away a key role's backup; and
who fronts an internal request: the interface person (接口人)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kehu.org.models import Employee, InterfaceAssignment, KeyRole, Service

if TYPE_CHECKING:
    from kehu.desk.models import Ticket


def effective_assignee(employee: Employee) -> Employee:
    """The person who actually takes the work: the employee, or while they are away the backup
    of a key role they hold (the first backup who is present)."""
    if not employee.is_currently_away:
        return employee
    for role in KeyRole.objects.filter(primary=employee).select_related("backup"):
        if role.backup is not None and not role.backup.is_currently_away:
            return role.backup
    return employee


def fronting_person(
    department_id: int, service: Service | None, requesting_department_id: int | None
) -> Employee | None:
    """The interface person an internal request goes to: the service's own, else the one the
    supplier department named for the requesting department; only someone active."""
    if service is not None and service.interface_person_id:
        person = service.interface_person
        if person is not None and person.is_active:
            return person
    if requesting_department_id is None:
        return None
    assignment = (
        InterfaceAssignment.objects.filter(
            requesting_department_id=requesting_department_id,
            supplier_department_id=department_id,
            person__is_active=True,
        )
        .select_related("person")
        .first()
    )
    return assignment.person if assignment else None


def interface_persons(ticket: Ticket) -> list[Employee]:
    """Who fronts an internal request: the service's interface person and the requesting
    department's interface person at the supplier (nobody for customer tickets)."""
    if not ticket.requester_employee_id:
        return []
    people: dict[int, Employee] = {}
    service = ticket.service if ticket.service_id else None
    if service is not None and service.interface_person is not None:
        people[service.interface_person.pk] = service.interface_person
    found = fronting_person(ticket.department_id, None, ticket.requesting_department_id)
    if found is not None:
        people[found.pk] = found
    return [p for p in people.values() if p.is_active]
