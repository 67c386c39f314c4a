"""External customers: accounts (companies or individuals) and their contacts.

The service desk needs who is asking and on whose behalf; the customer dossier extends these.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel


class AccountLevel(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key")
    STANDARD = "standard", _("Standard")


class Segment(models.TextChoices):
    """SPEC §3: who the customer is to us, computed by rules and overridable with a reason."""

    LOYAL = "loyal", _("Loyal")
    FLOATING = "floating", _("Floating")
    POTENTIAL = "potential", _("Potential")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Account(BilingualNameMixin, VersionedModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMPANY)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("account owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
    )
    level = models.CharField(
        _("account level"),
        max_length=16,
        choices=AccountLevel.choices,
        default=AccountLevel.STANDARD,
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    credit_limit = models.DecimalField(
        _("credit / overdraft limit"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    credit_currency = models.CharField(_("currency"), max_length=3, default="CNY")
    customer_since = models.DateField(_("customer since"), null=True, blank=True)
    website = models.CharField(_("website or mail domain"), max_length=200, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    # Values of the CustomField definitions, keyed by their code (validated by the services).
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Normalised name (case, width, company suffixes and punctuation removed) for duplicates.
    name_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    # The same for the English name: "ACME Co., Ltd." is found when "Acme" is typed anywhere.
    name_en_key = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    segment = models.CharField(
        _("segment"), max_length=12, choices=Segment.choices, blank=True, db_index=True
    )
    # A person's decision beats the rules until it is withdrawn.
    segment_override_reason = models.CharField(
        _("reason for the segment override"), max_length=500, blank=True
    )
    segment_changed_at = models.DateTimeField(_("segment changed"), null=True, blank=True)
    # Volume the customer also buys from competitors (from the dossier): a floating customer.
    uses_competitors = models.BooleanField(_("also buys from competitors"), default=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name_pinyin", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="account_credit_limit_not_negative"
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        from kehu.customers.normalise import company_name_key

        self.name_key = company_name_key(self.name)
        self.name_en_key = company_name_key(self.name_en)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "name_en"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key", "name_en_key"}
        super().save(*args, **kwargs)


class CustomField(VersionedModel):
    """An organisation-defined field of accounts (SPEC §3 base facts beyond the built-in ones)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        CHECKBOX = "checkbox", _("Yes / no")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("account custom field")
        verbose_name_plural = _("account custom fields")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class AccountTeamMember(models.Model):
    """Someone who serves the account besides its owner; they see its dossier."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="team"
    )
    employee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="account_teams",
    )
    role = models.CharField(_("role in the team"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        constraints = [
            models.UniqueConstraint(fields=["account", "employee"], name="one_team_seat_each")
        ]

    def __str__(self) -> str:
        return f"{self.employee} @ {self.account}"


class Ownership(models.Model):
    """Who held the account when; the open row (ended_at empty) is the current owner."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="ownerships"
    )
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="account_ownerships",
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["account_id", "-started_at"]
        indexes = [models.Index(fields=["owner", "started_at"])]

    def __str__(self) -> str:
        return f"{self.owner} → {self.account}"


class SegmentChange(models.Model):
    """History of an account's segment: computed by a rule or set by a person with a reason."""

    class Source(models.TextChoices):
        RULE = "rule", _("Rule")
        OVERRIDE = "override", _("Override")
        OVERRIDE_WITHDRAWN = "withdrawn", _("Override withdrawn")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="segment_changes",
    )
    old_segment = models.CharField(_("from"), max_length=12, choices=Segment.choices, blank=True)
    new_segment = models.CharField(_("to"), max_length=12, choices=Segment.choices, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    rule_name = models.CharField(_("rule"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")
        ordering = ["account_id", "-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account}: {self.old_segment or '-'} → {self.new_segment or '-'}"


class TimelineEntry(models.Model):
    """One dated line of an account's timeline, written by the app that owns the fact.

    Kept as rows (rather than merged from every app at read time) so an account page shows
    the newest entries of a long history with one indexed query, filterable by kind.
    """

    class Kind(models.TextChoices):
        DOSSIER = "dossier", _("Dossier entry")
        TICKET = "ticket", _("Ticket")
        COMPLAINT = "complaint", _("Complaint")
        USAGE_ALERT = "usage_alert", _("Usage alert")
        SEGMENT = "segment", _("Segment change")
        VISIT = "visit", pgettext_lazy("to a customer", "Visit")
        OWNER = "owner", _("Owner change")
        CHURN = "churn", _("Churn review")
        INCIDENT = "incident", _("Major incident")
        CONTRACT = "contract", _("Contract")
        RELATIONSHIP = "relationship", _("Relationship change")
        MERGE = "merge", _("Accounts merged")
        OPPORTUNITY = "opportunity", _("Opportunity")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    title = models.CharField(_("title"), max_length=300)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # Lines worded by Kehu itself ("Owner is now …") are stored in both languages, so each
    # reader sees their own; lines quoting people (a ticket's subject) have one wording.
    title_en = models.CharField(max_length=300, blank=True)
    summary_en = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the entry is about ("desk.ticket:42"), so it is updated, not duplicated, on change.
    source = models.CharField(max_length=80)
    url = models.CharField(max_length=300, blank=True)
    # Entries only some staff may see (dossier, churn) are hidden from the rest.
    restricted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-occurred_at", "-id"], name="timeline_page"),
            models.Index(fields=["account", "kind", "-occurred_at"], name="timeline_kind"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind"], name="timeline_one_per_source")
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        if self.title_en and not (get_language() or "en").startswith("zh"):
            return self.title_en
        return self.title

    @property
    def display_summary(self) -> str:
        if self.summary_en and not (get_language() or "en").startswith("zh"):
            return self.summary_en
        return self.summary


class Contact(VersionedModel):
    """A person at an account; with a user account they may use the customer portal."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        PORTAL = "portal", _("Portal")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("role at the customer"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Digits in E.164 form ("+8613800000000") for duplicate detection; derived on save.
    phone_key = models.CharField(max_length=40, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account_id", "name"]
        # Email lookups are case-insensitive (iexact compares UPPER() on PostgreSQL).
        indexes = [models.Index(Upper("email"), name="contact_email_ci")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        from kehu.customers.normalise import phone_key

        self.phone_key = phone_key(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_key"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"
