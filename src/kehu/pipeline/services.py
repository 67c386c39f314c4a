"""Writes of the pipeline: validated, versioned, audited, on the account timeline.

A stage move is the one way an opportunity changes stage (``opportunity_move``): it refuses
moves that make no sense with ``MoveRefused`` (409 in the API), writes the stage history and
the timeline line, and a move to a won stage tells the apps above through
``signals.opportunity_won`` once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.customers import timeline
from kehu.customers.models import Account, TimelineEntry
from kehu.org.models import Employee
from kehu.pipeline.models import (
    Competitor,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityRole,
    Outcome,
    Stage,
    StageMove,
    WinLossReason,
)
from kehu.pipeline.signals import opportunity_won
from kehu.relations.models import BuyingRoleKind, Person, Stance
from kehu.relations.selectors import iron_triangle

MAX_TEXT = 10_000
LEAD_FIELDS = frozenset(
    {"title", "source", "account", "prospect_name", "contact_name", "owner", "status", "notes"}
)
OPPORTUNITY_FIELDS = frozenset(
    {
        "name",
        "description",
        "amount",
        "currency",
        "expected_close",
        "ar",
        "sr",
        "fr",
        "probability_override",
        "probability_reason",
    }
)


class MoveRefused(Exception):
    """A change the opportunity's or lead's state does not allow (409): nothing was written."""


def _check_choice(field: str, value: str, choices: Any) -> None:
    if value not in choices.values:
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})


def open_stages() -> list[Stage]:
    return list(Stage.objects.filter(is_active=True, outcome=Outcome.OPEN))


def first_stage() -> Stage:
    found = Stage.objects.filter(is_active=True, outcome=Outcome.OPEN).first()
    if found is None:
        raise ValidationError({"stage": _("No open stage is in use: an administrator adds one.")})
    return found


def default_triangle(account: Account) -> tuple[dict[str, int | None], list[int]]:
    """The triangle a new opportunity starts with, and its members: the account's iron
    triangle (relations) where it has one, else the account's owner as its AR."""
    team = iron_triangle(account)
    if team is None:
        return {"ar": account.owner_id, "sr": None, "fr": None}, []
    seats = {
        "ar": team.account_manager_id or account.owner_id,
        "sr": team.solution_manager_id,
        "fr": team.fulfilment_manager_id,
    }
    return seats, [m.pk for m in team.members.all()]


def _stage_name(stage: Stage) -> Any:
    # Evaluated when the timeline renders each language, so each gets the stage's own name.
    return lazy(lambda: stage.display_name, str)()


# --- leads -----------------------------------------------------------------------------------


@transaction.atomic
def lead_create(*, by: Any = None, **fields: Any) -> Lead:
    """Record a lead for an account or a prospect."""
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if fields.get("status") == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("A lead is converted by opening its opportunity.")})
    lead = Lead(**fields)
    lead.full_clean()
    lead.save()
    return lead


def lead_update(*, lead: Lead, version: int, **changes: Any) -> Lead:
    """Change a lead (409 on a stale version; a converted lead keeps its status)."""
    unknown = set(changes) - LEAD_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    status = changes.get("status")
    if status is not None and status != lead.status:
        if lead.status == LeadStatus.CONVERTED:
            raise MoveRefused(_("This lead is converted; its status no longer changes."))
        if status == LeadStatus.CONVERTED:
            raise ValidationError({"status": _("A lead is converted by opening its opportunity.")})
    return save_if_current(lead, expected_version=version, changes=changes)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    version: int,
    by: Any,
    amount: Decimal,
    expected_close: date,
    currency: str = "CNY",
    name: str = "",
    account: Account | None = None,
) -> Opportunity:
    """Turn a lead into an opportunity. A prospect becomes an account (owned by the lead's
    owner) unless an existing account is given."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if locked.status == LeadStatus.CONVERTED:
        raise MoveRefused(_("This lead is already converted."))
    if locked.status == LeadStatus.DISQUALIFIED:
        raise MoveRefused(_("A disqualified lead is not converted; requalify it first."))
    account = account or locked.account
    if account is None:
        from kehu.customers.services import account_create

        account = account_create(
            fields={"name": locked.prospect_name}, owner=locked.owner, actor=by
        )
    opportunity = opportunity_create(
        by=by,
        account=account,
        name=name or locked.title,
        amount=amount,
        currency=currency,
        expected_close=expected_close,
        ar=locked.owner if account.owner_id is None else None,
    )
    locked.status = LeadStatus.CONVERTED
    locked.account = account
    locked.opportunity = opportunity
    locked.version += 1
    locked.save()
    return opportunity


# --- opportunities ---------------------------------------------------------------------------


def _employees(ids: Iterable[int], field: str) -> list[Employee]:
    wanted = set(ids)
    found = list(Employee.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: _("Unknown employee.")})
    return found


@transaction.atomic
def opportunity_create(
    *,
    by: Any,
    account: Account,
    name: str,
    amount: Decimal,
    expected_close: date,
    currency: str = "CNY",
    stage: Stage | None = None,
    member_ids: Iterable[int] = (),
    now: datetime | None = None,
    **fields: Any,
) -> Opportunity:
    """Open an opportunity on the first stage (or ``stage``); the triangle and members not given
    come from the account's iron triangle (or its owner as AR)."""
    unknown = set(fields) - OPPORTUNITY_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    now = now or timezone.now()
    stage = stage or first_stage()
    if not stage.is_active or stage.is_closed:
        raise ValidationError({"stage": _("A new opportunity starts on an open stage in use.")})
    triangle, team_members = default_triangle(account)
    member_ids = list(member_ids) or team_members
    for role in ("ar", "sr", "fr"):
        if fields.get(role) is None:
            fields.pop(role, None)
            fields[f"{role}_id"] = triangle[role]
    opportunity = Opportunity(
        account=account,
        name=name,
        amount=amount,
        currency=(currency or "").upper(),
        expected_close=expected_close,
        stage=stage,
        stage_entered_at=now,
        **fields,
    )
    opportunity.full_clean()
    opportunity.save()
    if member_ids:
        opportunity.members.set(_employees(member_ids, "members"))
    move = StageMove.objects.create(
        opportunity=opportunity, to_stage=stage, moved_at=now, moved_by=_user(by)
    )
    _write_timeline(opportunity, move, by)
    return opportunity


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) and getattr(by, "is_authenticated", False) else None


def opportunity_update(
    *,
    opportunity: Opportunity,
    version: int,
    member_ids: Iterable[int] | None = None,
    **changes: Any,
) -> Opportunity:
    """Change an opportunity's facts and triangle (not its stage: see ``opportunity_move``);
    409 on a stale version. A probability override needs its reason."""
    unknown = set(changes) - OPPORTUNITY_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if changes.get("currency"):
        changes["currency"] = changes["currency"].upper()
    if changes.get("probability_override", ...) is None and "probability_reason" not in changes:
        changes["probability_reason"] = ""
    with transaction.atomic():
        saved = save_if_current(opportunity, expected_version=version, changes=changes)
        if member_ids is not None:
            saved.members.set(_employees(member_ids, "members"))
    return saved


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    version: int,
    to_stage: Stage,
    by: Any,
    win_loss_reason: str = "",
    win_loss_notes: str = "",
    now: datetime | None = None,
) -> StageMove:
    """Move an opportunity to another stage. Won is final; a lost opportunity may be reopened
    on an open stage. Won and lost need the reason. A probability override is dropped (it was
    given for the old stage)."""
    now = now or timezone.now()
    locked = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if not to_stage.is_active:
        raise MoveRefused(_("The stage “%(stage)s” is not in use.") % {"stage": to_stage})
    if to_stage.pk == locked.stage_id:
        raise MoveRefused(_("The opportunity is already at this stage."))
    if locked.stage.outcome == Outcome.WON:
        raise MoveRefused(_("A won opportunity stays won: its contract follows from it."))
    if locked.stage.outcome == Outcome.LOST and to_stage.is_closed:
        raise MoveRefused(_("Reopen a lost opportunity on an open stage first."))
    changes: dict[str, Any] = {
        "stage": to_stage,
        "stage_entered_at": now,
        "probability_override": None,
        "probability_reason": "",
    }
    if to_stage.is_closed:
        if not win_loss_reason:
            raise ValidationError(
                {"win_loss_reason": _("Say why the opportunity was won or lost.")}
            )
        _check_choice("win_loss_reason", win_loss_reason, WinLossReason)
        changes.update(
            win_loss_reason=win_loss_reason,
            win_loss_notes=win_loss_notes.strip(),
            closed_at=now,
        )
        if to_stage.outcome == Outcome.WON:
            changes["expected_close"] = timezone.localdate(now)  # counts when it was won
    else:
        changes.update(win_loss_reason="", win_loss_notes="", closed_at=None)
    previous = locked.stage
    saved = save_if_current(locked, expected_version=version, changes=changes)
    for left in StageMove.objects.filter(opportunity=saved, left_at__isnull=True):
        left.left_at = now
        left.seconds_in_stage = max(0, int((now - left.moved_at).total_seconds()))
        left.save(update_fields=["left_at", "seconds_in_stage"])
    if to_stage.outcome != Outcome.LOST:
        StageMove.objects.filter(
            opportunity=saved, to_stage__position__lt=to_stage.position, went_further=False
        ).update(went_further=True)
    move = StageMove.objects.create(
        opportunity=saved, from_stage=previous, to_stage=to_stage, moved_at=now, moved_by=_user(by)
    )
    _write_timeline(saved, move, by)
    if to_stage.outcome == Outcome.WON:
        transaction.on_commit(
            lambda: opportunity_won.send(
                sender=Opportunity, opportunity=Opportunity.objects.get(pk=saved.pk)
            )
        )
    return move


def _write_timeline(opportunity: Opportunity, move: StageMove, by: Any) -> None:
    if move.from_stage is None:
        title = timeline.phrase(
            gettext_noop("Opportunity opened: %(name)s (%(stage)s)"),
            name=opportunity.name,
            stage=_stage_name(move.to_stage),
        )
    else:
        title = timeline.phrase(
            gettext_noop("Opportunity %(name)s: %(from)s → %(to)s"),
            name=opportunity.name,
            **{"from": _stage_name(move.from_stage), "to": _stage_name(move.to_stage)},
        )
    timeline.record(
        account_id=opportunity.account_id,
        kind=TimelineEntry.Kind.OPPORTUNITY,
        source=f"pipeline.move:{move.pk}",
        occurred_at=move.moved_at,
        title=title,
        summary=f"{opportunity.amount} {opportunity.currency}",
        actor=_user(by),
        url=reverse("pipeline:opportunity", args=[opportunity.pk]),
        restricted=True,
    )


# --- buying roles and competitors -------------------------------------------------------------


@transaction.atomic
def role_set(
    *, opportunity: Opportunity, person: Person, role: str, stance: str = Stance.NEUTRAL
) -> OpportunityRole:
    """Give one of the account's people a buying role on this opportunity (or change its stance)."""
    _check_choice("role", role, BuyingRoleKind)
    _check_choice("stance", stance, Stance)
    if person.account_id != opportunity.account_id:
        raise ValidationError({"person": _("The person must be on this account's map.")})
    found, created = OpportunityRole.objects.get_or_create(
        opportunity=opportunity, person=person, role=role, defaults={"stance": stance}
    )
    if not created and found.stance != stance:
        found.stance = stance
        found.version += 1
        found.save()
    return found


def role_remove(*, opportunity: Opportunity, person_id: int, role: str) -> None:
    """Take a buying role on this opportunity away (nothing happens if it was not held)."""
    for found in OpportunityRole.objects.filter(
        opportunity=opportunity, person_id=person_id, role=role
    ):
        found.delete()  # one by one, so the audit log records it


def competitor_add(
    *, opportunity: Opportunity, name: str, threat: str = "medium", notes: str = ""
) -> Competitor:
    """Name a competitor in this opportunity."""
    name = name.strip()
    if opportunity.competitors.filter(name=name).exists():
        raise ValidationError({"name": _("This competitor is already named.")})
    competitor = Competitor(opportunity=opportunity, name=name, threat=threat, notes=notes)
    competitor.full_clean()
    competitor.save()
    return competitor


def competitor_remove(*, competitor: Competitor) -> None:
    competitor.delete()


def lead_delete(*, lead: Lead) -> None:
    """Remove a lead that was never converted (a converted one is the opportunity's origin)."""
    if lead.status == LeadStatus.CONVERTED:
        raise MoveRefused(_("A converted lead is kept: its opportunity came from it."))
    lead.delete()


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity) -> None:
    """Remove an opportunity opened by mistake, with its timeline lines; a won one is kept."""
    if opportunity.stage.outcome == Outcome.WON:
        raise MoveRefused(_("A won opportunity is kept: its contract follows from it."))
    for move_id in opportunity.moves.values_list("pk", flat=True):
        timeline.forget(source=f"pipeline.move:{move_id}")
    Lead.objects.filter(opportunity=opportunity).update(status=LeadStatus.QUALIFIED)
    opportunity.delete()


def stage_create(**fields: Any) -> Stage:
    """Add a stage to the pipeline (administrators)."""
    stage = Stage(**fields)
    stage.full_clean()
    stage.save()
    return stage


def stage_update(*, stage: Stage, version: int, **changes: Any) -> Stage:
    """Rename, re-weigh, reorder or retire a stage (409 on a stale version). A stage with open
    opportunities stays in use; the last open stage in use stays too."""
    if changes.get("is_active") is False and stage.is_active:
        if stage.opportunities.filter(stage__outcome=Outcome.OPEN).exists():
            raise MoveRefused(_("Opportunities are at this stage: move them before retiring it."))
        if stage.outcome == Outcome.OPEN and len(open_stages()) <= 1:
            raise MoveRefused(_("The pipeline needs at least one open stage in use."))
    changes_outcome = "outcome" in changes and changes["outcome"] != stage.outcome
    if changes_outcome and stage.opportunities.exists():
        raise MoveRefused(_("The outcome of a stage with opportunities cannot change."))
    return save_if_current(stage, expected_version=version, changes=changes)
