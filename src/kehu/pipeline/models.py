"""The pipeline (SPEC §5): leads, opportunities on configurable stages, their iron triangle,
buying roles, competitors and stage history. Money is Decimal with an ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel
from kehu.relations.models import BuyingRoleKind, Stance

CURRENCIES = frozenset(list_currencies())
DEFAULT_CURRENCY = "CNY"
MAX_AMOUNT = Decimal("99999999999999.99")  # 16 digits, 2 after the point


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code (e.g. CNY, USD, EUR)."),
            params={"value": value},
            code="currency",
        )


class Outcome(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(BilingualNameMixin, VersionedModel):
    """A step of the sales process; the won and lost stages close an opportunity."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.OPEN
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="pipeline_stage_probability_100"
            )
        ]

    def clean(self) -> None:
        if self.outcome == Outcome.WON and self.probability != 100:
            raise ValidationError({"probability": _("A won stage has a probability of 100 %.")})
        if self.outcome == Outcome.LOST and self.probability != 0:
            raise ValidationError({"probability": _("A lost stage has a probability of 0 %.")})

    @property
    def is_closed(self) -> bool:
        return self.outcome != Outcome.OPEN


class LeadSource(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event or exhibition")
    CALL = "call", _("Cold call")
    PARTNER = "partner", _("Partner")
    EXISTING = "existing", _("Existing customer")
    OTHER = "other", _("Other")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Lead(VersionedModel):
    """A possible deal (线索): a known account or a prospect not yet a customer."""

    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(_("source"), max_length=12, choices=LeadSource.choices)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    prospect_name = models.CharField(_("prospect name"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pipeline_leads",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    notes = models.TextField(_("notes"), blank=True)
    opportunity = models.OneToOneField(
        "pipeline.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_lead",
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def party(self) -> str:
        return self.account.display_name if self.account is not None else self.prospect_name

    def clean(self) -> None:
        if not self.account_id and not self.prospect_name.strip():
            raise ValidationError(
                {"prospect_name": _("Name the account, or the prospect if not yet a customer.")}
            )


class WinLossReason(models.TextChoices):
    PRICE = "price", _("Price")
    SOLUTION = "solution", _("Solution fit")
    RELATIONSHIP = "relationship", _("Relationship")
    SERVICE = "service", _("Service and delivery")
    TIMING = "timing", _("Timing")
    BUDGET = "budget", _("Budget")
    COMPETITOR = "competitor", _("Competitor")
    NO_DECISION = "no_decision", _("No decision")
    OTHER = "other", _("Other")


class Opportunity(VersionedModel):
    """A deal being pursued (机会点) with an account, on one stage of the pipeline."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    probability_override = models.PositiveSmallIntegerField(
        _("probability override (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    probability_reason = models.TextField(_("reason for the probability"), blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default=DEFAULT_CURRENCY, validators=[validate_currency]
    )
    expected_close = models.DateField(_("expected close"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The iron triangle (铁三角): account, solution and fulfilment managers.
    ar = models.ForeignKey(
        "org.Employee",
        verbose_name=_("account manager (AR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pipeline_ar",
    )
    sr = models.ForeignKey(
        "org.Employee",
        verbose_name=_("solution manager (SR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pipeline_sr",
    )
    fr = models.ForeignKey(
        "org.Employee",
        verbose_name=_("fulfilment manager (FR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pipeline_fr",
    )
    members = models.ManyToManyField(
        "org.Employee", verbose_name=_("team members"), blank=True, related_name="+"
    )
    win_loss_reason = models.CharField(
        _("win/loss reason"), max_length=16, choices=WinLossReason.choices, blank=True
    )
    win_loss_notes = models.TextField(_("win/loss notes"), blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close", "pk"]
        indexes = [
            models.Index(fields=["stage", "expected_close"], name="pipeline_opp_stage_close"),
            models.Index(fields=["account", "stage"], name="pipeline_opp_account"),
            # Covers the forecast's GROUP BY: the rows of a year are read from the index alone.
            models.Index(
                fields=[
                    "expected_close",
                    "stage",
                    "currency",
                    "amount",
                    "probability_override",
                    "ar",
                ],
                name="pipeline_opp_forecast",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="pipeline_opportunity_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(probability_override__isnull=True)
                | models.Q(probability_override__lte=100),
                name="pipeline_opportunity_probability_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def probability(self) -> int:
        if self.probability_override is not None:
            return self.probability_override
        return self.stage.probability

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))

    def clean(self) -> None:
        if self.currency:
            self.currency = self.currency.upper()
        if self.probability_override is not None and not self.probability_reason.strip():
            raise ValidationError(
                {"probability_reason": _("Say why this opportunity's probability differs.")}
            )


class StageMove(models.Model):
    """An opportunity entering a stage (from none when created): conversion rates and cycle
    times are computed from these rows."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="moves"
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(_("when"))
    # Set when the opportunity leaves the stage again, with the time spent in it; and whether it
    # later reached a further stage (lost aside): the conversion figures read these directly.
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    seconds_in_stage = models.PositiveIntegerField(_("seconds in the stage"), null=True, blank=True)
    went_further = models.BooleanField(_("went further"), default=False)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")
        ordering = ["moved_at", "pk"]
        indexes = [models.Index(fields=["to_stage", "opportunity"], name="pipeline_move_to")]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class OpportunityRole(VersionedModel):
    """A buying role someone of the account holds on this opportunity, and their stance."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="buying_roles",
    )
    person = models.ForeignKey(
        "relations.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("buying role"), max_length=20, choices=BuyingRoleKind.choices)
    stance = models.CharField(
        _("stance"), max_length=20, choices=Stance.choices, default=Stance.NEUTRAL
    )

    class Meta:
        verbose_name = _("buying role on an opportunity")
        verbose_name_plural = _("buying roles on opportunities")
        ordering = ["opportunity_id", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "person", "role"], name="pipeline_one_role_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.get_role_display()}"


class Threat(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Competitor(VersionedModel):
    """A competitor in this opportunity."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="competitors",
    )
    name = models.CharField(_("competitor"), max_length=200)
    threat = models.CharField(
        _("threat"), max_length=8, choices=Threat.choices, default=Threat.MEDIUM
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["opportunity_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "name"], name="pipeline_one_competitor_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
