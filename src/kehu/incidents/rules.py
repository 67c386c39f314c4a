"""Who may see and run major incidents (registered into kehu.access.permissions).

Every staff member sees incidents (they touch the whole organisation); agents, after-sales
engineers and department leads declare and run them (administrators may do anything);
auditors and other staff only read; customer portal users see nothing of them.
"""

from __future__ import annotations

from typing import Any

from kehu.access.models import Role
from kehu.access.permissions import ADD, CHANGE, VIEW, is_staff_member, roles_of, rule
from kehu.incidents.models import MajorIncident, TimelineEntry

RESPONDER_ROLES = frozenset({Role.AGENT, Role.AFTER_SALES, Role.DEPARTMENT_LEAD, Role.ADMIN})


def is_responder(user: Any) -> bool:
    return bool(roles_of(user) & RESPONDER_ROLES)


@rule(MajorIncident)
def _incident(user: Any, action: str, target: Any) -> bool:
    if action == VIEW:
        return is_staff_member(user)
    return action in (ADD, CHANGE) and is_responder(user)


@rule(TimelineEntry)
def _timeline_entry(user: Any, action: str, target: Any) -> bool:
    # Entries are written, never changed: the model refuses changes even to administrators.
    if action == VIEW:
        return is_staff_member(user)
    return action == ADD and is_responder(user)
