"""Segment rules (SPEC §3): which facts put an account among the loyal, floating or potential
customers, and the record of the daily recomputation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel
from kehu.customers.models import Segment


class SegmentRule(VersionedModel):
    """One rule: the first active rule (by position) whose conditions all hold decides.

    Every condition is optional (empty: not checked). A condition on a fact that is unknown for
    an account (no customer-since date, no known total spend) does not hold.
    """

    class Competitors(models.TextChoices):
        ANY = "any", _("Either")
        YES = "yes", _("Also buys from competitors")
        NO = "no", _("Buys only from us")

    name = models.CharField(_("name"), max_length=200)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices)
    position = models.PositiveSmallIntegerField(
        _("position"),
        default=100,
        help_text=_("Rules are tried in this order; the first match wins."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    min_tenure_months = models.PositiveIntegerField(
        _("customer for at least (months)"), null=True, blank=True
    )
    max_tenure_months = models.PositiveIntegerField(
        _("customer for at most (months)"), null=True, blank=True
    )
    min_share_of_wallet_percent = models.PositiveSmallIntegerField(
        _("share of wallet at least (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    max_share_of_wallet_percent = models.PositiveSmallIntegerField(
        _("share of wallet below (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Our spend divided by the customer's total spend over the last 365 days."),
    )
    uses_competitors = models.CharField(
        _("competitor use"), max_length=4, choices=Competitors.choices, default=Competitors.ANY
    )
    min_active_days_90 = models.PositiveSmallIntegerField(
        _("active on at least (of the last 90 days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(90)],
    )
    min_spend_365 = models.DecimalField(
        _("spend with us in the last 365 days at least"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    max_spend_365 = models.DecimalField(
        _("spend with us in the last 365 days at most"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("0 means: no purchases in the last 365 days."),
    )

    class Meta:
        verbose_name = _("segment rule")
        verbose_name_plural = _("segment rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        pairs = (
            ("min_tenure_months", "max_tenure_months"),
            ("min_share_of_wallet_percent", "max_share_of_wallet_percent"),
            ("min_spend_365", "max_spend_365"),
        )
        for low, high in pairs:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                errors[high] = str(_("The upper limit is below the lower limit."))
        if errors:
            raise ValidationError(errors)


class SegmentRun(models.Model):
    """One recomputation per day: the row is the claim that makes the daily task run once."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)

    class Meta:
        verbose_name = _("segment recomputation")
        verbose_name_plural = _("segment recomputations")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
