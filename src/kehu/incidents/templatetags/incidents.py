"""``{% load incidents %}{% account_incidents account %}``: the "Major incidents" section of an
account page (nothing at all for users who may not see incidents)."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.access.permissions import VIEW, can
from kehu.incidents.models import MajorIncident
from kehu.incidents.selectors import incidents_for_account

register = template.Library()


@register.inclusion_tag("incidents/_account_incidents.html", takes_context=True)
def account_incidents(context: dict[str, Any], account: Any) -> dict[str, Any]:
    user = context.get("user")
    allowed = can(user, VIEW, MajorIncident)
    return {
        "hide": not allowed,
        "account_incidents": incidents_for_account(account) if allowed else [],
    }
