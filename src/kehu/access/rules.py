"""Permission rules for the access app's own objects."""

from __future__ import annotations

from typing import Any

from kehu.access.models import ApiToken
from kehu.access.permissions import ADD, DELETE, VIEW, is_staff_member, rule


@rule(ApiToken, personal=True)
def _api_token(user: Any, action: str, target: Any) -> bool:
    # Staff manage their own tokens; nobody sees another person's.
    if not is_staff_member(user):
        return False
    if isinstance(target, type):
        return action in (VIEW, ADD)
    return action in (VIEW, DELETE) and target.user_id == user.pk
