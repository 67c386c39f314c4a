"""Tickets and everything hanging off them: conversation, attachments, links, clocks."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel
from kehu.desk.models.calendars import SlaPolicy
from kehu.desk.models.setup import Category
from kehu.desk.priority import Impact, Priority, Severity, TicketType

REFERENCE_PREFIX = "KH-"


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Where a ticket may go from each status; ``tickets.change_status`` enforces it.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.OPEN: frozenset({Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY, Status.RESOLVED}),
    Status.WAITING_CUSTOMER: frozenset({Status.OPEN, Status.WAITING_THIRD_PARTY, Status.RESOLVED}),
    Status.WAITING_THIRD_PARTY: frozenset({Status.OPEN, Status.WAITING_CUSTOMER, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
PAUSED_STATUSES = frozenset({Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY})
OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN}) | PAUSED_STATUSES
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


class Channel(models.TextChoices):
    WEB = "web", _("Staff form")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    PORTAL = "portal", _("Customer portal")
    INTERNAL = "internal", _("Internal request form")
    EMAIL = "email", _("Email")
    API = "api", _("API")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(VersionedModel):
    subject = models.CharField(_("subject"), max_length=250)
    ticket_type = models.CharField(
        _("type"), max_length=20, choices=TicketType.choices, default=TicketType.QUESTION
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("handling department"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    service = models.ForeignKey(
        "org.Service",
        verbose_name=_("internal service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    impact = models.CharField(
        _("impact scope"), max_length=16, choices=Impact.choices, default=Impact.INDIVIDUAL
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    priority_reason = models.CharField(
        _("reason for overriding the priority"), max_length=300, blank=True
    )
    # The requester: a customer's contact, or an employee asking another department.
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    requester_employee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("requesting employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
    )
    requesting_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("requesting department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
    )
    assignee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watching"
    )
    custom_values = models.JSONField(_("custom fields"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    # SLA: the policy that matched (shown on the ticket) and the per-ticket statistics, all in
    # business minutes of that policy's calendar with paused time left out.
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("business minutes to first response"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(
        _("business minutes to resolution"), null=True, blank=True
    )
    paused_minutes = models.PositiveIntegerField(_("paused business minutes"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The earliest stored due and warning times of running clocks: queues sort and badge by them.
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    next_warn_at = models.DateTimeField(_("next warning"), null=True, blank=True)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    awaiting_reply_since = models.DateTimeField(
        _("customer waiting for a reply since"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="ticket_queue"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            models.Index(fields=["account", "status"], name="ticket_account"),
            models.Index(fields=["status", "resolved_at"], name="ticket_autoclose"),
            # Keyset pages of the queue: (sort key, id) so any depth is one index range.
            models.Index(fields=["next_due_at", "id"], name="ticket_due_page"),
            # The open queue by due time: a million closed tickets also have no due time, and
            # walking past them to the open ones without one took 0.4 s at page 1,000.
            models.Index(
                fields=["next_due_at", "id"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="open_ticket_due_page",
            ),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_page"),
            models.Index(fields=["status", "id"], name="ticket_status_page"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(contact__isnull=False, requester_employee__isnull=True)
                    | Q(contact__isnull=True, requester_employee__isnull=False)
                ),
                name="ticket_one_requester",
                violation_error_message=_(
                    "A ticket has one requester: a customer contact or an employee."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.pk}" if self.pk else ""

    @property
    def is_internal(self) -> bool:
        return self.requester_employee_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def requester_name(self) -> str:
        if self.contact_id:
            return self.contact.name  # type: ignore[union-attr]
        return str(self.requester_employee)


class Message(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")
        SYSTEM = "system", _("Automatic message")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    # True when the requester's side wrote it (portal, email, or staff logging a call for them).
    from_requester = models.BooleanField(_("from the requester"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.author_name}"


def attachment_storage() -> FileSystemStorage:
    """Files kept under the data directory, never under a served URL: every download goes
    through a view that checks the reader may see the message."""
    return FileSystemStorage(location=settings.KEHU_ATTACHMENT_ROOT, base_url=None)


def _attachment_path(instance: Attachment, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:16]
    return f"{instance.ticket_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, storage=attachment_storage)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_internal(self) -> bool:
        return self.message is not None and self.message.kind == Message.Kind.INTERNAL


class TicketLink(models.Model):
    class Kind(models.TextChoices):
        RELATED = "related", _("Related to")
        DUPLICATE = "duplicate", _("Duplicate of")
        PARENT = "parent", _("Child of")  # source is a child of target

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("link"), max_length=10, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="one_link_per_pair"),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="link_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Pause(models.Model):
    """A span in which the ticket's clocks stood still (waiting on customer or third party)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ended_at__isnull=True), name="one_open_pause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} – {self.ended_at or '…'}"


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class SlaClock(models.Model):
    """One running or finished SLA target of a ticket; ``due_at``/``warn_at`` are stored so the
    sweep finds what is due by index instead of re-evaluating every open ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    cycle = models.PositiveIntegerField(default=1)  # next response: one per unanswered message
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    target_minutes = models.PositiveIntegerField()
    due_at = models.DateTimeField(null=True, blank=True)  # None while paused
    warn_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    # When the sweep must look at this clock again (warning, breach, next escalation level).
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_id", "target", "cycle"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "cycle"], name="one_clock_per_cycle"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(stopped_at__isnull=True, next_check_at__isnull=False),
                name="clock_sweep",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} #{self.cycle}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class SlaEvent(models.Model):
    """A warning or escalation that went out. The unique constraint is what makes each fire
    exactly once per ticket, target and level, however many sweeps run at the same time."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Early warning")
        ESCALATION = "escalation", _("Escalation")

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="events")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=0)
    fired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "policy", "kind", "level"], name="sla_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.level}"


class Transfer(models.Model):
    """A ticket moved to another department; ``directed`` when after-sales, as the customer's
    advocate, sent it where it judged it would be handled fastest."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    from_department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+"
    )
    to_department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    directed = models.BooleanField(_("directed by the customer's advocate"), default=False)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_department} → {self.to_department}"


class Dispute(VersionedModel):
    """The receiving department's objection to a directed transfer, filed after working it."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld: the direction was wrong")
        DISMISSED = "dismissed", _("Dismissed: the direction stands")

    transfer = models.OneToOneField(Transfer, on_delete=models.CASCADE, related_name="dispute")
    reason = models.TextField(_("why the direction was wrong"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    decision_note = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
