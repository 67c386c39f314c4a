"""What each account uses of each product, day by day, and the swings worth an alert."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel


class Product(BilingualNameMixin, VersionedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    unit = models.CharField(_("unit of usage"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]


class UsageRecord(models.Model):
    """One account's use of one product on one day (imported; a re-import replaces the day)."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="usage_records",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="usage_records"
    )
    day = models.DateField(_("day"))
    quantity = models.DecimalField(
        _("usage"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)]
    )
    spend = models.DecimalField(
        _("spend with us"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # The customer's whole spend on this kind of product (ours and competitors'), when known:
    # our share of wallet is spend / total_spend.
    total_spend = models.DecimalField(
        _("customer's total spend"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["account_id", "product_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "product", "day"], name="usage_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="usage_quantity_not_negative"
            ),
        ]
        indexes = [
            # Swing detection reads a few days of every series (grouped by account and
            # product): with the measures in the index those queries never touch the table.
            models.Index(
                fields=["day", "account", "product", "quantity", "spend"], name="usage_by_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.product_id} {self.day}: {self.quantity}"


class SwingRule(VersionedModel):
    """When a move in usage or spend is worth telling the owner and after-sales."""

    class Metric(models.TextChoices):
        QUANTITY = "quantity", _("Usage")
        SPEND = "spend", _("Spend")

    class Baseline(models.TextChoices):
        WEEK_OVER_WEEK = "week_over_week", _("Last 7 days against the 7 before")
        SAME_WEEKDAY = "same_weekday", _("Day against the average of the same weekday")

    name = models.CharField(_("name"), max_length=100)
    metric = models.CharField(
        _("measure"), max_length=10, choices=Metric.choices, default=Metric.QUANTITY
    )
    baseline = models.CharField(
        _("compared with"), max_length=20, choices=Baseline.choices, default=Baseline.WEEK_OVER_WEEK
    )
    # For the same-weekday baseline: how many previous weeks are averaged.
    baseline_weeks = models.PositiveSmallIntegerField(
        _("weeks in the baseline"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("threshold (%)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Leave empty for every product."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("swing rule")
        verbose_name_plural = _("swing rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SwingAlert(VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="swing_alerts",
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE)
    rule = models.ForeignKey(SwingRule, verbose_name=_("rule"), on_delete=models.CASCADE)
    day = models.DateField(_("day"))
    baseline_value = models.DecimalField(_("baseline"), max_digits=20, decimal_places=4)
    current_value = models.DecimalField(_("current"), max_digits=20, decimal_places=4)
    # None when the baseline was zero (usage started from nothing).
    change_percent = models.DecimalField(
        _("change (%)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.OPEN
    )
    acknowledged_by = models.ForeignKey(
        "access.User",
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("swing alert")
        verbose_name_plural = _("swing alerts")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "product", "rule", "day"], name="swing_alert_once_per_day"
            )
        ]


class DetectionRun(models.Model):
    """Swing detection for one day: the daily task's marker (one cheap query when done)."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    alerts = models.PositiveIntegerField(_("new alerts"), default=0)

    class Meta:
        verbose_name = _("swing detection run")
        verbose_name_plural = _("swing detection runs")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.alerts}"
