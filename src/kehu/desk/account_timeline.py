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
from kehu.desk.signals import TicketEvent, of_kind

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


def sync_tickets(ticket_ids: list[int]) -> None:
    """Make the tickets' timeline lines match the tickets (removing the line of a ticket that
    has no account, or no longer exists), in a fixed number of statements."""
    found = {
        t.pk: t
        for t in Ticket.objects.filter(pk__in=ticket_ids).only(
            "pk", "subject", "ticket_type", "status", "created_at", "account_id"
        )
    }
    kept = [found[pk] for pk in dict.fromkeys(ticket_ids) if pk in found and found[pk].account_id]
    gone = [source_of(pk) for pk in ticket_ids if pk not in found or not found[pk].account_id]
    if gone:
        TimelineEntry.objects.filter(source__in=gone).delete()
    lines = [entry_fields(ticket) for ticket in kept]
    # The type may have changed (question → complaint): drop the line of the other kind.
    for kind in KINDS:
        other = [line["source"] for line in lines if line["kind"] != kind]
        if other:
            TimelineEntry.objects.filter(source__in=other, kind=kind).delete()
    if lines:
        timeline.record_many(lines)


def sync_ticket(ticket_id: int) -> None:
    sync_tickets([ticket_id])


def on_ticket_events(sender: Any, *, events: list[TicketEvent], **_: Any) -> None:
    """``ticket_events`` receiver (runs after the tickets' transaction committed)."""
    ids = [e.ticket.pk for e in of_kind(events, TRACKED_EVENTS)]
    if not ids:
        return
    try:
        with transaction.atomic():
            sync_tickets(ids)
    except DatabaseError:
        # The ticket change is committed; a missing timeline line must not fail the request.
        logger.exception("could not put tickets %s on their accounts' timelines", ids)
