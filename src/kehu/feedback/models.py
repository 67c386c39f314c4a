"""Satisfaction surveys, their ratings, the callbacks low scores open, and complaint records."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import VersionedModel
from kehu.org.models import Employee

LOW_SCORE = 2  # a score at or below this opens a callback


class SurveyInvitation(models.Model):
    """A one-use link to rate a resolved ticket. Only the SHA-256 digest of the token is kept."""

    ticket = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    email = models.EmailField(_("sent to"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    digest = models.CharField(max_length=64, unique=True)
    # Who resolved it: the rating is credited to the assignee at resolve time.
    agent = models.ForeignKey(
        "org.Employee", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("answered"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one live link per ticket: a new resolution voids the previous one first.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_live_survey_per_ticket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.email}"

    def is_open(self, now: datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.voided_at is None and self.expires_at > moment


class SatisfactionRating(models.Model):
    """One answered survey; the dimensions are copied so roll-ups need no joins through tickets."""

    ticket = models.ForeignKey(
        "desk.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ratings"
    )
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.PROTECT, related_name="rating"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
    agent = models.ForeignKey(
        "org.Employee",
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("handling department"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    service = models.ForeignKey(
        "org.Service",
        verbose_name=_("internal service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
    )
    requesting_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("requesting department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="given_ratings",
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "created_at"], name="rating_agent"),
            models.Index(fields=["department", "created_at"], name="rating_department"),
            models.Index(fields=["service", "created_at"], name="rating_service"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"

    @property
    def is_low(self) -> bool:
        return self.score <= LOW_SCORE


class CallbackTask(VersionedModel):
    """A call back to a requester who gave a low score (回访)."""

    ticket = models.ForeignKey(
        "desk.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="callbacks"
    )
    rating = models.OneToOneField(
        SatisfactionRating,
        verbose_name=_("rating"),
        on_delete=models.CASCADE,
        related_name="callback",
    )
    assignee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=4000)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["done_at", "due_at", "id"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"], name="callback_mine")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating.score}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()


class RootCause(models.TextChoices):
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SERVICE_PROCESS = "service_process", _("Service process")
    STAFF_CONDUCT = "staff_conduct", _("Staff conduct")
    COMMUNICATION = "communication", _("Communication")
    THIRD_PARTY = "third_party", _("Third party")
    CUSTOMER_EXPECTATION = "customer_expectation", _("Customer expectation")
    OTHER = "other", _("Other")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")


class ComplaintRecord(VersionedModel):
    """The complaint archive's facts about a ticket of type complaint."""

    ticket = models.OneToOneField(
        "desk.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="complaint_record",
    )
    customer_impact = models.TextField(_("customer impact"), blank=True, max_length=10000)
    handling_process = models.TextField(_("handling process"), blank=True, max_length=10000)
    responsible_employee = models.ForeignKey(
        "org.Employee",
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints_responsible",
    )
    responsible_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("responsible department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints_responsible",
    )
    loss_amount = models.DecimalField(
        _("customer loss (money)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    loss_currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    loss_hours = models.DecimalField(
        _("customer loss (hours)"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    root_cause_class = models.CharField(
        _("root cause"),
        max_length=24,
        choices=RootCause.choices,
        blank=True,
        help_text=_("Leave empty until the cause is known."),
    )

    class Meta:
        verbose_name = _("complaint record")
        verbose_name_plural = _("complaint records")
        ordering = ["-ticket_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(loss_amount__gte=0, loss_hours__gte=0),
                name="complaint_loss_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"KH-{self.ticket_id}"

    def clean(self) -> None:
        if not (self.responsible_employee_id and self.responsible_department_id):
            return
        # By id: the employee id may name a missing row (reported by clean_fields).
        person_department = (
            Employee.objects.filter(pk=self.responsible_employee_id)
            .values_list("department_id", flat=True)
            .first()
        )
        if person_department is not None and person_department != self.responsible_department_id:
            raise ValidationError(
                {
                    "responsible_employee": _(
                        "The responsible person does not work in the responsible department."
                    )
                }
            )


# What people may set on a complaint record, the same through the web form and the API.
COMPLAINT_FIELDS = [
    "customer_impact",
    "handling_process",
    "responsible_employee",
    "responsible_department",
    "loss_amount",
    "loss_hours",
    "root_cause_class",
]
