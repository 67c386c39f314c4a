"""The customer's organisation as we know it (SPEC §4): people, buying roles, relationship stage,
interactions and the account's relationship level. Personal data: see rules.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.models import VersionedModel


class Stage(models.TextChoices):
    ACQUAINTANCE = "acquaintance", pgettext_lazy("relationship stage", "Acquaintance")
    MEETING = "meeting", pgettext_lazy("relationship stage", "Meeting")
    TRUST = "trust", pgettext_lazy("relationship stage", "Trust")
    ALLIANCE = "alliance", pgettext_lazy("relationship stage", "Alliance")


STAGE_ORDER = {value: index for index, value in enumerate(Stage.values)}

# What "the personal profile" is: erased on the person's request, masked in the audit log.
PERSONAL_PROFILE_FIELDS = (
    "social_style",
    "notes",
    "need_personal_economic",
    "need_personal_business",
    "need_personal_social",
    "power",
    "risk_orientation",
    "interests",
)
NEED_FIELDS = (
    "need_company_economic",
    "need_company_business",
    "need_company_social",
    "need_personal_economic",
    "need_personal_business",
    "need_personal_social",
)


class SocialStyle(models.TextChoices):
    CONTROLLING = "controlling", _("Controlling")
    ANALYTICAL = "analytical", _("Analytical")
    ADVOCATING = "advocating", _("Advocating")
    AMIABLE = "amiable", _("Amiable")


STYLE_TIPS = {
    SocialStyle.CONTROLLING: _(
        "Be brief and to the point; bring options with results and let them decide."
    ),
    SocialStyle.ANALYTICAL: _(
        "Bring facts, data and a clear plan; give them time and do not push for a quick answer."
    ),
    SocialStyle.ADVOCATING: _(
        "Share the vision and the big picture; recognise their ideas and keep it lively."
    ),
    SocialStyle.AMIABLE: _(
        "Build trust personally first; be patient, sincere and show how others are supported."
    ),
}


class BuyingRoleKind(models.TextChoices):
    SELECTOR = "selector", _("Selector")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    PURCHASER = "purchaser", _("Purchaser")
    USER = "user", _("User")
    EVALUATOR = "evaluator", _("Evaluator")
    ACCEPTOR = "acceptor", _("Acceptor")


KEY_ROLES = (BuyingRoleKind.DECISION_MAKER, BuyingRoleKind.SELECTOR, BuyingRoleKind.EVALUATOR)


class Stance(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class RelationshipLevel(models.TextChoices):
    GENERAL = "general", _("General relationship")
    KEY = "key", _("Key relationship")
    ORGANISATIONAL = "organisational", _("Organisational relationship")


class Person(VersionedModel):
    """What we know of one of the customer's people (a customers.Contact) for the relationship."""

    contact = models.OneToOneField(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="relationship",
    )
    # Denormalised from the contact so that an account's map is one indexed query.
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="relationship_people",
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("customer department"), max_length=200, blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    stage = models.CharField(
        _("relationship stage"), max_length=20, choices=Stage.choices, default=Stage.ACQUAINTANCE
    )
    social_style = models.CharField(
        _("social style"), max_length=20, choices=SocialStyle.choices, blank=True
    )
    notes = models.TextField(_("personal notes"), blank=True)
    is_coach = models.BooleanField(_("coach"), default=False)
    coach_influence = models.TextField(_("evidence: wide influence and network"), blank=True)
    coach_informed = models.TextField(_("evidence: senior and well informed"), blank=True)
    coach_win_win = models.TextField(_("evidence: wants a win-win and shares our goal"), blank=True)
    # Needs in the seed's 2 × 3 grid: the company's and the person's own, each economic,
    # business and social; and the person's power, risk orientation and interests.
    need_company_economic = models.TextField(_("company needs: economic"), blank=True)
    need_company_business = models.TextField(_("company needs: business"), blank=True)
    need_company_social = models.TextField(_("company needs: social"), blank=True)
    need_personal_economic = models.TextField(_("personal needs: economic"), blank=True)
    need_personal_business = models.TextField(_("personal needs: business"), blank=True)
    need_personal_social = models.TextField(_("personal needs: social"), blank=True)
    power = models.TextField(_("power"), blank=True)
    risk_orientation = models.TextField(_("risk orientation"), blank=True)
    interests = models.TextField(_("interests"), blank=True)
    # Set when the personal profile was erased on the person's request (issue 14 point 10).
    profile_erased_at = models.DateTimeField(_("personal profile erased"), null=True, blank=True)
    profile_erased_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("erased by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("person in the relationship map")
        verbose_name_plural = _("people in the relationship map")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5),
                name="relations_person_influence_1_5",
            )
        ]

    def __str__(self) -> str:
        return self.contact.name

    @property
    def needs_grid(self) -> list[tuple[str, list[str]]]:
        """The 2 × 3 grid: (row label, [economic, business, social])."""
        return [
            (
                str(_("Company")),
                [self.need_company_economic, self.need_company_business, self.need_company_social],
            ),
            (
                str(_("Personal")),
                [
                    self.need_personal_economic,
                    self.need_personal_business,
                    self.need_personal_social,
                ],
            ),
        ]

    @property
    def coach_evidence_complete(self) -> bool:
        return all(
            s.strip() for s in (self.coach_influence, self.coach_informed, self.coach_win_win)
        )

    @property
    def coach_lapsed(self) -> bool:
        """A coach whose evidence for one of the three traits is missing: flagged, not kept."""
        return self.is_coach and not self.coach_evidence_complete

    @property
    def style_tip(self) -> str:
        return str(STYLE_TIPS.get(self.social_style, ""))  # type: ignore[call-overload]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.contact_id and self.account_id:
            contact_account = (
                type(self)
                .contact.field.related_model.objects.filter(  # type: ignore[attr-defined]
                    pk=self.contact_id
                )
                .values_list("account_id", flat=True)
                .first()
            )
            if contact_account is not None and contact_account != self.account_id:
                errors["contact"] = str(_("This contact belongs to another account."))
        if self.reports_to_id:
            errors.update(self._reports_to_errors())
        if errors:
            raise ValidationError(errors)

    def _reports_to_errors(self) -> dict[str, str]:
        # Walk up from the new manager over the account's people (one query); meeting this
        # person again means the change would close a loop.
        parents = dict(
            Person.objects.filter(account_id=self.account_id).values_list("pk", "reports_to_id")
        )
        if self.reports_to_id not in parents:
            return {"reports_to": str(_("The manager must be a person of the same account."))}
        seen: set[int] = set()
        current: int | None = self.reports_to_id
        while current is not None and current not in seen:
            if current == self.pk:
                return {
                    "reports_to": str(
                        _(
                            "This would make a reporting loop: the chosen manager already "
                            "reports (directly or not) to this person."
                        )
                    )
                }
            seen.add(current)
            current = parents.get(current)
        return {}


class StageChange(models.Model):
    """One dated change of a person's relationship stage, and what caused it."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    changed_on = models.DateField(_("date"))
    interaction = models.ForeignKey(
        "relations.Interaction",
        verbose_name=_("caused by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stage_changes",
    )
    recorded_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-changed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_stage} → {self.to_stage} ({self.changed_on})"

    @property
    def is_regression(self) -> bool:
        return bool(self.from_stage) and STAGE_ORDER[self.to_stage] < STAGE_ORDER[self.from_stage]

    def clean(self) -> None:
        if self.is_regression and not self.reason.strip():
            raise ValidationError(
                {"reason": _("Say why the relationship went back to an earlier stage.")}
            )


class BuyingRole(VersionedModel):
    """A buying role a person holds at the account (per opportunity once deals exist)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("buying role"), max_length=20, choices=BuyingRoleKind.choices)
    stance = models.CharField(
        _("stance"), max_length=20, choices=Stance.choices, default=Stance.NEUTRAL
    )
    cares_about = models.TextField(_("what the role cares about"), blank=True)
    covered_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("our person for this role"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("buying role")
        verbose_name_plural = _("buying roles")
        ordering = ["person_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="relations_one_role_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.get_role_display()}"


class AccountRelationship(VersionedModel):
    """The account's relationship level and the evidence for it."""

    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="relationship",
    )
    level = models.CharField(
        _("relationship level"),
        max_length=20,
        choices=RelationshipLevel.choices,
        default=RelationshipLevel.GENERAL,
    )
    evidence = models.TextField(_("evidence"), blank=True)
    need_economic = models.TextField(_("company needs: economic"), blank=True)
    need_business = models.TextField(_("company needs: business"), blank=True)
    need_social = models.TextField(_("company needs: social"), blank=True)

    class Meta:
        verbose_name = _("account relationship level")
        verbose_name_plural = _("account relationship levels")

    def clean(self) -> None:
        if self.level != RelationshipLevel.GENERAL and not self.evidence.strip():
            raise ValidationError(
                {"evidence": _("Say what shows a relationship above the general level.")}
            )


class InteractionKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EVENT = "event", _("Event")
    DINNER = "dinner", _("Dinner")


class Interaction(VersionedModel):
    """A meeting, call, visit, event or dinner with the customer's people."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="relationship_interactions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    occurred_on = models.DateField(_("date"))
    people = models.ManyToManyField(
        Person, verbose_name=_("their attendees"), related_name="interactions", blank=True
    )
    our_attendees = models.ManyToManyField(
        "org.Employee", verbose_name=_("our attendees"), related_name="+", blank=True
    )
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    spin_situation = models.TextField(_("situation questions"), blank=True)
    spin_problem = models.TextField(_("problem questions"), blank=True)
    spin_implication = models.TextField(_("implication questions"), blank=True)
    spin_need_payoff = models.TextField(_("need-payoff questions"), blank=True)
    recorded_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When the reminder of the due next step went out (the periodic task sends it once).
    next_step_reminded_at = models.DateTimeField(_("next step reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["account", "-occurred_on"], name="relations_interaction_recent"),
            models.Index(
                fields=["next_step_due"],
                condition=models.Q(next_step_reminded_at__isnull=True, next_step_due__isnull=False),
                name="relations_next_step_due",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if self.next_step_due and not self.next_step.strip():
            raise ValidationError({"next_step": _("Say what the next step is.")})
        if self.next_step_due and self.occurred_on and self.next_step_due < self.occurred_on:
            raise ValidationError(
                {"next_step_due": _("The next step cannot be due before the interaction.")}
            )


class TeamSeat(models.TextChoices):
    AR = "AR", _("Account manager (AR)")
    SR = "SR", _("Solution manager (SR)")
    FR = "FR", _("Fulfilment manager (FR)")
    MEMBER = "member", _("Team member")


# The account team's seats held in IronTriangle's fields, in the seed's order.
SEAT_FIELDS = {
    TeamSeat.AR: "account_manager",
    TeamSeat.SR: "solution_manager",
    TeamSeat.FR: "fulfilment_manager",
}


class IronTriangle(VersionedModel):
    """The account's "iron triangle" team (SPEC §4 point 8): one account manager (AR, the
    account's owner), one solution manager (SR), one fulfilment manager (FR) and members.
    A seat is empty only while its holder's successor is being found (after a handover)."""

    account = models.OneToOneField(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="iron_triangle",
    )
    account_manager = models.ForeignKey(
        "org.Employee",
        verbose_name=_("account manager (AR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="triangles_as_ar",
    )
    solution_manager = models.ForeignKey(
        "org.Employee",
        verbose_name=_("solution manager (SR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="triangles_as_sr",
    )
    fulfilment_manager = models.ForeignKey(
        "org.Employee",
        verbose_name=_("fulfilment manager (FR)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="triangles_as_fr",
    )
    members = models.ManyToManyField(
        "org.Employee",
        verbose_name=_("team members"),
        related_name="triangle_memberships",
        blank=True,
    )

    class Meta:
        verbose_name = _("iron triangle")
        verbose_name_plural = _("iron triangles")
        ordering = ["account_id"]

    def __str__(self) -> str:
        return str(_("Iron triangle of %(account)s") % {"account": self.account_id})

    @property
    def ar(self) -> Any:
        return self.account_manager

    @property
    def sr(self) -> Any:
        return self.solution_manager

    @property
    def fr(self) -> Any:
        return self.fulfilment_manager

    @property
    def vacant_seats(self) -> list[str]:
        return [seat for seat, name in SEAT_FIELDS.items() if getattr(self, f"{name}_id") is None]


class FireRequest(models.Model):
    """A "call for fire" 呼唤炮火 (SPEC §4 point 9): a triangle member asks a back-office
    department for support on the account. The work itself is an internal ticket in that
    department's queue (kehu.desk); this row links it to the account and the requester."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="fire_requests",
    )
    ticket = models.OneToOneField(
        "desk.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="fire_request",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department asked"),
        on_delete=models.PROTECT,
        related_name="fire_requests",
    )
    requested_by = models.ForeignKey(
        "org.Employee",
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="fire_requests",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)

    class Meta:
        verbose_name = _("call for fire")
        verbose_name_plural = _("calls for fire")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["department", "created_at"], name="relations_fire_by_dept")]

    def __str__(self) -> str:
        return str(_("Call for fire %(ref)s") % {"ref": self.ticket_id})


class GapKind(models.TextChoices):
    NO_COACH = "no_coach", _("No coach")
    COACH_LAPSED = "coach_lapsed", _("Coach evidence incomplete")
    DECIDER_UNKNOWN = "decider_unknown", _("Decision maker unknown")
    DECIDER_BELOW_TRUST = "decider_below_trust", _("Decision maker below trust")
    ACCEPTOR_UNKNOWN = "acceptor_unknown", _("Acceptor unknown")
    QUIET = "quiet", _("No interaction with a key person")
    NO_TRIANGLE = "no_triangle", _("No iron triangle")


class CoverageAlert(models.Model):
    """A coverage gap raised to the account manager (SPEC §4 point 7). Open while the gap lasts;
    the periodic check resolves it when the data no longer shows it, and raises each gap once."""

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="coverage_alerts",
    )
    kind = models.CharField(_("gap"), max_length=30, choices=GapKind.choices)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coverage_alerts",
    )
    raised_on = models.DateField(_("raised on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)

    class Meta:
        verbose_name = _("coverage alert")
        verbose_name_plural = _("coverage alerts")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "person"],
                condition=models.Q(resolved_on__isnull=True, person__isnull=False),
                name="relations_one_open_person_alert",
            ),
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=models.Q(resolved_on__isnull=True, person__isnull=True),
                name="relations_one_open_account_alert",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account"],
                condition=models.Q(resolved_on__isnull=True),
                name="relations_open_alerts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.kind}"


class CoverageRun(models.Model):
    """The daily coverage check's marker: every later pass of the day costs one query."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    raised = models.PositiveIntegerField(_("alerts raised"), default=0)
    resolved = models.PositiveIntegerField(_("alerts resolved"), default=0)
    reminders = models.PositiveIntegerField(_("next-step reminders"), default=0)

    class Meta:
        verbose_name = _("coverage check")
        verbose_name_plural = _("coverage checks")
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
