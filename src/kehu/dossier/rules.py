"""Who may see and change dossier records (registered into kehu.access.permissions).

Every decision is the account's dossier decision (kehu.customers.rules): owners, the account's
team, after-sales and administrators edit; auditors read; everybody else, and every customer
portal user, sees nothing. Asked about the class (no account yet), a rule answers for staff
only: the account's decision follows when the object is known.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, roles_of, rule
from kehu.customers.models import Account, AccountTeamMember
from kehu.customers.rules import can_edit_dossier, can_view_dossier, employee_id_of
from kehu.dossier.models import (
    DossierAttachment,
    DossierEntry,
    DossierRevision,
    Visit,
    VisitFollowUp,
)


def _decide(user: Any, action: str, account: Account) -> bool:
    if action == VIEW:
        return can_view_dossier(user, account)
    return can_edit_dossier(user, account)


@rule(DossierEntry)
def _entry(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_staff_member(user)
    return _decide(user, action, target.account)


@rule(DossierRevision)
def _revision(user: Any, action: str, target: Any) -> bool:
    # Revisions are written by the entry's services only, never changed.
    if action != VIEW:
        return False
    if isinstance(target, type):
        return is_staff_member(user)
    return can_view_dossier(user, target.entry.account)


@rule(DossierAttachment)
def _attachment(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_staff_member(user)
    return _decide(user, action, target.entry.account)


@rule(Visit)
def _visit(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_staff_member(user)
    return _decide(user, action, target.account)


@rule(VisitFollowUp)
def _follow_up(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_staff_member(user)
    return _decide(user, action, target.visit.account)


def reads_any_dossier(user: Any) -> bool:
    """Whether the user may read at least one dossier (the dossier-wide lists and exports)."""
    roles = roles_of(user)
    if is_admin(user) or roles & {Role.AFTER_SALES, Role.AUDITOR}:
        return True
    return _serves_any(user)


def edits_any_dossier(user: Any) -> bool:
    """Whether the user may edit at least one dossier (the import page)."""
    if is_admin(user) or Role.AFTER_SALES in roles_of(user):
        return True
    return _serves_any(user)


def _serves_any(user: Any) -> bool:
    employee_id = employee_id_of(user)
    if not is_staff_member(user) or employee_id is None:
        return False
    return (
        Account.objects.filter(owner_id=employee_id).exists()
        or AccountTeamMember.objects.filter(employee_id=employee_id).exists()
    )


def readable_accounts_q(user: Any, prefix: str = "account") -> Q | None:
    """A filter on ``<prefix>`` limiting rows to accounts whose dossier the user may read;
    None when the user reads every dossier (no filter needed)."""
    roles = roles_of(user)
    if is_admin(user) or roles & {Role.AFTER_SALES, Role.AUDITOR}:
        return None
    employee_id = employee_id_of(user)
    if not is_staff_member(user) or employee_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}__owner_id": employee_id}) | Q(
        **{
            f"{prefix}__in": AccountTeamMember.objects.filter(employee_id=employee_id).values(
                "account_id"
            )
        }
    )
