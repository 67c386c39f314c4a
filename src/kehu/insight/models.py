"""Perception reports (感知报告) with their subscriptions and deliveries, and account health.

A ``Report`` keeps the figures of one scope (the company, a department, an internal-service
supplier, a key account) over one period as language-neutral JSON; its HTML, PDF and XLSX are
renderings of those figures in the reader's language, so the archive is complete the moment
the row exists, whatever happens to the emails. Deliveries are claimed and retried like the
mail app's outbound mail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel


class Period(models.TextChoices):
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")


class ScopeKind(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    SUPPLIER = "supplier", _("Internal-service supplier")
    ACCOUNT = "account", _("Key account")


class Report(models.Model):
    kind = models.CharField(_("scope"), max_length=12, choices=ScopeKind.choices)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # "company", "department:3", "supplier:3", "account:7": one report per scope and period.
    scope_key = models.CharField(max_length=40)
    figures = models.JSONField(default=dict)
    generated_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("perception report")
        verbose_name_plural = _("perception reports")
        ordering = ["-period_start", "kind", "scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key", "period", "period_start"], name="one_report_per_scope_period"
            )
        ]
        indexes = [models.Index(fields=["period", "-period_start"], name="report_archive")]

    def __str__(self) -> str:
        return f"{self.scope_key} {self.period} {self.period_start}"

    @property
    def title(self) -> dict[str, str]:
        scope: dict[str, Any] = self.figures.get("scope", {})
        return {"zh": scope.get("name", ""), "en": scope.get("name_en", "")}


class ReportRun(models.Model):
    """One generation pass per period; its unique row makes several schedulers run it once."""

    period = models.CharField(max_length=8, choices=Period.choices)
    period_start = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reports = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "period_start"], name="one_report_run")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.period_start}"


class Subscription(VersionedModel):
    """A person's wish to receive one scope's weekly or monthly report, in a language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
    )
    scope_key = models.CharField(_("scope"), max_length=40)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["scope_key", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope_key", "period"], name="one_subscription_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.scope_key} {self.period}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_ADDRESS = "no_address", _("Not sent: no email address")


class ReportDelivery(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    state = models.CharField(
        _("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["report_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="one_delivery_per_reader")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="report_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id} → {self.user_id}"


def default_thresholds() -> list[int]:
    return [40, 60]


class HealthSettings(VersionedModel):
    """The one row of health-score settings: each factor's weight and the alert thresholds."""

    # Factors without a weight here count at their registered default (health.FACTORS).
    weights = models.JSONField(_("factor weights"), default=dict, blank=True)
    thresholds = models.JSONField(_("alert thresholds"), default=default_thresholds)

    class Meta:
        verbose_name = _("health score settings")
        verbose_name_plural = _("health score settings")

    def __str__(self) -> str:
        return "health settings"


class AccountHealth(models.Model):
    """An account's latest health score (0–100) with each factor's contribution."""

    account = models.OneToOneField(
        "customers.Account", on_delete=models.CASCADE, related_name="health", primary_key=True
    )
    score = models.PositiveSmallIntegerField(_("health score"))
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, blank=True)
    change = models.SmallIntegerField(_("change"), default=0)
    factors = models.JSONField(default=dict)
    computed_on = models.DateField(_("computed"))

    class Meta:
        verbose_name = _("account health")
        verbose_name_plural = _("account health")
        indexes = [
            models.Index(fields=["score"], name="health_by_score"),
            models.Index(fields=["change"], name="health_by_change"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.score}"


class HealthHistory(models.Model):
    """One score per account and day: the history chart."""

    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="health_history"
    )
    day = models.DateField()
    score = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["account_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="one_health_score_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.score}"


class HealthRun(models.Model):
    """The daily recomputation, once per day however many schedulers run."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.day)
