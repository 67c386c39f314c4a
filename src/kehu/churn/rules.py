"""Who may see and change churn reviews (registered into kehu.access.permissions).

A churn review is part of the account's dossier: whoever may read the dossier reads its
reviews, whoever may edit the dossier opens and edits them (kehu.customers.rules). Customer
portal users never see any of it. The churn report is for people who read dossiers broadly
(administrators, after-sales, auditors) and for department leads, limited to their departments.
"""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, led_departments, roles_of, rule
from kehu.churn.models import ChurnFollowUp, ChurnReview
from kehu.customers.rules import can_edit_dossier, can_view_dossier

BROAD_READERS = frozenset({Role.ADMIN, Role.AFTER_SALES, Role.AUDITOR})


@rule(ChurnReview)
def _review(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user):
        return False
    if isinstance(target, type):
        # The list is open to staff; it shows only the accounts whose dossier they read.
        return action == VIEW
    if action == VIEW:
        return can_view_dossier(user, target.account)
    return can_edit_dossier(user, target.account)


@rule(ChurnFollowUp)
def _follow_up(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user) or isinstance(target, type):
        return False
    if action == VIEW:
        return can_view_dossier(user, target.review.account)
    return can_edit_dossier(user, target.review.account)


def report_department_scope(user: Any) -> frozenset[int] | None:
    """Which departments' churn the user may report on: None for all of them, a set of
    department ids for a department lead (their departments and every one below), or an
    empty set for everyone else."""
    if is_admin(user) or roles_of(user) & BROAD_READERS:
        return None
    if not is_staff_member(user):
        return frozenset()
    led = led_departments(user)
    if not led:
        return frozenset()
    from kehu.org.selectors import department_descendant_ids

    return department_descendant_ids(led)


def can_see_report(user: Any) -> bool:
    scope = report_department_scope(user)
    return scope is None or bool(scope)
