"""Who may see and change usage records (registered into kehu.access.permissions).

Usage and swing alerts are part of the dossier: whoever may read an account's dossier
(``kehu.customers.rules.can_view_dossier``) reads its usage and alerts; whoever may edit it
(``can_edit_dossier``) acknowledges the alerts. Keepers
(account managers, after-sales) and administrators import usage; products and swing rules are
configured by administrators only (``can`` lets administrators through before any rule).
"""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import CHANGE, IMPORT, VIEW, is_staff_member, roles_of, rule
from kehu.customers.rules import KEEPERS, can_edit_dossier, can_view_dossier
from kehu.usage.models import Product, SwingAlert, SwingRule, UsageRecord


def may_import(user: Any) -> bool:
    """Keepers and administrators import usage (files and the API)."""
    return bool(roles_of(user) & (KEEPERS | {Role.ADMIN}))


@rule(UsageRecord)
def _usage_record(user: Any, action: str, target: Any) -> bool:
    if action == IMPORT:
        return may_import(user)
    if action == VIEW and not isinstance(target, type):
        return can_view_dossier(user, target.account)
    return False


@rule(Product)
def _product(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)


@rule(SwingRule)
def _swing_rule(user: Any, action: str, target: Any) -> bool:
    return False  # administrators only


@rule(SwingAlert)
def _swing_alert(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return action == VIEW and is_staff_member(user)
    if action == VIEW:
        return can_view_dossier(user, target.account)
    # Acknowledging is a write: dossier editors only, never the read-only auditor.
    return action == CHANGE and can_edit_dossier(user, target.account)
