"""Who may see and change customer records (registered into kehu.access.permissions)."""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_staff_member, roles_of, rule
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
