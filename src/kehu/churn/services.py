"""Writes of churn reviews: open, edit, attribute, move through open → reviewed → closed, and
follow-ups.

The rules (SPEC §3): a review is attributed to one of three classes before it counts as
reviewed; commercial churn names the competitor; service-capability churn names where it traces
to and links the tickets or major incidents behind it. An account has one review in progress
(open or reviewed) at a time. Every status change is logged and shown on the account timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.churn.models import (
    ACTIVE_STATUSES,
    CAUSE_FIELDS,
    TRANSITIONS,
    Attribution,
    ChurnFollowUp,
    ChurnReview,
    ChurnStatusChange,
    ReviewKind,
    ReviewStatus,
)
from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.customers import timeline
from kehu.customers.models import Account, TimelineEntry
from kehu.desk.models import Ticket
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

MAX_TEXT = 20000
TEXT_FIELDS = ("evidence", "customer_attendees", "decision", "attribution_notes")
EDITABLE = frozenset(
    {
        "kind",
        "noticed_on",
        "review_held_on",
        "revenue_before",
        "revenue_after",
        "currency",
        "competitor",
        "attribution",
        *TEXT_FIELDS,
        *CAUSE_FIELDS.values(),
        "attendees",
        "tickets",
        "incidents",
    }
)
MANY = frozenset({"attendees", "tickets", "incidents"})
CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class NewReview:
    account: Account
    kind: str
    noticed_on: date | None = None
    revenue_before: Decimal | None = None
    revenue_after: Decimal | None = None
    currency: str = "CNY"
    evidence: str = ""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


# --- the rules ---------------------------------------------------------------------------------


def _field_errors(values: dict[str, Any], today: date) -> dict[str, list[str]]:
    """Rules every saved review keeps, whatever its status."""
    errors: dict[str, list[str]] = {}
    if values["kind"] not in ReviewKind.values:
        _add(errors, "kind", _("Choose whether the account was lost or is shrinking."))
    noticed = values["noticed_on"]
    if noticed is None:
        _add(errors, "noticed_on", _("Say when the churn was noticed."))
    elif noticed > today:
        _add(errors, "noticed_on", _("The churn cannot be noticed in the future."))
    held = values["review_held_on"]
    if held is not None and held > today:
        _add(errors, "review_held_on", _("Record the review once it has been held."))
    before, after = values["revenue_before"], values["revenue_after"]
    for name, amount in (("revenue_before", before), ("revenue_after", after)):
        if amount is not None and amount < 0:
            _add(errors, name, _("Revenue cannot be negative."))
    if after is not None and before is None:
        _add(errors, "revenue_before", _("Give the revenue before, to compare the revenue after."))
    elif before is not None and after is not None and after >= 0:
        if values["kind"] == ReviewKind.SHRINKING and after >= before:
            _add(
                errors,
                "revenue_after",
                _("A shrinking account brings less than before: give a smaller amount."),
            )
        if values["kind"] == ReviewKind.LOST and after > 0:
            _add(
                errors,
                "revenue_after",
                _("A lost account brings no revenue: leave this empty or give 0."),
            )
    if not CURRENCY.match(values["currency"] or ""):
        _add(errors, "currency", _("Give a three-letter currency code such as CNY."))
    attribution = values["attribution"]
    if attribution and attribution not in Attribution.values:
        _add(errors, "attribution", _("Unknown attribution."))
    if values["competitor"] and attribution != Attribution.COMMERCIAL:
        _add(errors, "competitor", _("A competitor is named only for commercial churn."))
    if attribution != Attribution.SERVICE_CAPABILITY and any(
        values[name] for name in CAUSE_FIELDS.values()
    ):
        _add(
            errors,
            "cause_areas",
            _("Cause areas are traced only for service-capability churn."),
        )
    for name in TEXT_FIELDS:
        if len(values[name]) > MAX_TEXT:
            _add(errors, name, _("This text is too long."))
    return errors


def _reviewed_errors(values: dict[str, Any], links: int) -> dict[str, list[str]]:
    """What a review needs before it counts as reviewed (and while it stays reviewed)."""
    errors: dict[str, list[str]] = {}
    attribution = values["attribution"]
    if not attribution:
        _add(
            errors,
            "attribution",
            _("Attribute the churn to one of the three classes before marking it reviewed."),
        )
    if values["review_held_on"] is None:
        _add(errors, "review_held_on", _("Record when the review was held."))
    if attribution == Attribution.COMMERCIAL and not values["competitor"]:
        _add(errors, "competitor", _("Commercial churn names the competitor the volume went to."))
    if attribution == Attribution.SERVICE_CAPABILITY:
        if not any(values[name] for name in CAUSE_FIELDS.values()):
            _add(
                errors,
                "cause_areas",
                _("Trace service-capability churn to at least one cause area."),
            )
        if links == 0:
            _add(
                errors,
                "tickets",
                _(
                    "Service-capability churn links the tickets or major incidents behind it: "
                    "link at least one."
                ),
            )
    return errors


def _values(review: ChurnReview, changes: dict[str, Any]) -> dict[str, Any]:
    names = EDITABLE - MANY
    values = {name: changes.get(name, getattr(review, name)) for name in names}
    for name in (*TEXT_FIELDS, "competitor"):
        values[name] = (values[name] or "").strip()
    values["currency"] = (values["currency"] or "").strip().upper()
    values["attribution"] = values["attribution"] or ""
    return values


def _check_links(
    account: Account, tickets: Iterable[Ticket] | None, incidents: Iterable[MajorIncident] | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if tickets is not None:
        foreign = [t.reference for t in tickets if t.account_id != account.pk]
        if foreign:
            _add(
                errors,
                "tickets",
                _("These tickets are not the account's: %(refs)s.") % {"refs": ", ".join(foreign)},
            )
    if incidents is not None:
        ids = {i.pk for i in incidents}
        affected = set(
            MajorIncident.objects.filter(pk__in=ids, affected_accounts=account).values_list(
                "pk", flat=True
            )
        )
        foreign = [f"MI-{pk}" for pk in sorted(ids - affected)]
        if foreign:
            _add(
                errors,
                "incidents",
                _("These major incidents did not affect the account: %(refs)s.")
                % {"refs": ", ".join(foreign)},
            )
    return errors


def _merge(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for field, messages in part.items():
            merged.setdefault(field, []).extend(messages)
    return merged


# --- timeline and notifications ----------------------------------------------------------------


def record_timeline(review: ChurnReview, actor: Any) -> None:
    """The account's timeline line for this review (restricted: only dossier readers see it),
    worded in both languages."""
    summary: str | timeline.Phrase = ""
    if review.attribution and review.competitor:
        summary = timeline.phrase(
            gettext_noop("Attributed: %(attribution)s (to %(competitor)s)"),
            attribution=Attribution(review.attribution).label,
            competitor=review.competitor,
        )
    elif review.attribution:
        summary = timeline.phrase(
            gettext_noop("Attributed: %(attribution)s"),
            attribution=Attribution(review.attribution).label,
        )
    timeline.record(
        account_id=review.account_id,
        kind=TimelineEntry.Kind.CHURN,
        source=f"churn.review:{review.pk}",
        occurred_at=review.created_at,
        title=timeline.phrase(
            gettext_noop("Churn review %(ref)s (%(kind)s): %(status)s"),
            ref=review.reference,
            kind=ReviewKind(review.kind).label,
            status=ReviewStatus(review.status).label,
        ),
        summary=summary,
        actor=actor,
        url=reverse("churn:detail", args=[review.pk]),
        restricted=True,
    )


def _log(review: ChurnReview, old: str, new: str, actor: Any, note: str = "") -> None:
    ChurnStatusChange.objects.create(
        review=review, old_status=old, new_status=new, by=_user(actor), note=note[:500]
    )


# --- open and edit -----------------------------------------------------------------------------


def review_open(data: NewReview, *, actor: Any, now: datetime | None = None) -> ChurnReview:
    """Open a churn review of an account, snapshotting its owner and the owner's department;
    the owner and after-sales are told once it is saved."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    values = {
        "kind": data.kind,
        "noticed_on": data.noticed_on or today,
        "review_held_on": None,
        "revenue_before": data.revenue_before,
        "revenue_after": data.revenue_after,
        "currency": (data.currency or "").strip().upper(),
        "competitor": "",
        "attribution": "",
        "evidence": (data.evidence or "").strip(),
        "customer_attendees": "",
        "decision": "",
        "attribution_notes": "",
        **dict.fromkeys(CAUSE_FIELDS.values(), False),
    }
    errors = _field_errors(values, today)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The account's row lock serialises two people opening a review of it at once; the
        # partial unique constraint backs it up.
        account = Account.objects.select_for_update().get(pk=data.account.pk)
        existing = (
            ChurnReview.objects.filter(account=account, status__in=ACTIVE_STATUSES)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is not None:
            raise ValidationError(
                {
                    "account": [
                        _(
                            "This account already has a churn review in progress (CR-%(pk)s); "
                            "close it before opening another."
                        )
                        % {"pk": existing}
                    ]
                }
            )
        owner = (
            Employee.objects.filter(pk=account.owner_id).only("pk", "department_id").first()
            if account.owner_id
            else None
        )
        review = ChurnReview(
            account=account,
            owner_at_review=owner,
            department_id=owner.department_id if owner else None,
            opened_by=_user(actor),
            **values,
        )
        review.full_clean(exclude=["account"])
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"account": [_("This account already has a churn review in progress.")]}
            ) from exc
        _log(review, "", ReviewStatus.OPEN, actor)
        record_timeline(review, actor)
        from kehu.churn.notifications import notify_review_opened

        review_id, actor_id = review.pk, getattr(_user(actor), "pk", None)
        transaction.on_commit(lambda: notify_review_opened(review_id, actor_id=actor_id))
    return review


def _locked(review: ChurnReview) -> ChurnReview:
    """The review's row, locked until the caller's transaction ends (callers hold atomic)."""
    return ChurnReview.objects.select_for_update().get(pk=review.pk)


def _refuse_if_closed(review: ChurnReview) -> None:
    if review.is_closed:
        raise ValidationError(
            _("%(ref)s is closed; it can no longer change.") % {"ref": review.reference}
        )


def review_update(
    review: ChurnReview, *, actor: Any, expected_version: int, changes: dict[str, Any]
) -> ChurnReview:
    """Change a review's record and attribution if nobody saved it since ``expected_version``.
    A reviewed review must keep satisfying the attribution rules."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed here.")] for name in sorted(unknown)}
        )
    many = {name: list(changes[name]) for name in MANY if name in changes}
    with transaction.atomic():
        current = _locked(review)
        if current.version != expected_version:
            raise StaleVersionError(current)
        _refuse_if_closed(current)
        values = _values(current, changes)
        errors = _merge(
            _field_errors(values, timezone.localdate()),
            _check_links(current.account, many.get("tickets"), many.get("incidents")),
        )
        if current.status == ReviewStatus.REVIEWED and not errors:
            links = (len(many["tickets"]) if "tickets" in many else current.tickets.count()) + (
                len(many["incidents"]) if "incidents" in many else current.incidents.count()
            )
            errors = _reviewed_errors(values, links)
        if errors:
            raise ValidationError(errors)
        old_line = (current.attribution, current.competitor, current.kind)
        updated = save_if_current(current, expected_version=expected_version, changes=values)
        for name, objects in many.items():
            getattr(updated, name).set(objects)
        if (updated.attribution, updated.competitor, updated.kind) != old_line:
            record_timeline(updated, actor)
    return updated


def review_transition(
    review: ChurnReview, *, actor: Any, expected_version: int, status: str, note: str = ""
) -> ChurnReview:
    """Move a review along open → reviewed → closed (or back from reviewed to open). Reviewed
    needs the attribution rules met; closing needs every follow-up done."""
    now = timezone.now()
    with transaction.atomic():
        current = _locked(review)
        if current.version != expected_version:
            raise StaleVersionError(current)
        old = current.status
        if status not in ReviewStatus.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        if status not in TRANSITIONS.get(old, frozenset()):
            raise ValidationError(
                {
                    "status": [
                        _("A review cannot go from %(old)s to %(new)s.")
                        % {"old": ReviewStatus(old).label, "new": ReviewStatus(status).label}
                    ]
                }
            )
        changes: dict[str, Any] = {"status": status}
        if status == ReviewStatus.REVIEWED:
            links = current.tickets.count() + current.incidents.count()
            errors = _reviewed_errors(_values(current, {}), links)
            if errors:
                raise ValidationError(errors)
            changes["reviewed_at"] = now
        elif status == ReviewStatus.CLOSED:
            pending = current.follow_ups.filter(done_at__isnull=True).count()
            if pending:
                raise ValidationError(
                    {
                        "status": [
                            _("Finish the follow-ups before closing (%(count)s still open).")
                            % {"count": pending}
                        ]
                    }
                )
            changes["closed_at"] = now
        elif status == ReviewStatus.OPEN:
            changes["reviewed_at"] = None
        updated = save_if_current(current, expected_version=expected_version, changes=changes)
        _log(updated, old, status, actor, note)
        record_timeline(updated, actor)
    return updated


# --- follow-ups --------------------------------------------------------------------------------


def follow_up_add(
    review: ChurnReview,
    *,
    actor: Any,
    action: str,
    owner: Employee | None,
    due_on: date | None = None,
) -> ChurnFollowUp:
    """Add a follow-up action with its owner (and due date) to a review that is not closed."""
    errors: dict[str, list[str]] = {}
    action = (action or "").strip()
    if not action:
        _add(errors, "action", _("Say what is to be done."))
    elif len(action) > 500:
        _add(errors, "action", _("Keep the action under 500 characters."))
    if owner is None:
        _add(errors, "owner", _("Name who owns the follow-up."))
    elif not owner.is_active:
        _add(errors, "owner", _("%(name)s is no longer active.") % {"name": owner})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked(review)
        _refuse_if_closed(current)
        follow_up = ChurnFollowUp(review=current, action=action, owner=owner, due_on=due_on)
        follow_up.full_clean()
        follow_up.save()
    return follow_up


def follow_up_complete(
    follow_up: ChurnFollowUp, *, actor: Any, expected_version: int, note: str = ""
) -> ChurnFollowUp:
    """Mark a follow-up done with a note of what was done."""
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError({"done_note": [_("This text is too long.")]})
    with transaction.atomic():
        review = _locked(follow_up.review)
        _refuse_if_closed(review)
        current = ChurnFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if current.version != expected_version:
            raise StaleVersionError(current)
        if current.is_done:
            raise ValidationError(_("This follow-up is already done."))
        return save_if_current(
            current,
            expected_version=expected_version,
            changes={"done_at": timezone.now(), "done_note": note},
        )


def cause_changes(areas: Sequence[str]) -> dict[str, bool]:
    """The cause flags for a list of cause areas (forms and the API name areas)."""
    chosen = set(areas)
    return {name: area in chosen for area, name in CAUSE_FIELDS.items()}
