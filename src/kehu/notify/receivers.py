"""Listening to the desk: every ticket event becomes notifications and webhook deliveries."""

from __future__ import annotations

import logging
from typing import Any

from kehu.notify import services

log = logging.getLogger(__name__)


def on_ticket_event(
    sender: Any, event: str, ticket: Any, actor: Any = None, data: Any = None, **kwargs: Any
) -> None:
    # Sent after the ticket's transaction committed: a failure here must not turn the user's
    # finished change into an error page, so it is logged instead of raised.
    try:
        services.notify_event(event, ticket, actor, dict(data or {}))
    except Exception:
        log.exception(
            "notifications for %s on ticket %s failed", event, getattr(ticket, "pk", None)
        )
