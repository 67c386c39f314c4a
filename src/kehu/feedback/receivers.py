"""Reacting to the service desk: a resolved ticket invites its requester to rate it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from kehu.desk.signals import TicketEvent, of_kind, ticket_events
from kehu.feedback import services

logger = logging.getLogger(__name__)


@receiver(ticket_events, dispatch_uid="feedback.surveys")
def on_ticket_events(sender: Any, *, events: list[TicketEvent], **kwargs: Any) -> None:
    for happened in of_kind(events, {"ticket.resolved", "ticket.reopened"}):
        _survey(happened.event, happened.ticket)


def _survey(event: str, ticket: Any) -> None:
    # The ticket change is already committed: a survey that cannot go out must not turn the
    # agent's successful "resolve" into an error page.
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves other receivers' work
            if event == "ticket.resolved":
                services.survey_invite(ticket)
            else:
                services.survey_void(ticket)
    except Exception:
        logger.exception("survey handling failed for ticket %s on %s", ticket.pk, event)
