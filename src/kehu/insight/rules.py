"""Who reads which insight (registered into kehu.access.permissions).

- The company's reports and the department × department matrix: department leads,
  after-sales, administrators and auditors.
- A department's (or supplier's) reports and scorecard: the leads of it or a department above
  it, administrators and auditors; its own people see its scorecard too.
- A key account's report: who reads the account's dossier (owner, team, after-sales, auditors,
  administrators) reads the internal edition; the customer's own portal users read the
  customer-facing edition, and nothing else here.
- Health scores follow the dossier: those who read the account's dossier.
"""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, led_departments, roles_of, rule
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier, employee_id_of, portal_account_id
from kehu.insight.models import AccountHealth, Report, ScopeKind, Subscription
from kehu.insight.scopes import parse_scope_key

INTERNAL, CUSTOMER = "internal", "customer"
BROAD = frozenset({Role.ADMIN, Role.AUDITOR})


def _leads(user: Any, department_id: int) -> bool:
    led = led_departments(user)
    if not led:
        return False
    from kehu.org.selectors import department_descendant_ids

    return department_id in department_descendant_ids(led)


def reads_company(user: Any) -> bool:
    roles = roles_of(user)
    return bool(roles & (BROAD | {Role.AFTER_SALES})) or bool(led_departments(user))


def edition_for(user: Any, key: str) -> str | None:
    """The edition of a scope's reports the user reads: internal, customer, or None."""
    kind, pk = parse_scope_key(key)
    if is_staff_member(user):
        if roles_of(user) & BROAD:
            return INTERNAL
        if kind == ScopeKind.COMPANY:
            return INTERNAL if reads_company(user) else None
        if kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER):
            return INTERNAL if pk is not None and _leads(user, pk) else None
        account = Account.objects.filter(pk=pk or 0).first()
        return INTERNAL if account is not None and can_view_dossier(user, account) else None
    if kind == ScopeKind.ACCOUNT and pk is not None and pk == portal_account_id(user):
        return CUSTOMER
    return None


def can_read_scope(user: Any, key: str) -> bool:
    try:
        return edition_for(user, key) is not None
    except Exception:  # an unparsable key is nobody's
        return False


def reads_scorecard(user: Any, department_id: int) -> bool:
    """Leads of the department (or above), its own people, administrators and auditors."""
    if not is_staff_member(user):
        return False
    if roles_of(user) & BROAD or _leads(user, department_id):
        return True
    employee_id = employee_id_of(user)
    if employee_id is None:
        return False
    from kehu.org.models import Employee

    return Employee.objects.filter(pk=employee_id, department_id=department_id).exists()


def reads_matrix(user: Any) -> bool:
    return is_staff_member(user) and (bool(roles_of(user) & BROAD) or bool(led_departments(user)))


@rule(Report)
def _report(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type) or action != VIEW:
        return False
    return can_read_scope(user, target.scope_key)


@rule(Subscription, personal=True)
def _subscription(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return bool(roles_of(user))
    return bool(target.user_id == user.pk)


@rule(AccountHealth)
def _health(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type) or action != VIEW:
        return False
    return is_staff_member(user) and can_view_dossier(user, target.account)


def may_configure_health(user: Any) -> bool:
    return is_admin(user)
