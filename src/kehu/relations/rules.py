"""Who may see and change the relationship map (SPEC §4, issue 14 point 10).

This is personal data about people outside the company. Only the account's team (its owner and
AccountTeamMember employees), the leads of their departments, after-sales staff (who read every
dossier) and administrators see it. Customers and every other employee never do — auditors
included: they audit changes through the audit log, not the people's profiles. Changes are for
those who may edit the account's dossier (team, after-sales, administrators); leads only read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import (
    CHANGE,
    VIEW,
    can,
    is_admin,
    is_staff_member,
    led_departments,
    roles_of,
    rule,
)
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier
from kehu.relations.models import (
    AccountRelationship,
    BuyingRole,
    FireRequest,
    Interaction,
    IronTriangle,
    Person,
    StageChange,
)


def _leads_team(user: Any, account: Account) -> bool:
    """Whether the user leads the department (or one above it) of the owner or a team member."""
    led = led_departments(user)
    if not led:
        return False
    from kehu.org.models import Employee
    from kehu.org.selectors import department_descendant_ids

    return (
        Employee.objects.filter(
            Q(pk=account.owner_id) | Q(account_teams__account=account),
            department_id__in=department_descendant_ids(led),
        )
        .distinct()
        .exists()
    )


def can_view_relations(user: Any, account: Account) -> bool:
    if not is_staff_member(user):
        return False
    cache: dict[int, bool] = user.__dict__.setdefault("_kehu_relations_view", {})
    if account.pk not in cache:
        cache[account.pk] = can_edit_relations(user, account) or _leads_team(user, account)
    return cache[account.pk]


def can_edit_relations(user: Any, account: Account) -> bool:
    return is_staff_member(user) and can_edit_dossier(user, account)


def _decide(user: Any, action: str, account: Account) -> bool:
    if action == VIEW:
        return can_view_relations(user, account)
    return can_edit_relations(user, account)


@rule(Person)
def _person(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _decide(user, action, target.account)


@rule(Interaction)
def _interaction(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _decide(user, action, target.account)


@rule(AccountRelationship)
def _level(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _decide(user, action, target.account)


@rule(BuyingRole)
def _role(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _decide(user, action, target.person.account)


@rule(StageChange)
def _stage(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _decide(user, VIEW, target.person.account)


def can_manage_team(user: Any, account: Account) -> bool:
    """Who names the iron triangle: those who keep the account (its AR becomes the owner) and
    see its relationship data — administrators, after-sales, account managers serving it."""
    return (
        is_staff_member(user) and can(user, CHANGE, account) and can_edit_relations(user, account)
    )


@rule(IronTriangle)
def _triangle(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return False
    if action == VIEW:
        return can_view_relations(user, target.account)
    return can_manage_team(user, target.account)


def can_see_fire_speed(user: Any) -> bool:
    """How fast each department answers calls for fire: for leads, after-sales and admins."""
    return is_staff_member(user) and bool(
        is_admin(user) or Role.AFTER_SALES in roles_of(user) or led_departments(user)
    )


@rule(FireRequest)
def _fire(user: Any, action: str, target: Any) -> bool:
    return (
        not isinstance(target, type) and action == VIEW and can_view_relations(user, target.account)
    )


def relations_accounts(user: Any) -> QuerySet[Account]:
    """The accounts whose relationship data the user may see (for lists): all for
    administrators and after-sales; else those they serve and those their departments serve."""
    if not is_staff_member(user):
        return Account.objects.none()
    if is_admin(user) or Role.AFTER_SALES in roles_of(user):
        return Account.objects.all()
    from kehu.customers.rules import employee_id_of
    from kehu.org.selectors import department_descendant_ids

    scope = Q(pk__in=[])
    employee_id = employee_id_of(user)
    if employee_id is not None:
        scope |= Q(owner_id=employee_id) | Q(team__employee_id=employee_id)
    led = led_departments(user)
    if led:
        departments = department_descendant_ids(led)
        scope |= Q(owner__department_id__in=departments) | Q(
            team__employee__department_id__in=departments
        )
    return Account.objects.filter(pk__in=Account.objects.filter(scope).values("pk"))
