"""``{% load customer_care %}{% customer_care_nav %}``: the links of the customer-care pages
(accounts, visits, usage alerts, segments, handovers, churn, the requirement compass), each
shown only to the roles that may open it. Links of apps above the customers app are switched
by the flags those apps register in ``kehu.customers.care_nav``."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.access.models import Role
from kehu.access.permissions import is_admin, roles_of
from kehu.customers.care_nav import flags_for
from kehu.customers.rules import KEEPERS

register = template.Library()

# Roles that read dossiers across accounts (owners and team members read their own accounts').
DOSSIER_ROLES = frozenset({Role.ADMIN, Role.AFTER_SALES, Role.AUDITOR, Role.ACCOUNT_MANAGER})


@register.inclusion_tag("customers/_care_nav.html", takes_context=True)
def customer_care_nav(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    roles = roles_of(user)
    return {
        "reads_dossiers": bool(roles & DOSSIER_ROLES),
        # Decided by the apps above (registered in customers.care_nav).
        **flags_for(user, ("desk_staff", "churn_report", "relations_staff")),
        "admin": is_admin(user),
        "keeper": bool(roles & KEEPERS) or is_admin(user),
    }
