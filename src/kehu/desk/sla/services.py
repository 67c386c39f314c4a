"""Writes of service-desk data."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.desk.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationStep,
    PriorityMatrix,
    SlaPolicy,
    SlaTarget,
    Weekday,
    WorkingInterval,
)
from kehu.desk.priority import Impact, Priority, Severity, cell_key
from kehu.desk.sla.matrix import priority_for as priority_for
from kehu.desk.sla.matrix import priority_from as priority_from
from kehu.desk.sla.matrix import priority_matrix
from kehu.desk.sla.selectors import interval_length


@dataclass(frozen=True)
class IntervalSpec:
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class DaySpec:
    date: date
    kind: str
    works_as: int = Weekday.MONDAY
    name: str = ""


def _offset(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


def _check_schedule(intervals: list[IntervalSpec], days: list[DaySpec]) -> None:
    errors: list[str] = []
    by_day: dict[int, list[IntervalSpec]] = {}
    for interval in intervals:
        if interval.weekday not in Weekday.values:
            errors.append(
                _("%(day)s is not a weekday number (0 = Monday … 6 = Sunday).")
                % {"day": interval.weekday}
            )
            continue
        by_day.setdefault(interval.weekday, []).append(interval)
    for weekday, spans in by_day.items():
        spans.sort(key=lambda s: s.start)
        for earlier, later in itertools.pairwise(spans):
            if _offset(later.start) < _offset(earlier.start) + interval_length(
                earlier.start, earlier.end
            ):
                errors.append(
                    _("On %(day)s, %(a)s overlaps %(b)s.")
                    % {
                        "day": Weekday(weekday).label,
                        "a": f"{earlier.start:%H:%M}–{earlier.end:%H:%M}",
                        "b": f"{later.start:%H:%M}–{later.end:%H:%M}",
                    }
                )
    seen: set[date] = set()
    for day in days:
        if day.date in seen:
            errors.append(_("%(date)s is listed twice.") % {"date": day.date.isoformat()})
        seen.add(day.date)
        if day.kind not in CalendarDay.Kind.values:
            errors.append(_("%(kind)s is not a kind of day.") % {"kind": day.kind})
        if day.works_as not in Weekday.values:
            errors.append(
                _("%(day)s is not a weekday number (0 = Monday … 6 = Sunday).")
                % {"day": day.works_as}
            )
    if errors:
        raise ValidationError(errors)


def _schedule_text(intervals: list[IntervalSpec], days: list[DaySpec]) -> str:
    lines = [
        f"{Weekday(i.weekday).name[:3].title()} {i.start:%H:%M}-{i.end:%H:%M}"
        for i in sorted(intervals, key=lambda i: (i.weekday, i.start))
    ]
    for d in sorted(days, key=lambda d: d.date):
        extra = (
            f" {Weekday(d.works_as).name[:3].title()}" if d.kind == CalendarDay.Kind.WORKING else ""
        )
        lines.append(f"{d.date.isoformat()} {d.kind}{extra} {d.name}".rstrip())
    return "\n".join(lines)


def _write_schedule(
    calendar: BusinessCalendar, intervals: list[IntervalSpec], days: list[DaySpec]
) -> None:
    calendar.intervals.all().delete()
    calendar.days.all().delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=i.weekday, start=i.start, end=i.end)
        for i in intervals
    )
    CalendarDay.objects.bulk_create(
        CalendarDay(
            calendar=calendar,
            date=d.date,
            kind=d.kind,
            works_as=d.works_as,
            name=d.name.strip()[:100],
        )
        for d in days
    )


def calendar_create(
    *, fields: dict[str, Any], intervals: list[IntervalSpec], days: list[DaySpec]
) -> BusinessCalendar:
    """Create a calendar with its weekly intervals and special days."""
    _check_schedule(intervals, days)
    with transaction.atomic():
        calendar = BusinessCalendar(**fields, schedule=_schedule_text(intervals, days))
        calendar.full_clean()
        calendar.save()
        _write_schedule(calendar, intervals, days)
    return calendar


def calendar_update(
    *,
    calendar: BusinessCalendar,
    expected_version: int,
    fields: dict[str, Any],
    intervals: list[IntervalSpec],
    days: list[DaySpec],
) -> BusinessCalendar:
    """Change a calendar and replace its schedule in one step; StaleVersionError if it moved on."""
    _check_schedule(intervals, days)
    with transaction.atomic():
        locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if locked.version != expected_version:
            raise StaleVersionError(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.schedule = _schedule_text(intervals, days)
        locked.full_clean()
        locked.version = expected_version + 1
        locked.save()
        _write_schedule(locked, intervals, days)
        schedule_reevaluation()
    return locked


def priority_matrix_update(*, expected_version: int, cells: dict[str, str]) -> PriorityMatrix:
    """Replace the matrix; every cell must be given a known priority (409 if stale)."""
    expected_keys = {cell_key(i, s) for i in Impact.values for s in Severity.values}
    if set(cells) != expected_keys:
        raise ValidationError(_("Give a priority for every combination of impact and severity."))
    if any(value not in Priority.values for value in cells.values()):
        raise ValidationError(
            _("Use one of the priorities: %(list)s.") % {"list": ", ".join(Priority.values)}
        )
    priority_matrix()
    return save_if_current(
        PriorityMatrix.objects.get(pk=1),
        expected_version=expected_version,
        changes={"cells": cells},
    )


@dataclass(frozen=True)
class TargetSpec:
    priority: str
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int


def _target_summary(targets: list[TargetSpec]) -> str:
    order = {value: i for i, value in enumerate(Priority.values)}
    return "\n".join(
        f"{t.priority}: {t.first_response_minutes} / {t.next_response_minutes or '-'} / {t.resolution_minutes}"
        for t in sorted(targets, key=lambda t: order.get(t.priority, 99))
    )


def _check_targets(targets: list[TargetSpec]) -> None:
    priorities = [t.priority for t in targets]
    if len(set(priorities)) != len(priorities):
        raise ValidationError(_("Each priority may have one set of targets."))
    if not targets:
        raise ValidationError(_("Give targets for at least one priority."))
    for t in targets:
        if t.priority not in Priority.values:
            raise ValidationError(
                _("Use one of the priorities: %(list)s.") % {"list": ", ".join(Priority.values)}
            )
        if min(t.first_response_minutes, t.resolution_minutes, t.next_response_minutes or 1) < 1:
            raise ValidationError(_("Targets are at least one business minute."))
        if t.resolution_minutes < t.first_response_minutes:
            raise ValidationError(_("Resolution cannot be due before the first response."))


def sla_policy_save(
    *,
    policy: SlaPolicy | None,
    expected_version: int | None,
    fields: dict[str, Any],
    departments: list[Any],
    services: list[Any],
    targets: list[TargetSpec],
    categories: list[Any] | None = None,
    escalation: list[EscalationSpec] | None = None,
) -> SlaPolicy:
    """Create (policy None) or change a policy with its conditions and targets in one step.

    ``categories`` and ``escalation`` left as None keep what the policy has. Open tickets are
    re-evaluated afterwards (in the background), since any policy edit can change which policy
    matches them and when they are due.
    """
    _check_targets(targets)
    _check_escalation(escalation or [])
    with transaction.atomic():
        if policy is None:
            saved = SlaPolicy(**fields)
        else:
            saved = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
            if saved.version != expected_version:
                raise StaleVersionError(saved)
            for name, value in fields.items():
                setattr(saved, name, value)
            saved.version += 1
        saved.target_summary = _target_summary(targets)
        saved.full_clean()
        saved.save()
        saved.departments.set(departments)
        saved.services.set(services)
        if categories is not None:
            saved.categories.set(categories)
        if escalation is not None:
            _write_escalation(saved, escalation)
        saved.targets.all().delete()
        SlaTarget.objects.bulk_create(
            SlaTarget(
                policy=saved,
                priority=t.priority,
                first_response_minutes=t.first_response_minutes,
                next_response_minutes=t.next_response_minutes,
                resolution_minutes=t.resolution_minutes,
            )
            for t in targets
        )
        schedule_reevaluation()
    return saved


@dataclass(frozen=True)
class EscalationSpec:
    level: int
    after_minutes: int
    recipient: str
    key_role_id: int | None = None
    people_ids: tuple[int, ...] = ()


def _check_escalation(steps: list[EscalationSpec]) -> None:
    errors: list[str] = []
    levels = [s.level for s in steps]
    if len(set(levels)) != len(levels):
        errors.append(_("Each escalation level may appear only once."))
    for step in steps:
        if step.level < 1:
            errors.append(_("Escalation levels start at 1."))
        if step.recipient not in EscalationStep.Recipient.values:
            errors.append(_("%(value)s is not a kind of recipient.") % {"value": step.recipient})
        if step.recipient == EscalationStep.Recipient.KEY_ROLE and not step.key_role_id:
            errors.append(_("Level %(level)s needs a key role.") % {"level": step.level})
        if step.recipient == EscalationStep.Recipient.GROUP and not step.people_ids:
            errors.append(_("Level %(level)s needs people to notify.") % {"level": step.level})
    ordered = sorted(steps, key=lambda s: s.level)
    if any(a.after_minutes > b.after_minutes for a, b in itertools.pairwise(ordered)):
        errors.append(_("A higher escalation level cannot come earlier than a lower one."))
    if errors:
        raise ValidationError(errors)


def _write_escalation(policy: SlaPolicy, steps: list[EscalationSpec]) -> None:
    policy.escalation_steps.all().delete()
    for spec in steps:
        step = EscalationStep.objects.create(
            policy=policy,
            level=spec.level,
            after_minutes=spec.after_minutes,
            recipient=spec.recipient,
            key_role_id=spec.key_role_id,
        )
        if spec.people_ids:
            step.people.set(spec.people_ids)


def schedule_reevaluation() -> None:
    """Re-evaluate open tickets' SLA once this transaction commits (see ``desk.sla.sweep``)."""
    from kehu.desk.sla.sweep import reevaluate_open_tickets

    transaction.on_commit(lambda: reevaluate_open_tickets.enqueue())
