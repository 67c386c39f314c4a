"""Who may do what on the service desk (registered into kehu.access.permissions)."""

from __future__ import annotations

from typing import Any

from kehu.access.permissions import VIEW, is_staff_member, rule
from kehu.desk.models import BusinessCalendar, PriorityMatrix, SlaPolicy


@rule(BusinessCalendar)
@rule(PriorityMatrix)
@rule(SlaPolicy)
def _calendar(user: Any, action: str, target: Any) -> bool:
    # Calendars govern every department's targets: staff read them, administrators change them.
    return action == VIEW and is_staff_member(user)
