"""Slots in desk pages that apps above the desk fill (the desk imports none of them).

An app registers a renderer for a slot in its ``AppConfig.ready``; the page shows whatever the
renderers return, in registration order (``{% desk_hook "slot" %}`` from ``desk_hooks``). A
renderer takes the request and the page's context and returns HTML, or "" to show nothing.

- ``PORTAL_REQUEST_FORM``: inside the portal's "Submit a request" form, after its fields (the
  knowledge base suggests articles there while the customer types the subject).
- ``TICKET_REPLY_TOOLS``: below the staff reply form of a ticket (the knowledge base inserts an
  article into the reply).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

PORTAL_REQUEST_FORM = "portal.request_form"
TICKET_REPLY_TOOLS = "ticket.reply_tools"

Renderer = Callable[[HttpRequest, dict[str, Any]], str]
_slots: dict[str, list[Renderer]] = {}


def register(slot: str, renderer: Renderer) -> None:
    renderers = _slots.setdefault(slot, [])
    if renderer not in renderers:
        renderers.append(renderer)


def render(slot: str, request: HttpRequest, context: dict[str, Any]) -> SafeString:
    """Every renderer's HTML for ``slot``, joined (renderers return escaped, safe HTML)."""
    parts = [renderer(request, context) for renderer in _slots.get(slot, [])]
    return format_html_join("", "{}", ((part,) for part in parts if part))
