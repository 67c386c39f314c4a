"""Who may do what on the service desk (registered into kehu.access.permissions).

Tickets: desk staff (agents, after-sales, account managers, leads, auditors) see every ticket;
an employee sees the internal requests they made or watch and the queue of their own
department (which they work); a customer portal user sees their own account's tickets only.
Internal notes and their attachments are never shown to customers (``visible_messages``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import (
    ADD,
    CHANGE,
    VIEW,
    can,
    is_admin,
    is_staff_member,
    roles_of,
    rule,
)
from kehu.customers.rules import portal_account_id
from kehu.desk.models import (
    Attachment,
    BusinessCalendar,
    Category,
    CustomField,
    DeskSettings,
    Dispute,
    Message,
    PriorityMatrix,
    SavedView,
    SlaPolicy,
    Ticket,
)
from kehu.org.rules import leads_department

DESK_ROLES = frozenset(
    {
        Role.AGENT,
        Role.AFTER_SALES,
        Role.ACCOUNT_MANAGER,
        Role.DEPARTMENT_LEAD,
        Role.AUDITOR,
        Role.ADMIN,
    }
)
# Roles that work tickets of any department.
WORKER_ROLES = frozenset({Role.AGENT, Role.AFTER_SALES, Role.ACCOUNT_MANAGER, Role.ADMIN})


@rule(BusinessCalendar)
@rule(PriorityMatrix)
@rule(SlaPolicy)
def _calendar(user: Any, action: str, target: Any) -> bool:
    # Calendars govern every department's targets: staff read them, administrators change them.
    return action == VIEW and is_staff_member(user)


def _employee_department(user: Any) -> int | None:
    if not hasattr(user, "_kehu_employee_department"):
        employee = getattr(user, "employee", None) if user.pk else None
        user._kehu_employee_department = employee.department_id if employee else None
    department: int | None = user._kehu_employee_department
    return department


def _employee_id(user: Any) -> int | None:
    employee = getattr(user, "employee", None)
    return employee.pk if employee else None


def is_desk_staff(user: Any) -> bool:
    return bool(roles_of(user) & DESK_ROLES)


def is_customer(user: Any) -> bool:
    return roles_of(user) == frozenset({Role.CUSTOMER})


def visible_tickets(user: Any, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets ``user`` may see; every list, search and export starts here."""
    tickets = queryset if queryset is not None else Ticket.objects.all()
    roles = roles_of(user)
    if roles & DESK_ROLES:
        return tickets
    scope = Q(pk__in=[])
    if Role.CUSTOMER in roles:
        account = portal_account_id(user)
        if account is not None:
            scope |= Q(account_id=account)
    if Role.EMPLOYEE in roles:
        scope |= Q(requester_employee__user=user) | Q(watchers=user)
        department = _employee_department(user)
        if department is not None:
            scope |= Q(department_id=department)
    if scope == Q(pk__in=[]):
        return tickets.none()
    return tickets.filter(scope).distinct()


def works_queue(user: Any, ticket: Ticket) -> bool:
    """Whether ``user`` handles tickets of ``ticket``'s department as staff."""
    roles = roles_of(user)
    if roles & WORKER_ROLES:
        return True
    if Role.DEPARTMENT_LEAD in roles and leads_department(user, ticket.department_id):
        return True
    return Role.EMPLOYEE in roles and _employee_department(user) == ticket.department_id


@rule(Ticket)
def _ticket(user: Any, action: str, target: Any) -> bool:
    roles = roles_of(user)
    if isinstance(target, type):
        if action == ADD:
            return bool(
                roles & (WORKER_ROLES | {Role.CUSTOMER, Role.EMPLOYEE, Role.DEPARTMENT_LEAD})
            )
        return action == VIEW and bool(roles)
    if action == VIEW:
        return visible_tickets(user, Ticket.objects.filter(pk=target.pk)).exists()
    if action == CHANGE:
        return works_queue(user, target)
    return False


def can_reply_as_requester(user: Any, ticket: Ticket) -> bool:
    """Portal and internal requesters reply on their own tickets (publicly, as requester)."""
    if ticket.contact_id is not None:
        return portal_account_id(user) == ticket.account_id
    return (
        ticket.requester_employee_id is not None
        and ticket.requester_employee_id == _employee_id(user)
    )


def sees_internal(user: Any, ticket: Ticket) -> bool:
    """Internal notes are for the people who work the ticket and desk staff, never customers."""
    if is_customer(user):
        return False
    return is_desk_staff(user) or works_queue(user, ticket)


def visible_messages(user: Any, ticket: Ticket) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not sees_internal(user, ticket):
        messages = messages.exclude(kind=Message.Kind.INTERNAL)
    return messages


@rule(Message)
def _message(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type) or action != VIEW:
        return False
    if not can(user, VIEW, target.ticket):
        return False
    return target.kind != Message.Kind.INTERNAL or sees_internal(user, target.ticket)


@rule(Attachment)
def _attachment(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type) or action != VIEW:
        return False
    if target.message_id is not None:
        return _message(user, VIEW, target.message)
    return can(user, VIEW, target.ticket)


@rule(Category)
@rule(CustomField)
def _department_setting(user: Any, action: str, target: Any) -> bool:
    """Categories and fields: staff read them; a lead of the department maintains them."""
    if action == VIEW:
        return is_staff_member(user)
    if Role.DEPARTMENT_LEAD not in roles_of(user):
        return False
    if isinstance(target, type):
        return action == ADD
    return leads_department(user, target.department_id)


@rule(SavedView, personal=True)
def _saved_view(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user):
        return False
    if isinstance(target, type):
        return action in (VIEW, ADD)
    if action == VIEW:
        return target.shared or target.owner_id == user.pk
    return target.owner_id == user.pk


@rule(DeskSettings)
def _desk_settings(user: Any, action: str, target: Any) -> bool:
    """A department's queue settings: read and changed by its leads (and administrators)."""
    if isinstance(target, type) or action not in (VIEW, CHANGE):
        return False
    return Role.DEPARTMENT_LEAD in roles_of(user) and leads_department(user, target.department_id)


def may_direct(user: Any) -> bool:
    """Directing a ticket to the department judged fastest is the after-sales advocate's call."""
    return bool(roles_of(user) & {Role.AFTER_SALES, Role.ADMIN})


def works_in_department(user: Any, department_id: int) -> bool:
    """Whether ``user`` belongs to ``department_id``'s own queue: a member or one of its leads."""
    return (
        is_admin(user)
        or leads_department(user, department_id)
        or (is_staff_member(user) and _employee_department(user) == department_id)
    )


def may_watch(user: Any, ticket: Ticket) -> bool:
    """Who may be put on a ticket's watch list: staff (watching lets an employee see it), or a
    customer who already sees the ticket; never another account's customer."""
    return is_staff_member(user) or can(user, VIEW, ticket)


@rule(Dispute)
def _dispute(user: Any, action: str, target: Any) -> bool:
    """Disputes are filed by the receiving department and decided by someone above both sides."""
    if isinstance(target, type) or not is_staff_member(user):
        return False
    transfer = target.transfer
    if action == VIEW:
        return can(user, VIEW, transfer.ticket)
    if action == ADD:
        return works_in_department(user, transfer.to_department_id)
    if action == CHANGE:
        return (
            Role.DEPARTMENT_LEAD in roles_of(user)
            and leads_department(user, transfer.from_department_id)
            and leads_department(user, transfer.to_department_id)
        )
    return False
