"""Writes for satisfaction surveys, callbacks and complaint records."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.core.concurrency import StaleVersionError
from kehu.core.services import object_create, object_update
from kehu.core.tasks import send_email
from kehu.desk.models import Status, Ticket
from kehu.desk.priority import TicketType
from kehu.desk.tickets import effective_assignee
from kehu.feedback.models import (
    COMPLAINT_FIELDS,
    CallbackTask,
    ComplaintRecord,
    SatisfactionRating,
    SurveyInvitation,
)
from kehu.org.models import Employee, InterfaceAssignment

MAX_TOKEN_LENGTH = 100
CALLBACK_WITHIN = timedelta(hours=24)  # "one business day", kept simple


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: SurveyInvitation
    token: str  # goes into the mailed link only; never stored


class SurveyUnavailable(Exception):
    """A survey link that cannot be answered: unknown (404) or used, voided, expired (410)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

    @property
    def gone(self) -> bool:
        return self.reason != "unknown"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    return settings.KEHU_BASE_URL + reverse("survey:form", args=[token])


def survey_recipient(ticket: Ticket) -> tuple[str, str] | None:
    """The requester's address and language, or None when there is nobody to mail."""
    contact = ticket.contact
    if contact is not None:
        if not contact.email or not contact.is_active:
            return None
        return contact.email, contact.language
    employee = ticket.requester_employee
    if employee is None:
        return None
    user = employee.user
    address = employee.email or (user.email if user else "")
    if not address:
        return None
    return address, (user.language if user else settings.LANGUAGE_CODE)


def survey_void(ticket: Ticket, *, now: datetime | None = None) -> int:
    """Void the ticket's unanswered survey links (the resolution they asked about is undone)."""
    return SurveyInvitation.objects.filter(
        ticket=ticket, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=now or timezone.now())


def survey_invite(ticket: Ticket, *, now: datetime | None = None) -> IssuedInvitation | None:
    """Invite the requester of a resolved ticket to rate it; mail the link after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        # The ticket lock serialises two resolutions racing to invite (one live link per ticket).
        current = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("contact", "requester_employee__user")
            .get(pk=ticket.pk)
        )
        if current.status != Status.RESOLVED:
            return None  # reopened again before the invitation went out
        survey_void(current, now=now)
        recipient = survey_recipient(current)
        if recipient is None:
            return None
        email, language = recipient
        token = secrets.token_urlsafe(32)
        invitation = SurveyInvitation.objects.create(
            ticket=current,
            email=email,
            language=language,
            digest=_digest(token),
            agent_id=current.assignee_id,
            expires_at=now + timedelta(days=settings.KEHU_SURVEY_DAYS),
        )
        transaction.on_commit(partial(_mail_invitation, invitation, current, token))
    return IssuedInvitation(invitation=invitation, token=token)


def _mail_invitation(invitation: SurveyInvitation, ticket: Ticket, token: str) -> None:
    context = {
        "ticket": ticket,
        "reference": ticket.reference,
        "url": survey_url(token),
        "expires_at": invitation.expires_at,
        "days": settings.KEHU_SURVEY_DAYS,
    }
    with translation.override(invitation.language):
        subject = "".join(
            loader.render_to_string("feedback/survey_email_subject.txt", context).splitlines()
        )
        body = loader.render_to_string("feedback/survey_email.txt", context)
    send_email.enqueue(subject=subject, body=body, to=[invitation.email])


def survey_lookup(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """The open invitation for ``token`` with its ticket; SurveyUnavailable otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SurveyUnavailable("unknown")
    invitation = (
        SurveyInvitation.objects.select_related("ticket").filter(digest=_digest(token)).first()
    )
    return _check_open(invitation, now or timezone.now())


def _check_open(invitation: SurveyInvitation | None, now: datetime) -> SurveyInvitation:
    if invitation is None:
        raise SurveyUnavailable("unknown")
    if invitation.used_at is not None:
        raise SurveyUnavailable("used")
    if invitation.voided_at is not None:
        raise SurveyUnavailable("voided")
    if invitation.expires_at <= now:
        raise SurveyUnavailable("expired")
    return invitation


def survey_submit(
    *, token: str, score: Any, comment: str = "", now: datetime | None = None
) -> SatisfactionRating:
    """Store the requester's rating and use up the link; a low score opens a callback."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = [_("Choose a score from 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > 4000:
        errors["comment"] = [_("Keep the comment under 4000 characters.")]
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise SurveyUnavailable("unknown")
    with transaction.atomic():
        # Locked so a double submit (two tabs, a retry) stores one rating and refuses the other.
        invitation = _check_open(
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("ticket__account")
            .filter(digest=_digest(token))
            .first(),
            now,
        )
        if errors:
            raise ValidationError(errors)
        ticket = invitation.ticket
        rating = SatisfactionRating.objects.create(
            ticket=ticket,
            invitation=invitation,
            score=score,
            comment=comment,
            agent_id=invitation.agent_id,
            department_id=ticket.department_id,
            service_id=ticket.service_id,
            account_id=ticket.account_id,
            requesting_department_id=ticket.requesting_department_id,
            created_at=now,
        )
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        if rating.is_low:
            callback_open(rating, now=now)
    return rating


# --- callbacks -----------------------------------------------------------------------------


def callback_assignee(ticket: Ticket) -> Employee | None:
    """Who calls back: the account owner (external), else the requesting department's interface
    person for the handling department (internal), else the handling department's head."""
    person: Employee | None = None
    if ticket.account_id is not None:
        person = ticket.account.owner  # type: ignore[union-attr]
    elif ticket.requesting_department_id is not None:
        interface = (
            InterfaceAssignment.objects.select_related("person")
            .filter(
                requesting_department_id=ticket.requesting_department_id,
                supplier_department_id=ticket.department_id,
            )
            .first()
        )
        person = interface.person if interface else None
    if person is None or not person.is_active:
        person = ticket.department.head
    return effective_assignee(person) if person is not None else None


def callback_open(rating: SatisfactionRating, *, now: datetime | None = None) -> CallbackTask:
    """Open the callback task for a low rating (once per rating)."""
    now = now or timezone.now()
    callback, _created = CallbackTask.objects.get_or_create(
        rating=rating,
        defaults={
            "ticket": rating.ticket,
            "assignee": callback_assignee(rating.ticket),
            "due_at": now + CALLBACK_WITHIN,
        },
    )
    return callback


def callback_complete(
    callback: CallbackTask,
    *,
    expected_version: int,
    outcome: str,
    actor: Any,
    now: datetime | None = None,
) -> CallbackTask:
    """Mark a callback done with what came of it (or amend the outcome); StaleVersionError if
    someone saved it since ``expected_version``."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": [_("Write down what came of the call.")]})
    changes = {
        "outcome": outcome,
        "done_at": callback.done_at or now or timezone.now(),
        "done_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    return object_update(callback, expected_version=expected_version, changes=changes)


# --- complaint records ---------------------------------------------------------------------


def complaint_record_save(
    ticket: Ticket, *, expected_version: int | None, fields: dict[str, Any]
) -> ComplaintRecord:
    """Create the ticket's complaint record, or update it if nobody saved it since
    ``expected_version`` (StaleVersionError otherwise; a writer who never saw it sends None)."""
    if ticket.ticket_type != TicketType.COMPLAINT:
        raise ValidationError(
            {"ticket": [_("Only tickets of type complaint have a complaint record.")]}
        )
    unknown = set(fields) - {*COMPLAINT_FIELDS, *(f"{name}_id" for name in COMPLAINT_FIELDS)}
    if unknown:
        raise ValueError(f"not complaint record fields: {sorted(unknown)}")
    with transaction.atomic():
        # The ticket lock makes two first saves queue, so the second updates (or is stale).
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        existing = ComplaintRecord.objects.filter(ticket=ticket).first()
        if existing is None:
            return object_create(ComplaintRecord, ticket=ticket, **fields)
        if expected_version is None:
            raise StaleVersionError(existing)
        return object_update(existing, expected_version=expected_version, changes=fields)
