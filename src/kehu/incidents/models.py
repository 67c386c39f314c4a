"""Major incidents (紧急情况响应): one incident ties many tickets and customers to a response group,
a timeline, customer notices and a post-incident review (复盘)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel

REFERENCE_PREFIX = "MI-"


class IncidentStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    INVESTIGATING = "investigating", _("Investigating")
    MITIGATED = "mitigated", _("Mitigated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Where an incident may go from each status by an ordinary update. Closing is not among them:
# it goes through ``services.incident_close``, which demands the post-incident review.
TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.DECLARED: frozenset(
        {IncidentStatus.INVESTIGATING, IncidentStatus.MITIGATED, IncidentStatus.RESOLVED}
    ),
    IncidentStatus.INVESTIGATING: frozenset({IncidentStatus.MITIGATED, IncidentStatus.RESOLVED}),
    IncidentStatus.MITIGATED: frozenset({IncidentStatus.INVESTIGATING, IncidentStatus.RESOLVED}),
    IncidentStatus.RESOLVED: frozenset({IncidentStatus.INVESTIGATING}),
    IncidentStatus.CLOSED: frozenset(),
}
ACTIVE_STATUSES = frozenset(
    {IncidentStatus.DECLARED, IncidentStatus.INVESTIGATING, IncidentStatus.MITIGATED}
)


class IncidentSeverity(models.TextChoices):
    SEV1 = "sev1", _("SEV 1: outage for many customers")
    SEV2 = "sev2", _("SEV 2: major degradation")
    SEV3 = "sev3", _("SEV 3: partial degradation")


class MajorIncident(VersionedModel):
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.DECLARED,
        db_index=True,
    )
    severity = models.CharField(
        _("severity"),
        max_length=8,
        choices=IncidentSeverity.choices,
        default=IncidentSeverity.SEV2,
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    declared_at = models.DateTimeField(_("declared"), default=timezone.now, db_index=True)
    commander = models.ForeignKey(
        "org.Employee",
        verbose_name=_("incident commander"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commanded_incidents",
    )
    # The response group: operations, development, test, ops, customer service …
    response_departments = models.ManyToManyField(
        "org.Department",
        verbose_name=_("responding departments"),
        blank=True,
        related_name="major_incidents",
    )
    response_members = models.ManyToManyField(
        "org.Employee",
        verbose_name=_("response group members"),
        blank=True,
        related_name="major_incidents",
    )
    tickets = models.ManyToManyField(
        "desk.Ticket", verbose_name=_("linked tickets"), blank=True, related_name="major_incidents"
    )
    affected_accounts = models.ManyToManyField(
        "customers.Account",
        verbose_name=_("affected accounts"),
        blank=True,
        related_name="major_incidents",
    )
    mitigated_at = models.DateTimeField(_("mitigated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The post-incident review (复盘), filed with every affected account.
    review_summary = models.TextField(_("review summary"), blank=True)
    review_root_cause = models.TextField(_("root cause"), blank=True)
    review_timeline = models.TextField(_("timeline summary"), blank=True)
    review_actions = models.TextField(_("follow-up actions"), blank=True)
    review_completed_at = models.DateTimeField(_("review completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        ordering = ["-declared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.pk}" if self.pk else ""

    @property
    def is_closed(self) -> bool:
        return self.status == IncidentStatus.CLOSED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ImmutableTimelineError(Exception):
    """A timeline entry, once written, is never changed or removed."""


class TimelineQuerySet(models.QuerySet["TimelineEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableTimelineError("Timeline entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableTimelineError("Timeline entries cannot be deleted.")


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        UPDATE = "update", _("Update")
        STATUS = "status", _("Status change")
        CUSTOMER_NOTICE = "customer_notice", _("Customer notice")
        INTERNAL = "internal", _("Internal note")

    # PROTECT: an incident with a timeline is a record; it is never deleted with its history.
    incident = models.ForeignKey(MajorIncident, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("text"))
    # A customer notice: how many tickets' requesters it was posted to by this entry.
    notified_count = models.PositiveIntegerField(_("tickets notified"), null=True, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableTimelineError("Timeline entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableTimelineError("Timeline entries cannot be deleted.")


class IncidentNotice(models.Model):
    """One customer notice posted on one linked ticket. The unique key (the notice's text digest)
    is what makes "notify all affected requesters" safe to click twice."""

    incident = models.ForeignKey(MajorIncident, on_delete=models.PROTECT, related_name="notices")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    message = models.ForeignKey(
        "desk.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "ticket", "key"], name="incident_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.ticket_id}/{self.key[:8]}"
