"""What happens to tickets, announced to the apps that react (notifications, surveys, search).

``ticket_events`` is sent after the transaction that caused the events commits, with ``events``
a list of ``TicketEvent``. Receivers take the list and work set-at-a-time: a bulk intake (a
batch of mail) announces hundreds of events, and reacting to them one by one would cost a
dozen queries each. Outside ``batched()`` every event is its own list of one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal

ticket_events = Signal()

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


@dataclass(frozen=True)
class TicketEvent:
    """``event`` (one of EVENTS) on ``ticket`` by ``actor`` (a user, None for the system)."""

    event: str
    ticket: Any
    actor: Any = None
    data: dict[str, Any] = field(default_factory=dict)


_batch = threading.local()


def announce(event: str, ticket: Any, actor: Any = None, **data: Any) -> None:
    """Deliver ``event`` once the current transaction commits (never for a rolled-back one,
    nor for one announced in a rolled-back savepoint)."""
    if event not in EVENTS:
        raise ValueError(f"unknown ticket event {event!r}")
    happened = TicketEvent(event, ticket, actor, data)
    transaction.on_commit(lambda: _committed(happened))


def _committed(happened: TicketEvent) -> None:
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(happened)
    else:
        deliver([happened])


@contextmanager
def batched() -> Iterator[None]:
    """Hold back the events committed inside the block and deliver them together at its end.

    Wrap the whole transaction (the commit must happen inside the block). Events committed
    before an error inside the block are still delivered: their changes are saved.
    """
    if getattr(_batch, "events", None) is not None:  # already inside a batch
        yield
        return
    _batch.events = []
    try:
        yield
    finally:
        events, _batch.events = _batch.events, None
        if events:
            deliver(events)


def deliver(events: list[TicketEvent]) -> None:
    # One transaction for all receivers (search, notifications, mail): one commit, not one
    # each. Receivers guard their own work with savepoints and log their failures, so one
    # failing receiver does not undo another's.
    with transaction.atomic():
        ticket_events.send(sender=TicketEvent, events=events)


def of_kind(events: list[TicketEvent], kinds: frozenset[str] | set[str]) -> list[TicketEvent]:
    return [e for e in events if e.event in kinds]
