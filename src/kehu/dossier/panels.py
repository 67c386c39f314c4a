"""The dossier's panel on the account page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.customers.models import Account
from kehu.customers.panels import Panel
from kehu.customers.rules import can_view_dossier
from kehu.dossier import selectors


def dossier_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    if not can_view_dossier(request.user, account):
        return None
    return selectors.panel(account)


PANEL = Panel(
    key="dossier", order=20, template="dossier/_account_panel.html", context=dossier_panel_context
)
