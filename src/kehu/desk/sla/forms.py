"""Calendar forms. The schedule is typed as text — one line per weekday, one per special day —
which is quick to enter from the keyboard and to paste from an official holiday notice."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import AccountLevel
from kehu.desk.models import BusinessCalendar, CalendarDay, EscalationStep, SlaPolicy, Weekday
from kehu.desk.priority import Priority, TicketType
from kehu.desk.sla.services import DaySpec, EscalationSpec, IntervalSpec, TargetSpec
from kehu.org.forms import VersionedForm
from kehu.org.models import Department, Employee, KeyRole, Service

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})\s*$")
_DAY_LINE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|~|至|到)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$"
)
_MAX_RANGE = 60


def _parse_time(hours: str, minutes: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time(0)
    return time(h, m)


def parse_weekday_spans(text: str) -> list[tuple[time, time]]:
    """'09:00-12:00, 13:00-18:00' -> [(09:00, 12:00), (13:00, 18:00)]."""
    spans = []
    for part in re.split(r"[,，;；]", text):
        if not part.strip():
            continue
        match = _SPAN.match(part)
        if not match:
            raise forms.ValidationError(
                gettext("“%(part)s” is not like 09:00-18:00.") % {"part": part.strip()}
            )
        try:
            spans.append((_parse_time(*match.group(1, 2)), _parse_time(*match.group(3, 4))))
        except ValueError as exc:
            raise forms.ValidationError(
                gettext("“%(part)s” is not a time of day.") % {"part": part.strip()}
            ) from exc
    return spans


def parse_days(text: str, kind: str) -> list[DaySpec]:
    """Lines 'YYYY-MM-DD [..YYYY-MM-DD] [weekday for make-up days] name'; errors name the line."""
    days: list[DaySpec] = []
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _DAY_LINE.match(line)
        try:
            if not match:
                raise ValueError
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            errors.append(gettext("Line %(n)s: start with a date like 2026-10-01.") % {"n": number})
            continue
        if last < first or (last - first).days > _MAX_RANGE:
            errors.append(
                gettext("Line %(n)s: the range must run forward, %(max)s days at most.")
                % {"n": number, "max": _MAX_RANGE}
            )
            continue
        rest = match.group(3).strip()
        works_as: int = Weekday.MONDAY
        if kind == CalendarDay.Kind.WORKING:
            head, _sep, tail = rest.partition(" ")
            found = _weekday_number(head)
            if found is not None:
                works_as, rest = found, tail.strip()
        day = first
        while day <= last:
            days.append(DaySpec(date=day, kind=kind, works_as=works_as, name=rest))
            day += timedelta(days=1)
    if errors:
        raise forms.ValidationError(errors)
    return days


def _weekday_number(word: str) -> int | None:
    lowered = word.lower()
    for value, label in Weekday.choices:
        english = Weekday(value).name.lower()
        if lowered in (str(value), english, english[:3], str(label).lower()):
            return value
    chinese = {
        "周一": 0,
        "周二": 1,
        "周三": 2,
        "周四": 3,
        "周五": 4,
        "周六": 5,
        "周日": 6,
        "周天": 6,
    }
    return chinese.get(word)


def format_days(days: list[CalendarDay], kind: str) -> str:
    lines = []
    for day in days:
        if day.kind != kind:
            continue
        weekday = (
            f" {Weekday(day.works_as).name.title()[:3]}" if kind == CalendarDay.Kind.WORKING else ""
        )
        lines.append(f"{day.date.isoformat()}{weekday} {day.name}".rstrip())
    return "\n".join(lines)


class CalendarForm(VersionedForm):
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One per line: 2026-10-01 National Day, or a range 2026-10-01..2026-10-07 National Day."
        ),
    )
    working_days = forms.CharField(
        label=_("Make-up working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, with whose hours apply: 2026-10-10 Fri make-up day."),
    )

    class Meta:
        model = BusinessCalendar
        fields = ["name", "name_en", "time_zone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = forms.ChoiceField(
            label=_("time zone"),
            choices=[(z, z) for z in sorted(zoneinfo.available_timezones())],
            initial="Asia/Shanghai",
        )
        for value, label in Weekday.choices:
            self.fields[f"weekday_{value}"] = forms.CharField(
                label=label,
                required=False,
                help_text=_("e.g. 09:00-12:00, 13:00-18:00; 22:00-06:00 runs overnight"),
            )
        if self.instance.pk and not self.is_bound:
            by_day: dict[int, list[str]] = {}
            for interval in self.instance.intervals.all():
                by_day.setdefault(interval.weekday, []).append(
                    f"{interval.start:%H:%M}-{interval.end:%H:%M}"
                )
            for value, spans in by_day.items():
                self.initial[f"weekday_{value}"] = ", ".join(spans)
            days = list(self.instance.days.all())
            self.initial["holidays"] = format_days(days, CalendarDay.Kind.HOLIDAY)
            self.initial["working_days"] = format_days(days, CalendarDay.Kind.WORKING)
        elif not self.instance.pk and not self.is_bound:
            for value in range(5):
                self.initial[f"weekday_{value}"] = "09:00-12:00, 13:00-18:00"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        intervals: list[IntervalSpec] = []
        for value in Weekday.values:
            try:
                spans = parse_weekday_spans(data.get(f"weekday_{value}", "") or "")
            except forms.ValidationError as exc:
                self.add_error(f"weekday_{value}", exc)
                continue
            intervals += [IntervalSpec(value, start, end) for start, end in spans]
        days: list[DaySpec] = []
        for name, kind in (
            ("holidays", CalendarDay.Kind.HOLIDAY),
            ("working_days", CalendarDay.Kind.WORKING),
        ):
            try:
                days += parse_days(data.get(name, "") or "", kind)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        data["schedule"] = (intervals, days)
        return data

    def model_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or []}


class DueForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label=_("Business minutes"), min_value=0, max_value=60 * 24 * 365)

    def start_aware(self, zone: Any) -> datetime:
        start: datetime = self.cleaned_data["start"]
        return start if start.tzinfo else start.replace(tzinfo=zone)


class SlaPolicyForm(VersionedForm):
    ticket_types = forms.MultipleChoiceField(
        label=_("Ticket types"),
        choices=TicketType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )
    account_levels = forms.MultipleChoiceField(
        label=_("Customer levels"),
        choices=AccountLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every customer and internal requests."),
    )
    escalation = forms.CharField(
        label=_("Escalation after a breach"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One level per line, in order: business minutes after the breach, then who is "
            "notified — assignee, team_lead, department_head, key_role <name>, or group "
            "<employee numbers>. For example: “0 assignee”, “30 team_lead”, "
            "“120 key_role 应急负责人”, “240 group E00012, E00013”."
        ),
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "name_en",
            "position",
            "is_active",
            "calendar",
            "ticket_types",
            "account_levels",
            "departments",
            "services",
            "categories",
            "warning_fraction",
        ]
        widgets = {
            "departments": forms.CheckboxSelectMultiple,
            "services": forms.CheckboxSelectMultiple,
            "categories": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "departments": _("None ticked: every department."),
            "services": _("None ticked: every service."),
            "categories": _("None ticked: every category."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["escalation"] = escalation_text(self.instance)
        existing = {t.priority: t for t in self.instance.targets.all()} if self.instance.pk else {}
        for value, label in Priority.choices:
            target = existing.get(value)
            for part, part_label in (
                ("first", _("first response")),
                ("next", _("next response")),
                ("resolution", _("resolution")),
            ):
                name = f"{value}_{part}"
                self.fields[name] = forms.IntegerField(
                    label=f"{label} · {part_label}",
                    required=False,
                    min_value=1,
                    max_value=60 * 24 * 365,
                )
                if target is not None and not self.is_bound:
                    attr = {
                        "first": "first_response_minutes",
                        "next": "next_response_minutes",
                        "resolution": "resolution_minutes",
                    }[part]
                    self.initial[name] = getattr(target, attr)

    def target_rows(self) -> list[tuple[str, list[Any]]]:
        return [
            (str(label), [self[f"{value}_{part}"] for part in ("first", "next", "resolution")])
            for value, label in Priority.choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        targets = []
        for value, label in Priority.choices:
            first, following, resolution = (
                data.get(f"{value}_{p}") for p in ("first", "next", "resolution")
            )
            if first is None and following is None and resolution is None:
                continue
            if first is None or resolution is None:
                self.add_error(
                    f"{value}_first",
                    gettext("%(priority)s: give both first response and resolution.")
                    % {"priority": label},
                )
                continue
            targets.append(TargetSpec(value, first, following, resolution))
        data["targets"] = targets
        return data

    def clean_escalation(self) -> list[EscalationSpec]:
        return parse_escalation(self.cleaned_data.get("escalation") or "")

    def model_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in (
                "name",
                "name_en",
                "position",
                "is_active",
                "calendar",
                "ticket_types",
                "account_levels",
                "warning_fraction",
            )
        }


def escalation_text(policy: SlaPolicy) -> str:
    """A policy's escalation chain in the form's line format."""
    lines = []
    for step in policy.escalation_steps.select_related("key_role").prefetch_related("people"):
        line = f"{step.after_minutes} {step.recipient}"
        if step.recipient == EscalationStep.Recipient.KEY_ROLE and step.key_role:
            line += f" {step.key_role.name}"
        elif step.recipient == EscalationStep.Recipient.GROUP:
            line += " " + ", ".join(p.employee_no for p in step.people.all())
        lines.append(line)
    return "\n".join(lines)


def parse_escalation(text: str) -> list[EscalationSpec]:
    """Lines of "minutes recipient [detail]" → the escalation chain, level = line order."""
    steps: list[EscalationSpec] = []
    errors: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        parts = line.split(maxsplit=2)
        if len(parts) < 2 or not parts[0].isdigit():
            errors.append(
                gettext("Line %(line)s: start with the minutes, then who is notified.")
                % {"line": number}
            )
            continue
        minutes, recipient = int(parts[0]), parts[1]
        detail = parts[2].strip() if len(parts) > 2 else ""
        if recipient not in EscalationStep.Recipient.values:
            errors.append(
                gettext("Line %(line)s: %(value)s is not one of %(choices)s.")
                % {
                    "line": number,
                    "value": recipient,
                    "choices": ", ".join(EscalationStep.Recipient.values),
                }
            )
            continue
        key_role_id: int | None = None
        people: tuple[int, ...] = ()
        if recipient == EscalationStep.Recipient.KEY_ROLE:
            role = KeyRole.objects.filter(Q(name=detail) | Q(name_en=detail)).first()
            if role is None:
                errors.append(
                    gettext("Line %(line)s: no key role is called “%(name)s”.")
                    % {"line": number, "name": detail}
                )
                continue
            key_role_id = role.pk
        if recipient == EscalationStep.Recipient.GROUP:
            numbers = [n.strip() for n in detail.replace("，", ",").split(",") if n.strip()]
            found = dict(
                Employee.objects.filter(employee_no__in=numbers).values_list("employee_no", "pk")
            )
            missing = [n for n in numbers if n not in found]
            if missing or not numbers:
                errors.append(
                    gettext("Line %(line)s: unknown employee numbers: %(list)s")
                    % {"line": number, "list": ", ".join(missing) or "—"}
                )
                continue
            people = tuple(found[n] for n in numbers)
        steps.append(EscalationSpec(number, minutes, recipient, key_role_id, people))
    if errors:
        raise forms.ValidationError(errors)
    return steps


class PolicyMatchForm(forms.Form):
    ticket_type = forms.ChoiceField(label=_("Ticket type"), choices=TicketType.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    department = forms.ModelChoiceField(
        label=_("Supplier department"), queryset=Department.objects.all(), required=False
    )
    service = forms.ModelChoiceField(
        label=_("Internal service"), queryset=Service.objects.all(), required=False
    )
