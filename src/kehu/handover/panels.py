"""The handover panel of the account page: the account's open checklist item, for those who may
see it (who held the account when is a base fact the account page itself shows)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.access.permissions import VIEW, can, is_staff_member
from kehu.customers.models import Account
from kehu.handover import rules, selectors


def handover_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    user = request.user
    if not is_staff_member(user):
        return None
    item = selectors.open_item(account)
    if item is None or not can(user, VIEW, item):
        return None
    return {
        "account": account,
        "item": item,
        "can_edit_item": bool(rules.item_fields(user, item)),
    }
