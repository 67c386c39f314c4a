"""Business calendars, the priority matrix and SLA policies: the rules ticket clocks run on."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.access.models import validate_time_zone
from kehu.core.models import BilingualNameMixin, VersionedModel
from kehu.customers.models import AccountLevel
from kehu.desk.priority import DEFAULT_MATRIX, Priority, TicketType


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(BilingualNameMixin, VersionedModel):
    """Working hours per weekday in a time zone, with holidays and make-up working days."""

    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    description = models.TextField(_("description"), blank=True)
    # The whole schedule as text, kept by the services: its history shows each change of hours,
    # holidays and make-up days as one before → after on the calendar itself.
    schedule = models.TextField(_("schedule"), blank=True, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name_pinyin"]
        constraints = [models.UniqueConstraint(fields=["name"], name="unique_calendar_name")]


class WorkingInterval(models.Model):
    """Working time on a weekday; an end not after the start runs overnight (00:00–00:00 = all day)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        verbose_name = _("working interval")
        verbose_name_plural = _("working intervals")
        ordering = ["weekday", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="unique_interval_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A date that differs from the weekly pattern: a holiday, or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKING = "working", _("Make-up working day")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    works_as = models.PositiveSmallIntegerField(
        _("works the hours of"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        validators=[MaxValueValidator(6)],
        help_text=_("For a make-up working day: whose weekday's hours apply."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="unique_calendar_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


def _default_matrix() -> dict[str, str]:
    return dict(DEFAULT_MATRIX)


class PriorityMatrix(VersionedModel):
    """The organisation's impact × severity → priority matrix (one row; see ``priority.py``)."""

    cells = models.JSONField(_("cells"), default=_default_matrix)

    class Meta:
        verbose_name = _("priority matrix")
        verbose_name_plural = _("priority matrices")

    def __str__(self) -> str:
        return str(_("Priority matrix"))


class SlaPolicy(BilingualNameMixin, VersionedModel):
    """Response and resolution targets per priority; the first active matching policy wins.

    A policy may be narrowed to ticket types, supplier departments and internal services; an
    empty condition matches everything.
    """

    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Lower positions are tried first.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("business calendar"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    ticket_types = models.JSONField(_("ticket types"), default=list, blank=True)
    departments = models.ManyToManyField(
        "org.Department", verbose_name=_("supplier departments"), blank=True, related_name="+"
    )
    services = models.ManyToManyField(
        "org.Service", verbose_name=_("internal services"), blank=True, related_name="+"
    )
    categories = models.ManyToManyField(
        "desk.Category", verbose_name=_("categories"), blank=True, related_name="+"
    )
    account_levels = models.JSONField(_("customer levels"), default=list, blank=True)
    warning_fraction = models.DecimalField(
        _("early warning at"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.99"))],
        help_text=_("Fraction of each target after which the early warning goes out."),
    )
    # The targets as text, kept by the services, so one audit entry shows each change of them.
    target_summary = models.TextField(_("targets"), blank=True, editable=False)
    # The one row (made by ``clocks.catalogue_policy``) that stands for "the service catalogue's
    # own promise": an internal request no policy matches is timed by its service's response
    # and resolution minutes under it. Never listed, never matched like the others.
    is_catalogue_fallback = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_catalogue_fallback"],
                condition=models.Q(is_catalogue_fallback=True),
                name="one_catalogue_fallback_policy",
            )
        ]

    def clean(self) -> None:
        unknown = [t for t in self.ticket_types or [] if t not in TicketType.values]
        if not isinstance(self.ticket_types, list) or unknown:
            raise ValidationError(
                {
                    "ticket_types": _("Unknown ticket types: %(list)s")
                    % {"list": ", ".join(map(str, unknown))}
                }
            )
        unknown = [v for v in self.account_levels or [] if v not in AccountLevel.values]
        if not isinstance(self.account_levels, list) or unknown:
            raise ValidationError(
                {
                    "account_levels": _("Unknown customer levels: %(list)s")
                    % {"list": ", ".join(map(str, unknown))}
                }
            )


class SlaTarget(models.Model):
    """One priority's targets in business minutes; next response is optional."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), validators=[MinValueValidator(1)]
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (business minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (business minutes)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="one_target_per_priority"),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="sla_resolution_not_before_response",
                violation_error_message=_("Resolution cannot be due before the first response."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.first_response_minutes}/{self.resolution_minutes}"


class EscalationStep(models.Model):
    """One level of a policy's breach escalation: who is told, how long after the breach.

    Level 1 usually goes to the assignee at the breach itself, later levels climb to the team
    lead, the department head and an emergency group. Each level fires once per ticket target.
    """

    class Recipient(models.TextChoices):
        ASSIGNEE = "assignee", _("Assignee")
        TEAM_LEAD = "team_lead", _("Assignee's team lead")
        DEPARTMENT_HEAD = "department_head", _("Head of the handling department")
        KEY_ROLE = "key_role", _("Holder of a key role")
        GROUP = "group", _("Named people (emergency group)")

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="escalation_steps")
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1)])
    after_minutes = models.PositiveIntegerField(_("business minutes after the breach"), default=0)
    recipient = models.CharField(_("notify"), max_length=16, choices=Recipient.choices)
    key_role = models.ForeignKey(
        "org.KeyRole",
        verbose_name=_("key role"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    people = models.ManyToManyField(
        "org.Employee", verbose_name=_("people"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy_id", "level"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="one_step_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.level}: {self.get_recipient_display()} +{self.after_minutes}"
