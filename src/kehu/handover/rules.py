"""Who may see and change handovers (registered into kehu.access.permissions).

Managers of a handover — administrators, after-sales, and the lead of the leaving owner's
department or of a department above it — start handovers, see them whole and edit every item.
The previous owner and the new owner of an item (through their Employee's user) see the
handover and edit their items: the previous owner the background and open items, the new owner
everything. Everyone else gets 404; customers never see any of it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import (
    ADD,
    CHANGE,
    VIEW,
    is_admin,
    is_staff_member,
    led_departments,
    roles_of,
    rule,
)
from kehu.customers.rules import employee_id_of
from kehu.handover.models import Handover, HandoverItem

PREVIOUS_OWNER_FIELDS = frozenset({"background_notes", "open_items"})
ALL_ITEM_FIELDS = frozenset(
    {
        "background_notes",
        "open_items",
        "first_visit_planned_on",
        "first_visit_done_on",
        "status",
    }
)


def led_department_ids(user: Any) -> frozenset[int]:
    """The departments a lead manages: theirs and every department below (cached per request)."""
    led = led_departments(user)
    if not led:
        return frozenset()
    cached: frozenset[int] | None = getattr(user, "_kehu_handover_scope", None)
    if cached is None:
        from kehu.org.selectors import department_descendant_ids

        cached = department_descendant_ids(led)
        user._kehu_handover_scope = cached
    return cached


def manages_everything(user: Any) -> bool:
    return is_admin(user) or Role.AFTER_SALES in roles_of(user)


def can_start(user: Any) -> bool:
    return is_staff_member(user) and (manages_everything(user) or bool(led_departments(user)))


def manages(user: Any, handover: Handover) -> bool:
    """Whether the user runs this handover (needs ``from_employee`` loaded for leads)."""
    if manages_everything(user):
        return True
    scope = led_department_ids(user)
    return bool(scope) and handover.from_employee.department_id in scope


def startable_employees(user: Any) -> Q:
    """Which employees' accounts the user may hand over, as a filter on Employee."""
    if manages_everything(user):
        return Q()
    return Q(department_id__in=led_department_ids(user))


def visible_handovers(user: Any, queryset: QuerySet[Handover] | None = None) -> QuerySet[Handover]:
    """The handovers the user may see."""
    queryset = queryset if queryset is not None else Handover.objects.all()
    if not is_staff_member(user):
        return queryset.none()
    if manages_everything(user):
        return queryset
    condition = Q(from_employee__department_id__in=led_department_ids(user))
    employee_id = employee_id_of(user)
    if employee_id is not None:
        condition |= Q(from_employee_id=employee_id) | Q(
            pk__in=HandoverItem.objects.filter(new_owner_id=employee_id).values("handover_id")
        )
    return queryset.filter(condition)


def visible_items(user: Any) -> Q:
    """Which items the user may see, as a filter on HandoverItem (item_fields in bulk)."""
    if not is_staff_member(user):
        return Q(pk__in=[])
    if manages_everything(user):
        return Q()
    condition = Q(handover__from_employee__department_id__in=led_department_ids(user))
    employee_id = employee_id_of(user)
    if employee_id is not None:
        condition |= Q(new_owner_id=employee_id) | Q(previous_owner_id=employee_id)
    return condition


def item_fields(user: Any, item: HandoverItem) -> frozenset[str]:
    """The fields of the item the user may change (empty: none)."""
    if not is_staff_member(user):
        return frozenset()
    if manages(user, item.handover):
        return ALL_ITEM_FIELDS
    employee_id = employee_id_of(user)
    if employee_id is None:
        return frozenset()
    if item.new_owner_id == employee_id:
        return ALL_ITEM_FIELDS
    if item.previous_owner_id == employee_id:
        return PREVIOUS_OWNER_FIELDS
    return frozenset()


@rule(Handover)
def _handover(user: Any, action: str, target: Any) -> bool:
    if action == ADD:
        return can_start(user)
    if action != VIEW or isinstance(target, type):
        return False
    return visible_handovers(user, Handover.objects.filter(pk=target.pk)).exists()


@rule(HandoverItem)
def _item(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type) or action not in (VIEW, CHANGE):
        return False
    return bool(item_fields(user, target))
