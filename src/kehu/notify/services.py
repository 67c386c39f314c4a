"""Writes of the notifications app: turning ticket events into notifications and webhook
deliveries, reading state, preferences, and webhook administration."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kehu.access.models import User
from kehu.core.services import object_create, object_update
from kehu.desk.models import Message, Target, Ticket
from kehu.desk.priority import Priority
from kehu.desk.signals import TicketEvent
from kehu.mail import outbound as mail_outbound
from kehu.notify import quiet, recipients, webhooks
from kehu.notify.delivery import deliver_due
from kehu.notify.models import (
    EMAIL_BY_DEFAULT,
    PING,
    DeliveryStatus,
    EmailState,
    Event,
    Notification,
    Preference,
    Webhook,
    WebhookDelivery,
)

log = logging.getLogger(__name__)

EXCERPT = 500


def ticket_url(ticket_id: int) -> str:
    """The ticket's page (requesters are sent on to the portal view from there)."""
    return reverse("desk:ticket-detail", args=[ticket_id])


# --- preferences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    event: str
    label: str
    inbox: bool
    email: bool


def preferences_for(user: Any) -> list[Choice]:
    """The user's choice for every kind of event, defaults filled in."""
    stored = {p.event: p for p in Preference.objects.filter(user=user)}
    result = []
    for event, label in Event.choices:
        row = stored.get(event)
        result.append(
            Choice(
                event=event,
                label=str(label),
                inbox=row.inbox if row else True,
                email=row.email if row else event in EMAIL_BY_DEFAULT,
            )
        )
    return result


def preferences_save(*, user: Any, choices: dict[str, tuple[bool, bool]]) -> list[Choice]:
    """Store (inbox, email) per event; events not named keep their current choice."""
    with transaction.atomic():
        for event, (inbox, email) in choices.items():
            if event not in Event.values:
                continue
            Preference.objects.update_or_create(
                user=user, event=event, defaults={"inbox": inbox, "email": email}
            )
    return preferences_for(user)


# --- from events to notifications --------------------------------------------------------------


def _when(moment: str | None, user: User) -> str:
    if not moment:
        return ""
    try:
        instant = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return formats.date_format(timezone.localtime(instant, _zone(user)), "DATETIME_FORMAT")


def _zone(user: User) -> Any:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def _text(
    event: str,
    ticket: Ticket,
    actor: Any,
    data: dict[str, Any],
    message: Message | None,
    user: User,
) -> tuple[str, str]:
    """Title and text of one notification, in the active language."""
    names = {"ref": ticket.reference, "subject": ticket.subject}
    priority = Priority(ticket.priority).label if ticket.priority in Priority.values else ""
    facts = _("Priority: %(priority)s") % {"priority": priority}
    if event == Event.CREATED:
        title = (
            _("New ticket %(ref)s assigned to you: %(subject)s")
            if ticket.assignee_id
            else _("New ticket %(ref)s in your department's queue: %(subject)s")
        ) % names
        return title, facts
    if event == Event.ASSIGNED:
        return _("%(ref)s was assigned to you: %(subject)s") % names, facts
    if event == Event.TRANSFERRED:
        return _("%(ref)s was moved to your department: %(subject)s") % names, facts
    if event == Event.MESSAGE_ADDED and message is not None:
        author = message.author_name or _("Someone")
        if message.kind == Message.Kind.INTERNAL:
            title = _("%(author)s added an internal note on %(ref)s") % {**names, "author": author}
        else:
            title = _("%(author)s replied on %(ref)s: %(subject)s") % {**names, "author": author}
        return title, message.body[:EXCERPT]
    target = data.get("target", "")
    target_label = Target(target).label if target in Target.values else target
    details = {
        **names,
        "target": target_label,
        "due": _when(data.get("due_at"), user),
        "level": data.get("level", 0),
    }
    if event == Event.SLA_WARNING:
        title = _("SLA warning: %(target)s of %(ref)s is due %(due)s") % details
    else:
        title = _("SLA escalation level %(level)s: %(target)s of %(ref)s was due %(due)s") % details
    return title, f"{ticket.subject}\n{facts}"


def _answered_by_mail(event: str, ticket: Ticket) -> str:
    """The address a public reply on ``ticket`` is mailed to by the email channel, if any."""
    if event != Event.MESSAGE_ADDED:
        return ""
    return mail_outbound.replies_mailed_to(ticket)


def _is_requester(ticket: Ticket, user: User) -> bool:
    contact, employee = ticket.contact, ticket.requester_employee
    return bool(
        (contact is not None and contact.user_id == user.pk)
        or (employee is not None and employee.user_id == user.pk)
    )


def notify_event(
    event: str,
    ticket: Ticket,
    actor: Any = None,
    data: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> list[Notification]:
    """Create the inbox notifications, queued emails and webhook deliveries for one event."""
    return notify_events([TicketEvent(event, ticket, actor, dict(data or {}))], now=now)


def notify_events(events: list[TicketEvent], *, now: datetime | None = None) -> list[Notification]:
    """``notify_event`` for many events at once: the tickets, people, messages, preferences and
    webhooks they need are read once for the whole list."""
    now = now or timezone.now()
    created: list[Notification] = []
    deliveries: list[WebhookDelivery] = []
    with transaction.atomic():
        current = Ticket.objects.select_related(
            "department", "assignee", "account", "contact", "requester_employee"
        )
        tickets = {t.pk: t for t in current.filter(pk__in={e.ticket.pk for e in events})}
        known = [e for e in events if e.event in Event.values]
        messages = recipients.messages_of(e.data for e in known)
        directory = recipients.Directory().preload(
            (e.event, tickets.get(e.ticket.pk, e.ticket), e.data) for e in known
        )
        told = [
            (
                happened,
                tickets.get(happened.ticket.pk, happened.ticket),
                messages.get(happened.data.get("message_id") or 0),
            )
            for happened in known
        ]
        told_users = [
            recipients.recipients(h.event, ticket, h.actor, h.data, message, directory)
            for h, ticket, message in told
        ]
        choices = _choices_for_events(
            {
                (user.pk, h.event)
                for (h, _t, _m), users in zip(told, told_users, strict=True)
                for user in users
            }
        )
        hours: dict[int | None, datetime] = {}  # department → when its non-urgent mail may go
        for (happened, ticket, message), users in zip(told, told_users, strict=True):
            created.extend(
                _notifications(happened, ticket, message, users, choices, now=now, hours=hours)
            )
        Notification.objects.bulk_create(created)
        hooks = [w for w in Webhook.objects.filter(is_active=True) if w.events]
        for happened in events:
            ticket = tickets.get(happened.ticket.pk, happened.ticket)
            deliveries.extend(
                _webhook_deliveries(hooks, happened.event, ticket, happened.data, now)
            )
        WebhookDelivery.objects.bulk_create(deliveries)
        if deliveries or any(n.send_after is not None and n.send_after <= now for n in created):
            _deliver_soon()
    return created


def _choices_for_events(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[bool, bool]]:
    """(user id, event) → (inbox, email), stored choices or the defaults."""
    if not wanted:
        return {}
    stored = {
        (p.user_id, p.event): (p.inbox, p.email)
        for p in Preference.objects.filter(
            user_id__in={u for u, _e in wanted}, event__in={e for _u, e in wanted}
        )
    }
    return {
        (user, event): stored.get((user, event), (True, event in EMAIL_BY_DEFAULT))
        for user, event in wanted
    }


def _notifications(
    happened: TicketEvent,
    ticket: Ticket,
    message: Message | None,
    users: list[User],
    choices: dict[tuple[int, str], tuple[bool, bool]],
    *,
    now: datetime,
    hours: dict[int | None, datetime] | None = None,
) -> list[Notification]:
    urgent = bool(happened.data.get("urgent"))
    by_mail: str | None = None  # asked only when the requester is among the people told
    made = []
    for user in users:
        inbox, email = choices[(user.pk, happened.event)]
        if email and _is_requester(ticket, user):
            if by_mail is None:
                by_mail = _answered_by_mail(happened.event, ticket)
            if by_mail:
                email = False  # the reply itself reaches them by email (kehu.mail)
        if not (inbox or email):
            continue
        with override(user.language):
            title, body = _text(
                happened.event, ticket, happened.actor, happened.data, message, user
            )
        wants_mail = email and bool(user.email)
        made.append(
            Notification(
                recipient=user,
                event=happened.event,
                ticket=ticket,
                title=title[:300],
                body=body,
                url=ticket_url(ticket.pk),
                urgent=urgent,
                in_inbox=inbox,
                email_state=EmailState.PENDING if wants_mail else EmailState.SKIPPED,
                send_after=(
                    quiet.email_send_after(user, now=now, urgent=urgent, known=hours)
                    if wants_mail
                    else None
                ),
            )
        )
    return made


def _webhook_deliveries(
    hooks: list[Webhook], event: str, ticket: Ticket | None, data: dict[str, Any], now: datetime
) -> list[WebhookDelivery]:
    # Few webhooks exist; filtering the event list here works alike on SQLite and PostgreSQL.
    subscribed = [hook for hook in hooks if event in (hook.events or [])]
    if not subscribed:
        return []
    payload = webhooks.build_payload(event, ticket, data, now)
    return [
        WebhookDelivery(webhook=hook, event=event, payload=payload, next_attempt_at=now)
        for hook in subscribed
    ]


def _deliver_soon() -> None:
    transaction.on_commit(lambda: deliver_due.enqueue())


# --- reading -----------------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> None:
    """Mark one notification read (no-op when it was already)."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def notifications_mark_all_read(*, user: Any, now: datetime | None = None) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


# --- webhooks ----------------------------------------------------------------------------------


def webhook_create(*, actor: Any, fields: dict[str, Any]) -> Webhook:
    """Validate and create a webhook; a secret is generated when none is given."""
    fields = dict(fields)
    if not fields.get("secret"):
        fields["secret"] = webhooks.new_secret()
    return object_create(Webhook, created_by=actor, **fields)


def webhook_update(*, webhook: Webhook, expected_version: int, fields: dict[str, Any]) -> Webhook:
    """Change a webhook if nobody saved it since ``expected_version``; a blank secret keeps it."""
    changes = {k: v for k, v in fields.items() if not (k == "secret" and not v)}
    return object_update(webhook, expected_version=expected_version, changes=changes)


def webhook_ping(
    *, webhook: Webhook, actor: Any, now: datetime | None = None, queue: bool = True
) -> WebhookDelivery:
    """A test delivery (event ``ping``) to ``webhook``, active or not; ``queue=False`` leaves
    the first attempt to the caller."""
    now = now or timezone.now()
    payload = {
        "event": PING,
        "occurred_at": now.isoformat(),
        "ticket": None,
        "data": {"webhook": {"id": webhook.pk, "name": webhook.name}, "by": str(actor)},
    }
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, event=PING, payload=payload, next_attempt_at=now
        )
        if queue:
            _deliver_soon()
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery, now: datetime | None = None) -> bool:
    """Send a finished delivery again (same id and payload); False if it is still under way."""
    now = now or timezone.now()
    with transaction.atomic():
        moved = WebhookDelivery.objects.filter(
            pk=delivery.pk, status__in=(DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
        ).update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_at=None)
        if moved:
            _deliver_soon()
    delivery.refresh_from_db()
    return bool(moved)
