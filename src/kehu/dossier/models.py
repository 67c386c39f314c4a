"""The customer dossier (SPEC §3): a per-account wiki of dated, authored entries with revision
history and attachments, and the visits we pay the customer with their follow-ups."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.models import VersionedModel
from kehu.desk.models.tickets import attachment_storage


class Section(models.TextChoices):
    """The dossier's sections, in the order the spec lists them (the page shows them so)."""

    BASE_NOTES = "base_notes", _("Base facts notes")
    ARCHITECTURE = "architecture", _("Business and technical architecture")
    CURRENT_EVENT = "current_event", _("Current events")
    COMPLAINT = "complaint", _("Complaint archive")
    POSITIVE = "positive", _("Positive communications")


class EventCategory(models.TextChoices):
    SCALE_OUT = "scale_out", _("Scale-out")
    INCIDENT = "incident", _("Incident")
    MAJOR_EVENT_ASSURANCE = "major_event_assurance", _("Major-event assurance")
    QUESTION = "question", _("Question")
    OTHER = "other", _("Other")


class PositiveCategory(models.TextChoices):
    GUIDANCE_PROPOSAL = "guidance_proposal", _("Guidance proposal")
    EXTRA_ASSURANCE = "extra_assurance", _("Extra assurance")
    PROACTIVE_ALERT = "proactive_alert", _("Proactive alert")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


# Sections whose entries carry a category, and the categories each allows.
CATEGORIES: dict[str, type[models.TextChoices]] = {
    Section.CURRENT_EVENT: EventCategory,
    Section.POSITIVE: PositiveCategory,
}
ALL_CATEGORIES = {value: label for cls in CATEGORIES.values() for value, label in cls.choices}
OPEN_EVENT_STATUSES = (EventStatus.OPEN, EventStatus.IN_PROGRESS)


class DossierEntry(VersionedModel):
    """One dated, authored fact in an account's dossier; every save keeps a revision."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="dossier_entries",
    )
    section = models.CharField(_("section"), max_length=16, choices=Section.choices)
    category = models.CharField(
        _("category"), max_length=24, choices=list(ALL_CATEGORIES.items()), blank=True
    )
    # Only current events have a status; other entries leave it empty.
    status = models.CharField(_("status"), max_length=12, choices=EventStatus.choices, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"), blank=True, max_length=50000)
    happened_on = models.DateField(_("date"), default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dossier entry")
        verbose_name_plural = _("dossier entries")
        ordering = ["-happened_on", "-id"]
        indexes = [
            models.Index(fields=["account", "section", "-happened_on"], name="dossier_section"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open_event(self) -> bool:
        return self.section == Section.CURRENT_EVENT and self.status in OPEN_EVENT_STATUSES


class DossierRevision(models.Model):
    """What an entry said after each save, numbered from 1 (never changed afterwards)."""

    entry = models.ForeignKey(DossierEntry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    category = models.CharField(_("category"), max_length=24, blank=True)
    status = models.CharField(_("status"), max_length=12, blank=True)
    happened_on = models.DateField(_("date"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("dossier revision")
        verbose_name_plural = _("dossier revisions")
        ordering = ["entry", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="dossier_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} r{self.number}"

    @property
    def status_label(self) -> str:
        return str(EventStatus(self.status).label) if self.status in EventStatus.values else ""


def _attachment_path(instance: DossierAttachment, filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()[:16]
    return f"dossier/{instance.entry_id}/{uuid.uuid4().hex}{suffix}"


class DossierAttachment(models.Model):
    """A file on an entry, kept outside any served directory like the desk's attachments."""

    entry = models.ForeignKey(DossierEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, storage=attachment_storage)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier attachment")
        verbose_name_plural = _("dossier attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Visit(VersionedModel):
    """A visit to the customer: routine (monthly, annual) or extraordinary (an incident review)."""

    class Kind(models.TextChoices):
        ROUTINE_MONTHLY = "routine_monthly", _("Routine monthly visit")
        ROUTINE_ANNUAL = "routine_annual", _("Routine annual visit")
        EXTRAORDINARY = "extraordinary", _("Extraordinary visit")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", pgettext_lazy("status", "Done")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="visits",
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.ROUTINE_MONTHLY
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    planned_on = models.DateField(_("planned for"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    summary = models.TextField(_("summary (Markdown)"), blank=True, max_length=50000)
    our_attendees = models.ManyToManyField(
        "org.Employee", verbose_name=_("our attendees"), blank=True, related_name="visits"
    )
    customer_attendees = models.ManyToManyField(
        "customers.Contact",
        verbose_name=_("customer attendees"),
        blank=True,
        related_name="visits",
    )
    other_attendees = models.CharField(_("other attendees"), max_length=500, blank=True)
    ticket = models.ForeignKey(
        "desk.Ticket",
        verbose_name=_("related ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    incident = models.ForeignKey(
        "incidents.MajorIncident",
        verbose_name=_("related major incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["account", "-planned_on"], name="visit_account")]

    def __str__(self) -> str:
        return f"{self.planned_on:%Y-%m-%d} {self.purpose}"

    @property
    def day(self) -> date:
        """The day the visit happened, or is planned for."""
        return self.visited_on or self.planned_on


class VisitFollowUp(models.Model):
    """Something a visit left us to do, with its owner and due date."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="follow_ups")
    description = models.CharField(_("follow-up"), max_length=500)
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_follow_ups",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit follow-up")
        verbose_name_plural = _("visit follow-ups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    def is_overdue(self, today: date | None = None) -> bool:
        if self.done_at is not None or self.due_on is None:
            return False
        return self.due_on < (today or timezone.localdate())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()
