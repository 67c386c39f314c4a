"""Writes of the relationship map: validated, versioned, audited, and on the account timeline."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.concurrency import save_if_current
from kehu.customers import timeline
from kehu.customers.models import Account, Contact, TimelineEntry
from kehu.customers.rules import employee_id_of
from kehu.relations.models import (
    NEED_FIELDS,
    PERSONAL_PROFILE_FIELDS,
    AccountRelationship,
    BuyingRole,
    BuyingRoleKind,
    Interaction,
    InteractionKind,
    Person,
    Stage,
    StageChange,
    Stance,
)

MAX_TEXT = 10_000
PERSON_FIELDS = frozenset(
    {
        "title",
        "department",
        "reports_to",
        "influence",
        "social_style",
        "notes",
        "is_coach",
        "coach_influence",
        "coach_informed",
        "coach_win_win",
        *NEED_FIELDS,
        "power",
        "risk_orientation",
        "interests",
    }
)


def other_account_message() -> str:
    return _("This contact belongs to another account.")


def empty_message() -> str:
    return _("This field cannot be empty.")


def file_too_large_message() -> str:
    from django.conf import settings

    return _("The file is larger than %(size)s bytes.") % {"size": settings.IMPORT_MAX_BYTES}


def unknown_employee_message() -> str:
    return _("No such employee.")


def unknown_department_message() -> str:
    return _("No such department.")


def unknown_service_message() -> str:
    return _("This service is not in the chosen department's catalogue.")


def interaction_message() -> str:
    return _("The interaction is of another account.")


def _check_choice(field: str, value: str, choices: Any) -> None:
    if value not in choices.values:
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})


def _reports_to(account: Account, reports_to_id: int | None) -> Person | None:
    if reports_to_id is None:
        return None
    found = Person.objects.filter(pk=reports_to_id, account=account).first()
    if found is None:
        raise ValidationError(
            {"reports_to": _("The manager must be a person of the same account.")}
        )
    return found


@transaction.atomic
def person_create(
    *,
    account: Account,
    contact: Contact,
    by: Any = None,
    reports_to_id: int | None = None,
    **fields: Any,
) -> Person:
    """Put one of the account's contacts on its relationship map."""
    if contact.account_id != account.pk:
        raise ValidationError({"contact": other_account_message()})
    if Person.objects.filter(contact=contact).exists():
        raise ValidationError({"contact": _("This contact is already on the map.")})
    unknown = set(fields) - PERSON_FIELDS - {"stage"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    stage = fields.pop("stage", Stage.ACQUAINTANCE)
    _check_choice("stage", stage, Stage)
    person = Person(
        account=account,
        contact=contact,
        reports_to=_reports_to(account, reports_to_id),
        stage=stage,
        **fields,
    )
    person.full_clean()
    person.save()
    StageChange.objects.create(
        person=person,
        to_stage=stage,
        changed_on=timezone.localdate(),
        recorded_by_id=employee_id_of(by),
        reason=_("Put on the map."),
    )
    return person


def person_update(
    *, person: Person, version: int, reports_to_id: Any = ..., **changes: Any
) -> Person:
    """Change a person's profile (not the stage: see ``stage_change``); 409 on a stale version."""
    unknown = set(changes) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if reports_to_id is not ...:
        changes["reports_to"] = _reports_to(person.account, reports_to_id)
    return save_if_current(person, expected_version=version, changes=changes)


@transaction.atomic
def stage_change(
    *,
    person: Person,
    version: int,
    to_stage: str,
    by: Any,
    changed_on: date | None = None,
    interaction: Interaction | None = None,
    reason: str = "",
    today: date | None = None,
) -> StageChange:
    """Move a person to another relationship stage, dated and with its cause."""
    _check_choice("to_stage", to_stage, Stage)
    today = today or timezone.localdate()
    changed_on = changed_on or today
    if changed_on > today:
        raise ValidationError({"changed_on": _("A stage change cannot be dated in the future.")})
    if interaction is not None and interaction.account_id != person.account_id:
        raise ValidationError({"interaction": interaction_message()})
    if to_stage == person.stage:
        raise ValidationError({"to_stage": _("The person is already at this stage.")})
    change = StageChange(
        person=person,
        from_stage=person.stage,
        to_stage=to_stage,
        changed_on=changed_on,
        interaction=interaction,
        recorded_by_id=employee_id_of(by),
        reason=reason.strip(),
    )
    change.full_clean(exclude=["person", "interaction", "recorded_by"])
    save_if_current(person, expected_version=version, changes={"stage": to_stage})
    change.save()
    return change


@transaction.atomic
def role_set(
    *,
    person: Person,
    role: str,
    stance: str = Stance.NEUTRAL,
    cares_about: str = "",
    covered_by_id: int | None = None,
) -> BuyingRole:
    """Give a person a buying role at the account, or update its stance and concerns."""
    _check_choice("role", role, BuyingRoleKind)
    _check_choice("stance", stance, Stance)
    buying_role, _created = BuyingRole.objects.get_or_create(person=person, role=role)
    buying_role.stance = stance
    buying_role.cares_about = cares_about
    buying_role.covered_by_id = covered_by_id
    buying_role.full_clean()
    buying_role.version += 0 if _created else 1
    buying_role.save()
    return buying_role


def role_remove(*, person: Person, role: str) -> None:
    """Take a buying role away from a person (nothing happens if they did not hold it)."""
    _check_choice("role", role, BuyingRoleKind)
    for found in BuyingRole.objects.filter(person=person, role=role):
        found.delete()  # one by one, so the audit log records it


@transaction.atomic
def level_set(
    *, account: Account, level: str, evidence: str, version: int | None, **needs: str
) -> AccountRelationship:
    """Set the account's relationship level with its evidence, and the company's needs
    (economic, business, social) — version of the current record."""
    unknown = set(needs) - {"need_economic", "need_business", "need_social"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    current, created = AccountRelationship.objects.get_or_create(account=account)
    if created:
        version = current.version
    elif version is None:
        raise ValidationError({"version": _("Send the version you read.")})
    return save_if_current(
        current,
        expected_version=version,
        changes={"level": level, "evidence": evidence, **needs},
    )


@transaction.atomic
def person_erase_profile(*, person: Person, by: Any) -> Person:
    """Erase the person's personal profile on their request (style, notes, personal needs,
    power, risk orientation, interests). The audit log keeps that it happened, who did it and
    when — not what was erased (those fields are masked there)."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    for name in PERSONAL_PROFILE_FIELDS:
        setattr(locked, name, "")
    locked.profile_erased_at = timezone.now()
    locked.profile_erased_by_id = employee_id_of(by)
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def interaction_record(
    *,
    account: Account,
    by: Any,
    kind: str,
    occurred_on: date,
    subject: str,
    people_ids: list[int] = (),  # type: ignore[assignment]
    our_attendee_ids: list[int] = (),  # type: ignore[assignment]
    today: date | None = None,
    **fields: Any,
) -> Interaction:
    """Record a past meeting, call, visit, event or dinner, and put it on the account timeline."""
    today = today or timezone.localdate()
    if occurred_on > today:
        raise ValidationError(
            {"occurred_on": _("Record interactions that took place: the date is in the future.")}
        )
    people = list(Person.objects.filter(pk__in=set(people_ids), account=account))
    if len(people) != len(set(people_ids)):
        raise ValidationError(
            {"people": _("Every attendee must be a person on this account's map.")}
        )
    from kehu.org.models import Employee

    ours = list(Employee.objects.filter(pk__in=set(our_attendee_ids)))
    if len(ours) != len(set(our_attendee_ids)):
        raise ValidationError({"our_attendees": _("Unknown employee among our attendees.")})
    interaction = Interaction(
        account=account,
        kind=kind,
        occurred_on=occurred_on,
        subject=subject,
        recorded_by_id=employee_id_of(by),
        **fields,
    )
    interaction.full_clean()
    interaction.save()
    interaction.people.set(people)
    interaction.our_attendees.set(ours)
    _write_timeline(interaction, by)
    return interaction


def _write_timeline(interaction: Interaction, by: Any) -> None:
    # Restricted: only readers of the account's dossier see it; the subject and people's names
    # stay off the line (the map page holds them for those who may see the people).
    occurred = timezone.make_aware(datetime.combine(interaction.occurred_on, time(12)))
    timeline.record(
        account_id=interaction.account_id,
        kind=TimelineEntry.Kind.RELATIONSHIP,
        source=f"relations.interaction:{interaction.pk}",
        occurred_at=occurred,
        title=timeline.phrase(
            gettext_noop("Relationship interaction: %(kind)s"),
            kind=InteractionKind(interaction.kind).label,
        ),
        actor=by,
        url=reverse("relations:account", args=[interaction.account_id]),
        restricted=True,
    )
