"""Listening to the desk: every ticket event becomes notifications and webhook deliveries."""

from __future__ import annotations

import logging
from typing import Any

from kehu.desk.signals import TicketEvent
from kehu.notify import services

log = logging.getLogger(__name__)


def on_ticket_events(sender: Any, *, events: list[TicketEvent], **kwargs: Any) -> None:
    # Sent after the tickets' transaction committed: a failure here must not turn the user's
    # finished change into an error page, so it is logged instead of raised.
    try:
        services.notify_events(events)
    except Exception:
        log.exception(
            "notifications for %s failed",
            [(e.event, getattr(e.ticket, "pk", None)) for e in events],
        )
