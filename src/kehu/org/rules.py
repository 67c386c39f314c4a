"""Who may do what with the organisation (registered into kehu.access.permissions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    Rule,
    is_staff_member,
    led_departments,
    roles_of,
    rule,
)
from kehu.org.models import (
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    Service,
    Team,
)
from kehu.org.selectors import department_descendant_ids


def leads_department(user: Any, department_id: int | None) -> bool:
    """Whether the user leads ``department_id`` or a department above it."""
    if department_id is None:
        return False
    subtree = getattr(user, "_kehu_led_subtree", None)
    if subtree is None:
        subtree = department_descendant_ids(led_departments(user))
        user._kehu_led_subtree = subtree
    return department_id in subtree


def _read_or_lead(owning_department: Callable[[Any], int | None]) -> Rule:
    """A rule: staff may view; a department lead may add and change inside their departments."""

    def decide(user: Any, action: str, target: Any) -> bool:
        if action == VIEW:
            return is_staff_member(user)
        if Role.DEPARTMENT_LEAD not in roles_of(user):
            return False
        if isinstance(target, type):  # "may this user add any at all?"
            return action == ADD
        return action in (ADD, CHANGE, DELETE) and leads_department(user, owning_department(target))

    return decide


def _read_only(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)


@rule(Department)
def _department(user: Any, action: str, target: Any) -> bool:
    # A lead edits their departments and adds sub-departments; only administrators delete.
    if action == DELETE:
        return False
    return _read_or_lead(lambda d: d.pk or d.parent_id)(user, action, target)


rule(Team)(_read_or_lead(lambda t: t.department_id))
rule(KeyRole)(_read_or_lead(lambda k: k.department_id))
rule(Service)(_read_or_lead(lambda s: s.department_id))
rule(InterfaceAssignment)(_read_or_lead(lambda i: i.supplier_department_id))
rule(Employee)(_read_only)
rule(InternalRelation)(_read_only)
