"""Contracts (SPEC §5): the contract with its five element groups, its lifecycle, versions,
change orders, the clause library and templates, approval workflows with a hash-chained trail,
and risk rules with their findings.

Money is ``Decimal`` with a currency everywhere. Totals are computed from the lines
(``pricing.py``) and only cached on the contract by the services, never typed by anyone.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel

ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONEY = {"max_digits": 18, "decimal_places": 2}
PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
}


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    JPY = "JPY", _("Japanese yen (JPY)")
    GBP = "GBP", _("Pound sterling (GBP)")


class VatRate(models.TextChoices):
    """Chinese VAT rates: 13 % goods, 9 % transport/construction, 6 % services; 0 exempt."""

    STANDARD = "13.00", _("13 % (goods)")
    REDUCED = "9.00", _("9 % (transport, construction)")
    SERVICES = "6.00", _("6 % (services)")
    EXEMPT = "0.00", _("0 % (exempt)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    APPROVED = "approved", _("Approved")
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    DELIVERING = "delivering", _("Delivering")
    INITIALLY_ACCEPTED = "initially_accepted", _("Initially accepted")
    FINALLY_ACCEPTED = "finally_accepted", _("Finally accepted")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")
    CANCELLED = "cancelled", _("Cancelled")


class Kind(models.TextChoices):
    FORMAT = "format", _("Format contract (from a template)")
    NON_FORMAT = "non_format", _("Non-format contract (uploaded document)")


class PaymentModel(models.TextChoices):
    LUMP_SUM = "lump_sum", _("Lump sum")
    MILESTONES = "milestones", _("By milestones")
    SUBSCRIPTION = "subscription", _("Subscription")
    USAGE = "usage", _("By usage")


class GuaranteeKind(models.TextChoices):
    NONE = "none", _("None")
    PERFORMANCE_BOND = "performance_bond", _("Performance bond")
    BANK_GUARANTEE = "bank_guarantee", _("Bank guarantee")
    RETENTION = "retention", _("Warranty retention")


class ContractType(BilingualNameMixin, VersionedModel):
    """A kind of contract (sales, service, framework …): its templates and approval policy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contract type")
        verbose_name_plural = _("contract types")
        ordering = ["code"]


class Contract(VersionedModel):
    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    contract_type = models.ForeignKey(
        ContractType, verbose_name=_("contract type"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FORMAT)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_contracts",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    template = models.ForeignKey(
        "contracts.ContractTemplate",
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    # The won opportunity this contract was drafted from (one draft per deal).
    opportunity = models.OneToOneField(
        "pipeline.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contract",
    )
    # The uploaded text of a non-format contract (and its words, for search and risk checks).
    document = models.FileField(_("document"), upload_to="contracts/%Y/%m/", blank=True)
    document_text = models.TextField(_("document text"), blank=True)

    # 2 · pricing 定价
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    exchange_rate = models.DecimalField(
        _("exchange rate to CNY"),
        max_digits=14,
        decimal_places=6,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    rebate_percent = models.DecimalField(_("rebate %"), default=ZERO, **PERCENT)  # type: ignore[arg-type]
    payment_model = models.CharField(
        _("payment model"),
        max_length=16,
        choices=PaymentModel.choices,
        default=PaymentModel.MILESTONES,
    )
    payment_days = models.PositiveIntegerField(
        _("payment term (days)"), default=30, validators=[MaxValueValidator(3650)]
    )

    # 3 · delivery and acceptance 交付与验收
    delivery_place = models.CharField(_("delivery place"), max_length=300, blank=True)
    delivery_due = models.DateField(_("delivery deadline"), null=True, blank=True)
    delivery_method = models.CharField(_("delivery method"), max_length=300, blank=True)
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    acceptance_criteria = models.TextField(_("acceptance criteria"), blank=True)
    initial_acceptance_due = models.DateField(_("initial acceptance due"), null=True, blank=True)
    final_acceptance_due = models.DateField(_("final acceptance due"), null=True, blank=True)

    # 4 · accounts 账务 (payment milestones are rows: PaymentMilestone)
    advance_percent = models.DecimalField(_("advance payment %"), default=ZERO, **PERCENT)  # type: ignore[arg-type]
    guarantee_kind = models.CharField(
        _("guarantee"), max_length=20, choices=GuaranteeKind.choices, default=GuaranteeKind.NONE
    )
    guarantee_percent = models.DecimalField(_("guarantee %"), default=ZERO, **PERCENT)  # type: ignore[arg-type]

    # 5 · legal 商业法务
    our_party = models.CharField(_("our party"), max_length=200, blank=True)
    risk_transfer = models.TextField(_("risk transfer"), blank=True)
    liability_cap_percent = models.DecimalField(
        _("liability cap (% of the contract value)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("1000"))],
    )
    liability_terms = models.TextField(_("liability"), blank=True)
    force_majeure = models.TextField(_("force majeure"), blank=True)
    dispute_terms = models.TextField(_("dispute resolution"), blank=True)
    change_terms = models.TextField(_("change terms (and who bears change costs)"), blank=True)
    effective_on = models.DateField(_("effective date"), null=True, blank=True)
    terminates_on = models.DateField(_("termination date"), null=True, blank=True)
    special_terms = models.TextField(_("special terms"), blank=True)

    # Computed by the services from the lines (pricing.totals); never typed.
    net_total = models.DecimalField(_("net total"), default=ZERO, editable=False, **MONEY)  # type: ignore[arg-type]
    tax_total = models.DecimalField(_("tax"), default=ZERO, editable=False, **MONEY)  # type: ignore[arg-type]
    gross_total = models.DecimalField(_("total"), default=ZERO, editable=False, **MONEY)  # type: ignore[arg-type]
    total_cny = models.DecimalField(_("total (CNY)"), default=ZERO, editable=False, **MONEY)  # type: ignore[arg-type]
    max_discount_percent = models.DecimalField(
        _("largest discount %"), default=ZERO, editable=False, max_digits=5, decimal_places=2
    )

    revision = models.PositiveIntegerField(_("contract version"), default=0, editable=False)
    # The head of this contract's approval-decision hash chain (approvals.chain): a row edited,
    # inserted or deleted behind the application's back no longer leads to it.
    chain_head = models.CharField(max_length=64, blank=True, editable=False)
    chain_length = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_changed_at = models.DateTimeField(_("status since"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "status"], name="contract_account_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        if self.currency == Currency.CNY and self.exchange_rate != Decimal("1"):
            raise ValidationError({"exchange_rate": _("A CNY contract has the rate 1.")})
        if self.effective_on and self.terminates_on and self.terminates_on < self.effective_on:
            raise ValidationError(
                {"terminates_on": _("The termination date is before the effective date.")}
            )


class LineKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    GIFT = "gift", _("Gift (free of charge)")


class ContractLine(models.Model):
    """1 · subject matter 标的物 with its price: what is sold, how much, at which terms."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    name = models.CharField(_("product or service"), max_length=200)
    configuration = models.CharField(_("configuration"), max_length=500, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit = models.CharField(_("unit"), max_length=20)
    standard = models.CharField(_("standard"), max_length=200, blank=True)
    commitments = models.TextField(_("function and performance commitments"), blank=True)
    unit_price = models.DecimalField(_("unit price"), validators=[MinValueValidator(ZERO)], **MONEY)  # type: ignore[arg-type]
    discount_percent = models.DecimalField(_("discount %"), default=ZERO, **PERCENT)  # type: ignore[arg-type]
    tax_rate = models.DecimalField(
        _("VAT %"),
        max_digits=5,
        decimal_places=2,
        choices=[(Decimal(v), label) for v, label in VatRate.choices],
        default=Decimal("13.00"),
    )

    class Meta:
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        ordering = ["contract", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class MilestoneTrigger(models.TextChoices):
    SIGNING = "signing", _("On signing")
    DELIVERY = "delivery", _("On delivery")
    INITIAL_ACCEPTANCE = "initial_acceptance", _("On initial acceptance")
    FINAL_ACCEPTANCE = "final_acceptance", _("On final acceptance")
    DATE = "date", _("On a date")


class PaymentMilestone(models.Model):
    """4 · accounts: one instalment of the price. Invoices and payments attach here later."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="milestones"
    )
    position = models.PositiveIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=20, choices=MilestoneTrigger.choices)
    percent = models.DecimalField(
        _("share %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
    )
    due_on = models.DateField(_("due"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        ordering = ["contract", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name} ({self.percent} %)"


class StatusChange(models.Model):
    """One validated step of the lifecycle (also a line on the account's timeline)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("when"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["contract", "at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class ContractVersion(models.Model):
    """A numbered snapshot of a contract's elements (at approval and at each change order)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    elements = models.JSONField(_("elements"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    change_order = models.ForeignKey(
        "contracts.ChangeOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contract_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for rework")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeOrder(VersionedModel):
    """合同变更: proposed elements, the reason, cost and schedule impact (computed from the diff)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="changes"
    )
    number = models.PositiveIntegerField(_("number"))
    reason = models.TextField(_("reason"))
    proposed = models.JSONField(_("proposed elements"))
    base_revision = models.PositiveIntegerField(_("based on version"))
    cost_impact = models.DecimalField(_("cost impact"), editable=False, **MONEY)  # type: ignore[arg-type]
    schedule_impact_days = models.IntegerField(_("schedule impact (days)"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("change order")
        verbose_name_plural = _("change orders")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="change_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contract.number}-C{self.number}"


# --- clause library and templates ------------------------------------------------------------


class Clause(models.Model):
    """A standard clause in Chinese and English. Edits make a new version; old ones stay."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    contract_type = models.ForeignKey(
        ContractType,
        verbose_name=_("contract type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: a clause for every type."),
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="clause_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class ContractTemplate(VersionedModel):
    """The body of a format contract per type and language, with {{ placeholders }}."""

    contract_type = models.ForeignKey(
        ContractType,
        verbose_name=_("contract type"),
        on_delete=models.PROTECT,
        related_name="templates",
    )
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=10, choices=[("zh-hans", "中文"), ("en", "English")]
    )
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["contract_type", "language", "name"]

    def __str__(self) -> str:
        return self.name


# --- approvals -------------------------------------------------------------------------------


class StepMode(models.TextChoices):
    ALL = "all", _("All must approve")
    ANY = "any", _("Any one approves")


class ApproverKind(models.TextChoices):
    ROLE = "role", _("By role")
    PERSON = "person", _("A person")
    KEY_ROLE = "key_role", _("A key role of the organisation")
    DEPARTMENT_LEAD = "department_lead", _("The contract department's lead")


class RiskSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


SEVERITY_RANK = {"": 0, RiskSeverity.LOW: 1, RiskSeverity.MEDIUM: 2, RiskSeverity.HIGH: 3}


class ApprovalPolicy(VersionedModel):
    """Which approval steps a contract type needs (a policy without a type is the default)."""

    name = models.CharField(_("name"), max_length=200)
    contract_type = models.OneToOneField(
        ContractType,
        verbose_name=_("contract type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="approval_policy",
    )

    class Meta:
        verbose_name = _("approval policy")
        verbose_name_plural = _("approval policies")
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(contract_type__isnull=True),
                name="one_default_policy_per_name",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PolicyStep(models.Model):
    """A step of a policy. Steps of one position run in parallel; positions run in sequence.
    A step applies only when the contract reaches its thresholds (all of those set)."""

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=200)
    mode = models.CharField(_("mode"), max_length=4, choices=StepMode.choices, default="all")
    approver_kind = models.CharField(_("approver"), max_length=16, choices=ApproverKind.choices)
    role = models.CharField(_("role"), max_length=32, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key_role = models.ForeignKey(
        "org.KeyRole", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    min_amount_cny = models.DecimalField(_("from amount (CNY)"), null=True, blank=True, **MONEY)  # type: ignore[arg-type]
    min_discount_percent = models.DecimalField(
        _("from discount %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    min_risk = models.CharField(
        _("from risk"), max_length=8, choices=RiskSeverity.choices, blank=True
    )

    class Meta:
        verbose_name = _("policy step")
        verbose_name_plural = _("policy steps")
        ordering = ["policy", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for rework")


class ApprovalRun(models.Model):
    """One round of approval of a contract or of one of its change orders."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="approval_runs")
    change_order = models.ForeignKey(
        ChangeOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    amount_cny = models.DecimalField(_("amount (CNY)"), **MONEY)  # type: ignore[arg-type]
    risk = models.CharField(_("risk"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("approval round")
        verbose_name_plural = _("approval rounds")
        ordering = ["contract", "-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.status}"


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned")
    SKIPPED = "skipped", _("Not needed")


class ApprovalStep(models.Model):
    run = models.ForeignKey(ApprovalRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=200)
    mode = models.CharField(_("mode"), max_length=4, choices=StepMode.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    added_by_risk = models.CharField(_("added by risk rule"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["run", "position", "id"]
        indexes = [models.Index(fields=["status"], name="approval_step_status")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class ApprovalAssignee(models.Model):
    """Who may decide a step; ``stands_in_for`` names the away approver a backup replaces."""

    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="assignees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_assignments"
    )
    stands_in_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "user"], name="approval_assignee_unique")
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for rework")


class ApprovalDecision(models.Model):
    """One decision, chained to the contract's previous decision by SHA-256 (``chain.py``)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="decisions")
    step = models.ForeignKey(ApprovalStep, on_delete=models.PROTECT, related_name="decisions")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided"))
    sequence = models.PositiveIntegerField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["contract", "sequence"]
        constraints = [
            # Approving twice is refused by the service; this makes it impossible.
            models.UniqueConstraint(fields=["step", "approver"], name="one_decision_per_approver"),
            models.UniqueConstraint(fields=["contract", "sequence"], name="decision_sequence"),
        ]

    # --- risk checks -----------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"#{self.sequence} {self.decision}"


class RiskRuleKind(models.TextChoices):
    MISSING = "missing", _("A missing element")
    CLAUSE = "clause", _("A risky clause in the text")
    PAYMENT_DAYS = "payment_days", _("Payment term beyond a number of days")


class RiskRule(VersionedModel):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RiskRuleKind.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    # missing: the element checked (see risk.MISSING_CHECKS); clause: a regular expression
    # matched in Chinese and English text; payment_days: the largest acceptable number of days.
    parameter = models.CharField(_("parameter"), max_length=500)
    severity = models.CharField(_("severity"), max_length=8, choices=RiskSeverity.choices)
    adds_approver_role = models.CharField(
        _("adds an approval step for role"), max_length=32, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class RiskFinding(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="findings")
    rule = models.ForeignKey(RiskRule, on_delete=models.CASCADE, related_name="+")
    severity = models.CharField(_("severity"), max_length=8, choices=RiskSeverity.choices)
    quote = models.CharField(_("quoted clause"), max_length=500, blank=True)
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        verbose_name = _("risk finding")
        verbose_name_plural = _("risk findings")
        ordering = ["contract", "id"]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.severity}"


class ContractSearchDocument(models.Model):
    """The contract's words as search tokens (desk.search's tokeniser), space-delimited."""

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    tokens = models.TextField()

    def __str__(self) -> str:
        return str(self.contract_id)
