"""Who may see and change contracts (SPEC §5, §7).

Contracts carry internal economics (discounts, rebates, liability caps), so customers never
see any of it. Finance, legal and management read every contract (they approve them), auditors
read every contract and change nothing. Sales (account managers) and everyone else see the
contracts they own or wrote, of the accounts they keep, of the departments they lead, and those
waiting for their approval. Drafts are edited by their owner, their author, legal and
administrators; templates, the clause library and risk rules by legal and administrators;
approval policies by administrators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, led_departments, roles_of, rule
from kehu.contracts.models import (
    ApprovalPolicy,
    ChangeOrder,
    Clause,
    Contract,
    ContractTemplate,
    ContractType,
    RiskRule,
)

READ_ALL = frozenset({Role.AUDITOR, Role.FINANCE, Role.LEGAL, Role.MANAGEMENT})
AUTHORS = frozenset({Role.ACCOUNT_MANAGER, Role.LEGAL, Role.MANAGEMENT})


def reads_all(user: Any) -> bool:
    return is_admin(user) or bool(roles_of(user) & READ_ALL)


def visible_contracts(user: Any) -> QuerySet[Contract]:
    """The contracts ``user`` may see."""
    if not is_staff_member(user):
        return Contract.objects.none()
    if reads_all(user):
        return Contract.objects.all()
    mine = Q(owner=user) | Q(created_by=user)
    mine |= Q(
        pk__in=Contract.objects.filter(approval_runs__steps__assignees__user=user).values("pk")
    )
    employee = getattr(user, "employee", None)
    if employee is not None:
        mine |= Q(account__owner=employee) | Q(
            account__in=employee.account_teams.values("account_id")
        )
    led = led_departments(user)
    if led:
        from kehu.org.selectors import department_descendant_ids

        mine |= Q(department_id__in=department_descendant_ids(led))
    return Contract.objects.filter(mine)


def can_view_contract(user: Any, contract: Contract) -> bool:
    if not is_staff_member(user):
        return False
    if reads_all(user):
        return True
    cache: dict[int, bool] = user.__dict__.setdefault("_kehu_contract_view", {})
    if contract.pk not in cache:
        cache[contract.pk] = visible_contracts(user).filter(pk=contract.pk).exists()
    return cache[contract.pk]


def can_edit_contract(user: Any, contract: Contract) -> bool:
    if is_admin(user):
        return True
    if not is_staff_member(user) or (Role.AUDITOR in roles_of(user) and len(roles_of(user)) == 1):
        return False
    return user.pk in (contract.owner_id, contract.created_by_id) or Role.LEGAL in roles_of(user)


def can_add_contract(user: Any) -> bool:
    return is_admin(user) or bool(roles_of(user) & AUTHORS)


@rule(Contract)
def _contract(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return can_add_contract(user) if action == "add" else is_staff_member(user)
    if action == VIEW:
        return can_view_contract(user, target)
    return can_view_contract(user, target) and can_edit_contract(user, target)


@rule(ChangeOrder)
def _change(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_staff_member(user)
    return _contract(user, action, target.contract)


def _library(user: Any, action: str, target: Any) -> bool:
    if action == VIEW:
        return is_staff_member(user)
    return Role.LEGAL in roles_of(user)


rule(Clause)(_library)
rule(ContractTemplate)(_library)
rule(RiskRule)(_library)


@rule(ContractType)
def _type(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)


@rule(ApprovalPolicy)
def _policy(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)
