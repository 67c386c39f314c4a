"""Sections other apps add to the iron triangle's shared dashboard (SPEC §4 point 8), without
this app knowing them — pipeline, contracts and receivables plug in here once they exist.

An app above relations registers a section in its ``AppConfig.ready``::

    dashboard.register(dashboard.Section(key="pipeline", order=50,
                                         template="pipeline/_team_section.html",
                                         context=pipeline_section_context))

``context(request, account)`` returns the template's context, or None to leave the section out
for this user (the permission decision stays with the app that owns the data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from kehu.customers.models import Account


@dataclass(frozen=True)
class Section:
    key: str
    order: int
    template: str
    context: Callable[[HttpRequest, Account], dict[str, Any] | None]


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    _sections[section.key] = section


def unregister(key: str) -> None:
    _sections.pop(key, None)


def rendered_for(request: HttpRequest, account: Account) -> list[tuple[Section, dict[str, Any]]]:
    """The sections this user may see on this account's team dashboard, in order."""
    shown = []
    for section in sorted(_sections.values(), key=lambda s: s.order):
        context = section.context(request, account)
        if context is not None:
            shown.append((section, context))
    return shown
