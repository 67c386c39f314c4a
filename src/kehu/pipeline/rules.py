"""Who may see and change the pipeline (SPEC §5 and §7).

- Sales roles — account managers and department leads — read the whole pipeline (the forecast
  is theirs); auditors read it and change nothing; administrators do everything.
- Account managers and department leads open leads and opportunities; an opportunity is changed
  by account managers and by the people on it: its iron triangle (AR, SR, FR), its members and
  the account's owner. Any other staff member sees only the opportunities they are on.
- Customers never see any of it (nor do users without a role).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kehu.access.models import Role
from kehu.access.permissions import VIEW, is_admin, is_staff_member, roles_of, rule
from kehu.customers.rules import employee_id_of
from kehu.pipeline.models import (
    Competitor,
    Lead,
    Opportunity,
    OpportunityRole,
    Stage,
    StageMove,
)

SALES = frozenset({Role.ACCOUNT_MANAGER, Role.DEPARTMENT_LEAD})
WHOLE_PIPELINE = SALES | {Role.AUDITOR, Role.ADMIN}


def reads_whole_pipeline(user: Any) -> bool:
    return is_staff_member(user) and bool(roles_of(user) & WHOLE_PIPELINE)


def is_sales(user: Any) -> bool:
    return is_admin(user) or (is_staff_member(user) and bool(roles_of(user) & SALES))


def _on_team(user: Any, opportunity: Opportunity) -> bool:
    employee_id = employee_id_of(user)
    if employee_id is None:
        return False
    if employee_id in (opportunity.ar_id, opportunity.sr_id, opportunity.fr_id):
        return True
    cache: dict[int, bool] = user.__dict__.setdefault("_kehu_pipeline_team", {})
    if opportunity.pk not in cache:
        cache[opportunity.pk] = (
            Opportunity.objects.filter(pk=opportunity.pk)
            .filter(Q(members__pk=employee_id) | Q(account__owner_id=employee_id))
            .exists()
        )
    return cache[opportunity.pk]


def can_view_opportunity(user: Any, opportunity: Opportunity) -> bool:
    if not is_staff_member(user):
        return False
    return reads_whole_pipeline(user) or _on_team(user, opportunity)


def can_edit_opportunity(user: Any, opportunity: Opportunity) -> bool:
    if not is_staff_member(user):
        return False
    return Role.ACCOUNT_MANAGER in roles_of(user) or _on_team(user, opportunity)


def visible_opportunities(user: Any) -> QuerySet[Opportunity]:
    """The opportunities the user may see (for the board, lists and reports)."""
    if not is_staff_member(user):
        return Opportunity.objects.none()
    if reads_whole_pipeline(user):
        return Opportunity.objects.all()
    employee_id = employee_id_of(user)
    if employee_id is None:
        return Opportunity.objects.none()
    mine = Opportunity.objects.filter(
        Q(ar_id=employee_id)
        | Q(sr_id=employee_id)
        | Q(fr_id=employee_id)
        | Q(members__pk=employee_id)
        | Q(account__owner_id=employee_id)
    ).values("pk")
    return Opportunity.objects.filter(pk__in=mine)


def visible_leads(user: Any) -> QuerySet[Lead]:
    if not is_staff_member(user):
        return Lead.objects.none()
    if reads_whole_pipeline(user):
        return Lead.objects.all()
    employee_id = employee_id_of(user)
    return Lead.objects.filter(owner_id=employee_id) if employee_id else Lead.objects.none()


@rule(Stage)
def _stage(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)  # administrators configure stages


@rule(Lead)
def _lead(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user):
        return False
    if isinstance(target, type):
        return is_sales(user) if action != VIEW else reads_whole_pipeline(user)
    mine = target.owner_id is not None and target.owner_id == employee_id_of(user)
    if action == VIEW:
        return reads_whole_pipeline(user) or mine
    return is_sales(user) or mine


@rule(Opportunity)
def _opportunity(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return is_sales(user) if action != VIEW else is_staff_member(user)
    if action == VIEW:
        return can_view_opportunity(user, target)
    return can_edit_opportunity(user, target)


def _through(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return False
    return _opportunity(user, action, target.opportunity)


rule(OpportunityRole)(_through)
rule(Competitor)(_through)


@rule(StageMove)
def _move(user: Any, action: str, target: Any) -> bool:
    return not isinstance(target, type) and _opportunity(user, VIEW, target.opportunity)
