"""Tickets on their account's timeline: one line per ticket, kept current as it moves.

A complaint ticket is filed under the timeline's "complaint" kind so the dossier's complaint
history can be filtered out of the ticket noise. The lines are restricted (dossier readers
only): everyone else works tickets in the desk, where ticket permissions apply.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from kehu.customers import timeline
from kehu.customers.models import TimelineEntry
from kehu.desk.models import Status, Ticket
from kehu.desk.priority import TicketType

logger = logging.getLogger(__name__)

TRACKED_EVENTS = frozenset(
    {
        "ticket.created",
        "ticket.updated",
        "ticket.status_changed",
        "ticket.resolved",
        "ticket.closed",
        "ticket.reopened",
        "ticket.transferred",
        "ticket.merged",
    }
)
KINDS = (TimelineEntry.Kind.TICKET, TimelineEntry.Kind.COMPLAINT)


def source_of(ticket_id: int) -> str:
    return f"desk.ticket:{ticket_id}"


def kind_of(ticket: Ticket) -> str:
    if ticket.ticket_type == TicketType.COMPLAINT:
        return TimelineEntry.Kind.COMPLAINT
    return TimelineEntry.Kind.TICKET


def entry_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "account_id": ticket.account_id,
        "kind": kind_of(ticket),
        "source": source_of(ticket.pk),
        "occurred_at": ticket.created_at,
        "title": f"{ticket.reference} {ticket.subject}",
        "summary": timeline.phrase(
            gettext_noop("%(type)s · %(status)s"),
            type=TicketType(ticket.ticket_type).label,
            status=Status(ticket.status).label,
        ),
        "url": reverse("desk:ticket-detail", args=[ticket.pk]),
        "restricted": True,
    }


def sync_ticket(ticket_id: int) -> None:
    """Make the ticket's timeline line match the ticket (or remove it if it has no account)."""
    ticket = (
        Ticket.objects.filter(pk=ticket_id)
        .only("pk", "subject", "ticket_type", "status", "created_at", "account_id")
        .first()
    )
    source = source_of(ticket_id)
    if ticket is None or ticket.account_id is None:
        timeline.forget(source=source)
        return
    fields = entry_fields(ticket)
    # The type may have changed (question → complaint): drop the line of the other kind.
    TimelineEntry.objects.filter(source=source).exclude(kind=fields["kind"]).delete()
    timeline.record(**fields)


def on_ticket_event(
    sender: Any, *, event: str, ticket: Ticket, data: dict[str, Any], **_: Any
) -> None:
    """``ticket_event`` receiver (runs after the ticket's transaction committed)."""
    if event not in TRACKED_EVENTS:
        return
    try:
        with transaction.atomic():
            sync_ticket(ticket.pk)
    except DatabaseError:
        # The ticket change is committed; a missing timeline line must not fail the request.
        logger.exception("could not put ticket %s on its account's timeline", ticket.pk)
