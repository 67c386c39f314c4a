"""Department mailboxes, every message they received, and the addresses that bounce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel

# Why an attachment was not taken (codes stored in InboundMail.refused_attachments).
REFUSAL_REASONS = {
    "type": _("type not accepted"),
    "size": _("too large"),
    "damaged": _("cut off or damaged in transit"),
}


class Mailbox(VersionedModel):
    """An address customers and colleagues write to; its mail becomes the department's tickets.

    Mail arrives by IMAP polling (``imap_host`` set) or is handed over by an MTA through
    ``kehu mail-ingest`` (both may be used).
    """

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS (IMAPS, port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("None (local test servers only)")

    class UnknownSenders(models.TextChoices):
        CREATE_CONTACT = "create_contact", _("Create a contact and open a ticket")
        HOLD = "hold", _("Hold the message for review")

    department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="mailboxes",
        verbose_name=_("department"),
    )
    address = models.EmailField(_("address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    unknown_senders = models.CharField(
        _("mail from unknown senders"),
        max_length=20,
        choices=UnknownSenders.choices,
        default=UnknownSenders.CREATE_CONTACT,
    )
    thread_by_subject = models.BooleanField(
        _("thread by the ticket reference in the subject"),
        default=True,
        help_text=_("When a reply carries no known Message-ID, look for [KH-123] in its subject."),
    )
    sender_limit_per_hour = models.PositiveIntegerField(
        _("messages per sender and hour"),
        default=30,
        help_text=_(
            "More from one sender within an hour is kept but opens no tickets (mail storms)."
        ),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=200, blank=True)
    imap_folder = models.CharField(_("folder to read"), max_length=200, default="INBOX")
    processed_folder = models.CharField(
        _("move processed mail to"),
        max_length=200,
        blank=True,
        help_text=_("Empty: leave processed mail in place, marked as read."),
    )
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_poll_error = models.TextField(_("last polling error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address


class InboundMailManager(models.Manager["InboundMail"]):
    def refusals(self) -> models.QuerySet[InboundMail]:
        """Messages with attachments that were not taken (the ticket page lists them), without
        the raw message."""
        return (
            self.exclude(refused_attachments=[])
            .only("id", "sender", "received_at", "refused_attachments", "ticket_id")
            .order_by("id")
        )


class InboundMail(models.Model):
    """One received message, stored before anything else happens to it (the raw bytes kept).

    ``dedupe_key`` (Message-ID and body hash) is unique: the same message fetched twice, or
    handed over again after a crash, is recognised and never processed twice.
    """

    class Outcome(models.TextChoices):
        TICKET_CREATED = "ticket_created", _("Opened a ticket")
        REPLY_ADDED = "reply_added", _("Added to a ticket")
        HELD = "held", _("Held for review")
        AUTO_REPLY = "auto_reply", _("Automatic reply (not answered)")
        BULK = "bulk", _("Bulk mail (not answered)")
        BOUNCE = "bounce", _("Bounce")
        RATE_LIMITED = "rate_limited", _("Too many from this sender")
        REJECTED = "rejected", _("Could not be used")
        LOOP = "loop", _("Sent by the desk itself (not answered)")

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("mailbox")
    )
    dedupe_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    raw = models.BinaryField(_("original message"), blank=True, default=b"")
    # A large message is kept as a file in the attachment storage instead of ``raw``.
    raw_file = models.CharField(_("original message file"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    detail = models.TextField(_("detail"), blank=True)
    problems = models.JSONField(_("problems reading the message"), default=list, blank=True)
    refused_attachments = models.JSONField(_("attachments not taken"), default=list, blank=True)
    ticket = models.ForeignKey(
        "desk.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
        verbose_name=_("ticket"),
    )
    ticket_message = models.OneToOneField(
        "desk.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_mail",
        verbose_name=_("ticket message"),
    )

    objects = InboundMailManager()

    class Meta:
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        indexes = [models.Index(fields=["sender", "received_at"], name="mail_sender_rate")]

    def __str__(self) -> str:
        return str(self.message_id or self.dedupe_key)

    def refusals(self) -> list[tuple[str, str]]:
        """(file name, reason in the reader's language) of each attachment not taken."""
        return [
            (str(r.get("name", "")), str(REFUSAL_REASONS.get(r.get("reason", ""), r.get("reason"))))
            for r in self.refused_attachments
            if isinstance(r, dict)
        ]

    def problem_texts(self) -> list[str]:
        """What went wrong reading the message, in the reader's language."""
        from kehu.mail.parsing import PROBLEMS

        return [str(PROBLEMS.get(code, code)) for code in self.problems]

    def raw_bytes(self) -> bytes:
        """The original message, from the database column or from its file."""
        if self.raw_file:
            from kehu.mail.storage import read_raw

            return read_raw(self.raw_file)
        return bytes(self.raw)


class OutboundMail(models.Model):
    """A message Kehu sent for a ticket; its Message-ID threads the customer's answer back."""

    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="outbound_mail"
    )
    ticket_message = models.ForeignKey(
        "desk.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_mail",
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    recipients = models.JSONField(_("recipients"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("sent message")
        verbose_name_plural = _("sent messages")
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="mail_outbound_due")]

    def __str__(self) -> str:
        return str(self.message_id)


class BouncedAddress(models.Model):
    """An address mail could not be delivered to; replies to it are not sent until cleared."""

    address = models.EmailField(_("address"), unique=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    diagnostic = models.TextField(_("diagnostic"), blank=True)
    bounces = models.PositiveIntegerField(_("bounces"), default=1)
    last_bounced_at = models.DateTimeField(_("last bounce"), auto_now=True)

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.address
