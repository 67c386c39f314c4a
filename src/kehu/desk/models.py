"""Service-desk data. So far: business calendars, the clocks SLA targets run on."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.access.models import validate_time_zone
from kehu.core.models import BilingualNameMixin, VersionedModel
from kehu.desk.priority import DEFAULT_MATRIX


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
