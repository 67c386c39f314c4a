"""Who may see and change satisfaction data and complaint records.

Staff read ratings and their roll-ups; a customer at most sees ratings given on their own
account's tickets and never callbacks or complaint records. Callbacks: desk staff and the person
they are assigned to. Complaint records: staff who may see the ticket; agents and after-sales
edit them, a department lead those of the departments they lead.
"""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import ADD, CHANGE, VIEW, can, is_staff_member, roles_of, rule
from kehu.customers.rules import portal_account_id
from kehu.desk.rules import is_desk_staff
from kehu.feedback.models import CallbackTask, ComplaintRecord, SatisfactionRating, SurveyInvitation
from kehu.org.rules import leads_department

EDITOR_ROLES = frozenset({Role.AGENT, Role.AFTER_SALES})


def _edits(user: Any, department_id: int | None) -> bool:
    roles = roles_of(user)
    if roles & EDITOR_ROLES:
        return True
    return Role.DEPARTMENT_LEAD in roles and leads_department(user, department_id)


def _is_assignee(user: Any, callback: CallbackTask) -> bool:
    return callback.assignee is not None and callback.assignee.user_id == user.pk


@rule(SatisfactionRating)
def _rating(user: Any, action: str, target: Any) -> bool:
    if action != VIEW:
        return False
    if is_staff_member(user):
        return True
    if isinstance(target, type):
        return False
    return target.account_id is not None and target.account_id == portal_account_id(user)


@rule(SurveyInvitation)
def _invitation(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_desk_staff(user)


@rule(CallbackTask)
def _callback(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user):
        return False
    if isinstance(target, type):
        return action == VIEW
    if _is_assignee(user, target):
        return action in (VIEW, CHANGE)
    if action == VIEW:
        return is_desk_staff(user)
    return action == CHANGE and _edits(user, target.ticket.department_id)


@rule(ComplaintRecord)
def _complaint(user: Any, action: str, target: Any) -> bool:
    if not is_staff_member(user):
        return False
    roles = roles_of(user)
    if isinstance(target, type):
        return action == VIEW or (
            action == ADD and bool(roles & (EDITOR_ROLES | {Role.DEPARTMENT_LEAD}))
        )
    if not can(user, VIEW, target.ticket):
        return False
    if action == VIEW:
        return True
    return action in (ADD, CHANGE) and _edits(user, target.ticket.department_id)
