"""Reads of handovers: lists, the checklist of a handover, the accounts an employee hands over."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kehu.customers.models import Account
from kehu.desk.models import OPEN_STATUSES
from kehu.handover import rules
from kehu.handover.models import Handover, HandoverItem
from kehu.org.models import Employee


def handover_list(user: Any) -> QuerySet[Handover]:
    """The handovers the user may see, open ones first, with their progress counts."""
    return (
        rules.visible_handovers(user)
        .select_related("from_employee", "created_by")
        .annotate(
            item_count=Count("items"),
            done_count=Count("items", filter=Q(items__status=HandoverItem.Status.DONE)),
        )
        .order_by("-status", "-created_at", "-id")
    )


def handover_items(user: Any, handover: Handover) -> list[HandoverItem]:
    """The items of the handover the user may see: all for its managers, else their own."""
    return list(
        handover.items.filter(rules.visible_items(user))
        .select_related("account", "previous_owner", "new_owner")
        .order_by("account__name_pinyin", "id")
    )


def handover_candidates(user: Any) -> QuerySet[Employee]:
    """Employees whose accounts the user may hand over, who own at least one account."""
    return (
        Employee.objects.filter(rules.startable_employees(user))
        .annotate(account_count=Count("owned_accounts"))
        .filter(account_count__gt=0)
        .select_related("department")
        .order_by("name_pinyin", "employee_no")
    )


def accounts_to_hand_over(employee: Employee) -> QuerySet[Account]:
    """The employee's accounts with their open ticket count and whether a handover is open
    (one query whatever the number of accounts)."""
    return (
        Account.objects.filter(owner=employee)
        .annotate(
            open_tickets=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)),
            in_handover=Exists(
                HandoverItem.objects.filter(account=OuterRef("pk")).exclude(
                    status=HandoverItem.Status.DONE
                )
            ),
        )
        .order_by("name_pinyin", "id")
    )


def new_owner_choices(exclude: Employee | None = None) -> list[Employee]:
    found = Employee.objects.filter(is_active=True).order_by("name_pinyin", "employee_no")
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return list(found)


def open_item(account: Account) -> HandoverItem | None:
    return (
        HandoverItem.objects.filter(account=account)
        .exclude(status=HandoverItem.Status.DONE)
        .select_related("handover__from_employee", "previous_owner", "new_owner")
        .first()
    )
