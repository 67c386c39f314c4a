"""Sections other apps add to the account page, without the customers app knowing them.

An app registers a panel in its ``AppConfig.ready``::

    panels.register(panels.Panel(key="usage", order=30, template="usage/_account_panel.html",
                                 context=usage_panel_context))

``context(request, account)`` returns the template's context, or None to leave the panel out
for this user (the permission decision stays with the app that owns the data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from kehu.customers.models import Account


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    context: Callable[[HttpRequest, Account], dict[str, Any] | None]


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _panels[panel.key] = panel


def rendered_for(request: HttpRequest, account: Account) -> list[tuple[Panel, dict[str, Any]]]:
    """The panels this user may see on this account, in page order, with their context."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(request, account)
        if context is not None:
            shown.append((panel, context))
    return shown
