"""Who may do what with notifications (registered into kehu.access.permissions).

A notification and a preference belong to their person alone. Webhooks and their deliveries
have no rule: like every model without one, they are for administrators only.
"""

from __future__ import annotations

from typing import Any

from kehu.access.permissions import CHANGE, VIEW, rule
from kehu.notify.models import Notification, Preference


@rule(Notification, personal=True)
@rule(Preference, personal=True)
def _own(user: Any, action: str, target: Any) -> bool:
    if isinstance(target, type):
        return action in (VIEW, CHANGE)
    owner = target.recipient_id if isinstance(target, Notification) else target.user_id
    return action in (VIEW, CHANGE) and owner == user.pk
