"""Churn reviews (SPEC §3): an account lost or shrinking is reviewed and attributed to a class.

The review snapshots the account's owner and that owner's department when it is opened, so
reports keep crediting the people who held the account when it churned, whatever handovers
happen later.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel


class ReviewKind(models.TextChoices):
    LOST = "lost", _("Lost")
    SHRINKING = "shrinking", _("Shrinking")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")


# Where a review may go from each status. Reviewed may go back to open when new evidence turns
# up; closed is final (a new review is opened if the customer churns again).
TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewStatus.OPEN: frozenset({ReviewStatus.REVIEWED}),
    ReviewStatus.REVIEWED: frozenset({ReviewStatus.OPEN, ReviewStatus.CLOSED}),
    ReviewStatus.CLOSED: frozenset(),
}
# A review in progress: an account has at most one.
ACTIVE_STATUSES = (ReviewStatus.OPEN, ReviewStatus.REVIEWED)


class Attribution(models.TextChoices):
    BUSINESS_ENDED = "business_ended", _("Customer's business ended or shrank")
    COMMERCIAL = "commercial", _("Commercial: moved to a competitor for price or terms")
    SERVICE_CAPABILITY = (
        "service_capability",
        _("Service capability: the customer's technical team asked to drop us"),
    )


class CauseArea(models.TextChoices):
    """Where after-sales traces a service-capability churn to (one or more)."""

    PRODUCT = "product", _("Product")
    DEVELOPMENT = "development", _("Development")
    OPERATIONS = "operations", _("Operations")
    SERVICE = "service", _("Service")


CAUSE_FIELDS = {
    CauseArea.PRODUCT: "cause_product",
    CauseArea.DEVELOPMENT: "cause_development",
    CauseArea.OPERATIONS: "cause_operations",
    CauseArea.SERVICE: "cause_service",
}


class ChurnReview(VersionedModel):
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="churn_reviews",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReviewKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.OPEN,
        db_index=True,
    )
    noticed_on = models.DateField(_("noticed on"), default=timezone.localdate, db_index=True)
    review_held_on = models.DateField(_("review held on"), null=True, blank=True)
    # Yearly revenue before and after; for a shrinking account their difference is the drop.
    revenue_before = models.DecimalField(
        _("yearly revenue before"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    revenue_after = models.DecimalField(
        _("yearly revenue after"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    evidence = models.TextField(_("evidence"), blank=True, help_text=_("Markdown."))
    attendees = models.ManyToManyField(
        "org.Employee", verbose_name=_("attendees"), blank=True, related_name="churn_reviews"
    )
    customer_attendees = models.TextField(_("attendees on the customer's side"), blank=True)
    decision = models.TextField(_("decision"), blank=True)
    attribution = models.CharField(
        _("attribution"), max_length=20, choices=Attribution.choices, blank=True, db_index=True
    )
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    attribution_notes = models.TextField(_("attribution notes"), blank=True)
    cause_product = models.BooleanField(_("cause: product"), default=False)
    cause_development = models.BooleanField(_("cause: development"), default=False)
    cause_operations = models.BooleanField(_("cause: operations"), default=False)
    cause_service = models.BooleanField(_("cause: service"), default=False)
    tickets = models.ManyToManyField(
        "desk.Ticket", verbose_name=_("tickets behind it"), blank=True, related_name="+"
    )
    incidents = models.ManyToManyField(
        "incidents.MajorIncident",
        verbose_name=_("major incidents behind it"),
        blank=True,
        related_name="+",
    )
    owner_at_review = models.ForeignKey(
        "org.Employee",
        verbose_name=_("owner at the review"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department at the review"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("churn review")
        verbose_name_plural = _("churn reviews")
        ordering = ["-noticed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=["open", "reviewed"]),
                name="churn_one_active_review_per_account",
            ),
            models.CheckConstraint(
                condition=Q(revenue_before__isnull=True) | Q(revenue_before__gte=0),
                name="churn_revenue_before_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(revenue_after__isnull=True) | Q(revenue_after__gte=0),
                name="churn_revenue_after_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["account", "-noticed_on"], name="churn_account_recent")]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"

    @property
    def reference(self) -> str:
        return f"CR-{self.pk}" if self.pk else ""

    @property
    def is_closed(self) -> bool:
        return self.status == ReviewStatus.CLOSED

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def revenue_lost(self) -> Decimal | None:
        """The yearly revenue lost (all of it for a lost account, the drop for a shrinking one)."""
        if self.revenue_before is None:
            return None
        return self.revenue_before - (self.revenue_after or Decimal(0))

    @property
    def cause_areas(self) -> list[str]:
        return [area for area, name in CAUSE_FIELDS.items() if getattr(self, name)]

    def get_cause_areas_display(self) -> list[str]:
        return [str(CauseArea(area).label) for area in self.cause_areas]


class ChurnStatusChange(models.Model):
    """The log of a review's transitions (who moved it where, when, and why)."""

    review = models.ForeignKey(ChurnReview, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(
        _("from"), max_length=10, choices=ReviewStatus.choices, blank=True
    )
    new_status = models.CharField(_("to"), max_length=10, choices=ReviewStatus.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("churn review status change")
        verbose_name_plural = _("churn review status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.old_status or '-'} → {self.new_status}"


class ChurnFollowUp(VersionedModel):
    review = models.ForeignKey(
        ChurnReview, verbose_name=_("review"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    action = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="churn_follow_ups",
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("churn follow-up")
        verbose_name_plural = _("churn follow-ups")
        ordering = [models.F("due_on").asc(nulls_last=True), "id"]

    def __str__(self) -> str:
        return self.action

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return not self.is_done and self.due_on is not None and self.due_on < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()
