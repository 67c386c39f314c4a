"""Who may see and change customer records (registered into kehu.access.permissions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, roles_of, rule
from kehu.customers.models import Account, Contact

# Roles that keep customer records; other staff only read them.
KEEPERS = frozenset({Role.ACCOUNT_MANAGER, Role.AFTER_SALES})


def portal_account_id(user: Any) -> int | None:
    """The account a customer portal user acts for (None for staff and unlinked users)."""
    if Role.CUSTOMER not in roles_of(user):
        return None
    if not hasattr(user, "_kehu_contact"):
        user._kehu_contact = Contact.objects.filter(user=user, is_active=True).first()
    contact: Contact | None = user._kehu_contact
    return contact.account_id if contact else None


def portal_contact(user: Any) -> Contact | None:
    portal_account_id(user)
    found: Contact | None = getattr(user, "_kehu_contact", None)
    return found


@rule(Account)
def _account(user: Any, action: str, target: Any) -> bool:
    if is_staff_member(user):
        return action == VIEW or bool(roles_of(user) & KEEPERS)
    if action == VIEW and not isinstance(target, type):
        return target.pk is not None and target.pk == portal_account_id(user)
    return False


@rule(Contact)
def _contact(user: Any, action: str, target: Any) -> bool:
    if is_staff_member(user):
        return action == VIEW or bool(roles_of(user) & KEEPERS)
    if action == VIEW and not isinstance(target, type):
        return target.account_id == portal_account_id(user)
    return False


# --- The dossier (SPEC §3): owners, the account's team and after-sales ------------------------
# Everything an app keeps about an account beyond its base facts (wiki, visits, usage, alerts,
# churn reviews) is asked for through these, so one decision covers them all.


def employee_id_of(user: Any) -> int | None:
    """The Employee record of a staff user (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_kehu_employee_id"):
        from kehu.org.models import Employee

        user._kehu_employee_id = (
            Employee.objects.filter(user=user).values_list("pk", flat=True).first()
        )
    found: int | None = user._kehu_employee_id
    return found


def _serves(user: Any, account: Account) -> bool:
    """Whether the user owns the account or sits on its team."""
    employee_id = employee_id_of(user)
    if employee_id is None:
        return False
    if account.owner_id == employee_id:
        return True
    return account.team.filter(employee_id=employee_id).exists()


def can_edit_dossier(user: Any, account: Account) -> bool:
    if is_admin(user) or Role.AFTER_SALES in roles_of(user):
        return True
    return is_staff_member(user) and _serves(user, account)


def can_view_dossier(user: Any, account: Account) -> bool:
    return Role.AUDITOR in roles_of(user) or can_edit_dossier(user, account)


def dossier_accounts(user: Any) -> QuerySet[Account]:
    """The accounts whose dossier the user may read (for lists and reports)."""
    roles = roles_of(user)
    if is_admin(user) or roles & {Role.AFTER_SALES, Role.AUDITOR}:
        return Account.objects.all()
    employee_id = employee_id_of(user)
    if not is_staff_member(user) or employee_id is None:
        return Account.objects.none()
    return Account.objects.filter(
        Q(owner_id=employee_id) | Q(team__employee_id=employee_id)
    ).distinct()
