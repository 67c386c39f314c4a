"""What each department sets up for its tickets: queue settings, categories, custom fields; and the
queue views agents save."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel
from kehu.desk.models.calendars import BusinessCalendar


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOAD = "least_load", _("Least open load")


class DeskSettings(VersionedModel):
    """How one department runs its queue."""

    department = models.OneToOneField(
        "org.Department", on_delete=models.CASCADE, related_name="desk_settings"
    )
    assignment_strategy = models.CharField(
        _("assignment"),
        max_length=12,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.MANUAL,
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after (days)"), default=7
    )
    working_calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("working hours of the department's people"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Non-urgent notifications to these people wait for these hours."),
    )
    # Round robin resumes after the person who got the last ticket.
    last_assigned = models.ForeignKey(
        "org.Employee", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("queue settings")
        verbose_name_plural = _("queue settings")

    def __str__(self) -> str:
        return str(self.department)


class Category(BilingualNameMixin, VersionedModel):
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="ticket_categories",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name_pinyin"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_category_name")
        ]


class CustomField(VersionedModel):
    """An extra ticket field a department asks for (values live in ``Ticket.custom_values``)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        CHECKBOX = "checkbox", _("Yes / no")

    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="ticket_fields",
    )
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    options = models.TextField(_("options (one per line)"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["department_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "key"], name="unique_field_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == self.Kind.CHOICE and not self.option_list:
            raise ValidationError({"options": _("A choice field needs at least one option.")})


class SavedView(VersionedModel):
    """A queue filter saved by an agent, optionally shared with everyone on the desk."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filter"), max_length=1000)
    shared = models.BooleanField(_("shared with the desk"), default=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
