"""What happens to tickets, announced to the apps that react (notifications, surveys, search).

``ticket_event`` is sent after the transaction that caused it commits, with
``event`` one of EVENTS, the ``ticket``, the acting ``actor`` (a user or None for the system) and
event-specific ``data``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

ticket_event = Signal()

EVENTS = (
    "ticket.created",
    "ticket.updated",
    "ticket.assigned",
    "ticket.status_changed",
    "ticket.resolved",
    "ticket.closed",
    "ticket.reopened",
    "ticket.message_added",
    "ticket.transferred",
    "ticket.merged",
    "sla.warning",
    "sla.escalation",
)


def announce(event: str, ticket: Any, actor: Any = None, **data: Any) -> None:
    """Send ``ticket_event`` once the current transaction commits (never for a rolled-back one)."""
    if event not in EVENTS:
        raise ValueError(f"unknown ticket event {event!r}")

    def send() -> None:
        # One transaction for all receivers (search, notifications, mail): one commit, not one
        # each. Receivers guard their own work with savepoints and log their failures, so one
        # failing receiver does not undo another's.
        with transaction.atomic():
            ticket_event.send(
                sender=type(ticket), event=event, ticket=ticket, actor=actor, data=data
            )

    transaction.on_commit(send)
