"""Notifications to people (inbox and email) and to systems (webhooks), with their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel
from kehu.desk.signals import EVENTS
from kehu.notify.addresses import AddressRefused, check_url


class Event(models.TextChoices):
    """The events people are told about (webhooks may subscribe to every ticket event)."""

    CREATED = "ticket.created", _("New ticket in my queue")
    ASSIGNED = "ticket.assigned", _("A ticket is assigned to me")
    MESSAGE_ADDED = "ticket.message_added", _("Replies and notes on my tickets")
    TRANSFERRED = "ticket.transferred", _("A ticket is moved to my department")
    SLA_WARNING = "sla.warning", _("SLA early warning")
    SLA_ESCALATION = "sla.escalation", _("SLA escalation")
    # Not ticket events: the customer dossier's notices (kehu.notify.notices).
    SWING_ALERT = "usage.swing_alert", _("Usage or spend of my accounts swings")
    HANDOVER = "handover.assigned", _("Accounts are handed over to me or by me")
    CHURN_REVIEW = "churn.review_opened", _("A churn review is opened on my accounts")
    HEALTH_DROP = (
        "insight.health_drop",
        _("The health score of my accounts falls below a threshold"),
    )


# Everything goes to the inbox; email only for what needs a person's attention soon.
EMAIL_BY_DEFAULT = frozenset(
    {
        Event.CREATED,
        Event.ASSIGNED,
        Event.MESSAGE_ADDED,
        Event.SLA_WARNING,
        Event.SLA_ESCALATION,
        Event.SWING_ALERT,
        Event.HANDOVER,
        Event.HEALTH_DROP,
    }
)

PING = "ping"  # the test delivery of a webhook
WEBHOOK_EVENTS = (*EVENTS, PING)


class EmailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    ticket = models.ForeignKey(
        "desk.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Written in the recipient's language when the notification is made.
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # False when the person wants this kind by email only: the row then only carries the email.
    in_inbox = models.BooleanField(_("in the inbox"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        _("email"), max_length=10, choices=EmailState.choices, default=EmailState.SKIPPED
    )
    # Non-urgent email waits for the recipient's working hours.
    send_after = models.DateTimeField(_("send email after"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox and the unread badge.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["send_after"],
                condition=Q(email_state="pending"),
                name="notification_email_due",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """One person's choice for one kind of event; without a row the defaults apply."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    inbox = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by email"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"


def validate_events(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one event."))
    unknown = [v for v in value if v not in WEBHOOK_EVENTS]
    if unknown:
        raise ValidationError(
            _("Unknown events: %(list)s"), params={"list": ", ".join(map(str, unknown))}
        )


def validate_webhook_url(value: str) -> None:
    if not value.lower().startswith(("http://", "https://")):
        raise ValidationError(_("Give an http:// or https:// address."))
    try:
        check_url(value)
    except AddressRefused as exc:
        raise ValidationError(
            _("Webhooks may not reach internal addresses (loopback, private, link-local).")
        ) from exc


class Webhook(VersionedModel):
    """An outside system told about ticket events by signed HTTP POSTs."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address"), max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        help_text=_("Each delivery is signed with HMAC-SHA256 of the body under this secret."),
    )
    events = models.JSONField(_("events"), default=list, validators=[validate_events])
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("last response"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # One entry per attempt: {"at", "code", "error"}.
    attempt_log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"
