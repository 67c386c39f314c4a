"""Writes of handovers: start one (moving every listed account to its new owner) and work
through the checklist items until the handover completes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit import bulk as audit_bulk
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account
from kehu.customers.services import account_change_owner
from kehu.handover.models import Handover, HandoverItem
from kehu.handover.rules import ALL_ITEM_FIELDS
from kehu.notify import notices
from kehu.notify.models import Notification
from kehu.org.models import Employee

MAX_TEXT = 20000
# Notification.event of handover notices (inbox and email; not a ticket event).
EVENT = "handover.assigned"


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def handover_start(
    *,
    from_employee: Employee,
    reason: str,
    by: Any,
    assignments: Mapping[Account, Employee] | None = None,
    new_owner: Employee | None = None,
    note: str = "",
) -> Handover:
    """Hand ``from_employee``'s accounts over: each account in ``assignments`` to its new owner,
    or — without assignments — every account they own to ``new_owner``. One transaction: the
    owners change (ownership history and timeline through account_change_owner), one checklist
    item per account is opened, and the new owners and the previous owner are notified after
    the commit."""
    errors: dict[str, list[str]] = defaultdict(list)
    if reason not in Handover.Reason.values:
        errors["reason"].append(_("Choose why the accounts are handed over."))
    if len(note) > MAX_TEXT:
        errors["note"].append(_("The note is too long."))
    if assignments is None:
        if new_owner is None:
            errors["new_owner"].append(_("Choose the new owner."))
            raise ValidationError(dict(errors))
        accounts = list(Account.objects.filter(owner=from_employee).order_by("id"))
        plan = dict.fromkeys(accounts, new_owner)
    else:
        plan = dict(assignments)
    if not plan:
        errors["accounts"].append(
            _("%(employee)s owns no account to hand over; choose at least one.")
            % {"employee": from_employee}
        )
    for account, owner in plan.items():
        if owner is None:
            errors["accounts"].append(
                _("Choose a new owner for %(account)s.") % {"account": account}
            )
        elif owner.pk == from_employee.pk:
            errors["accounts"].append(
                _("%(account)s cannot be handed over to its current owner.") % {"account": account}
            )
        elif not owner.is_active:
            errors["accounts"].append(
                _("%(employee)s is no longer active and cannot take %(account)s.")
                % {"employee": owner, "account": account}
            )
    if errors:
        raise ValidationError(dict(errors))
    try:
        with transaction.atomic():
            handover = _start(from_employee, plan, reason, note.strip(), by)
    except IntegrityError as exc:
        # Another handover of one of these accounts was opened at the same time.
        raise ValidationError(
            {"accounts": [_("One of these accounts has an open handover already.")]}
        ) from exc
    transaction.on_commit(lambda: handover_notify(handover_id=handover.pk), robust=True)
    return handover


def _start(
    from_employee: Employee,
    plan: dict[Account, Employee],
    reason: str,
    note: str,
    by: Any,
) -> Handover:
    ordered = sorted(plan.items(), key=lambda pair: pair[0].pk)  # a stable lock order
    ids = [account.pk for account, _owner in ordered]
    # Lock the accounts first, so the ownership checked below is the one that is changed.
    owners = dict(
        Account.objects.select_for_update().filter(pk__in=ids).values_list("pk", "owner_id")
    )
    busy = set(
        HandoverItem.objects.filter(account_id__in=ids)
        .exclude(status=HandoverItem.Status.DONE)
        .values_list("account_id", flat=True)
    )
    problems = []
    for account, _owner in ordered:
        if owners.get(account.pk) != from_employee.pk:
            problems.append(
                _("%(account)s is not owned by %(employee)s (any more).")
                % {"account": account, "employee": from_employee}
            )
        elif account.pk in busy:
            problems.append(
                _("%(account)s is in an open handover already; finish that one first.")
                % {"account": account}
            )
    if problems:
        raise ValidationError({"accounts": problems})
    handover = Handover.objects.create(
        from_employee=from_employee, reason=reason, note=note, created_by=_user(by)
    )
    label = Handover.Reason(reason).label
    items = []
    for account, owner in ordered:
        account_change_owner(
            account=account,
            owner=owner,
            changed_by=_user(by),
            reason=_("Handover %(ref)s: %(reason)s") % {"ref": handover.reference, "reason": label},
        )
        items.append(
            HandoverItem(
                handover=handover, account=account, previous_owner=from_employee, new_owner=owner
            )
        )
    audit_bulk.log_created(HandoverItem.objects.bulk_create(items))
    return handover


def handover_notify(*, handover_id: int) -> list[Notification]:
    """Tell each new owner which accounts they took over, and ask the previous owner for the
    background of each (inbox, and email by their preference and working hours)."""
    handover = Handover.objects.select_related("from_employee__user").get(pk=handover_id)
    items = list(handover.items.select_related("account", "new_owner__user"))
    url = reverse("handover:detail", args=[handover.pk])
    by_owner: dict[int, list[HandoverItem]] = defaultdict(list)
    for item in items:
        by_owner[item.new_owner_id].append(item)
    notes: list[Notification] = []
    for owned in by_owner.values():

        def taken_over(user: Any, owned: list[HandoverItem] = owned) -> tuple[str, str]:
            return (
                _("%(ref)s: you are the new owner of %(count)s accounts from %(employee)s")
                % {
                    "ref": handover.reference,
                    "count": len(owned),
                    "employee": handover.from_employee,
                },
                _("%(accounts)s. Plan the first in-person visit and read the background notes.")
                % {"accounts": ", ".join(str(item.account) for item in owned)},
            )

        notes += notices.notify_users(
            event=EVENT, users=[owned[0].new_owner.user], text=taken_over, url=url
        )

    def background_wanted(user: Any) -> tuple[str, str]:
        return (
            _("%(ref)s: please write the background of the %(count)s accounts you hand over")
            % {"ref": handover.reference, "count": len(items)},
            _("History, key people at the customer, sensitivities and open items: %(accounts)s.")
            % {"accounts": ", ".join(str(item.account) for item in items)},
        )

    notes += notices.notify_users(
        event=EVENT, users=[handover.from_employee.user], text=background_wanted, url=url
    )
    return notes


def _item_errors(item: HandoverItem, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    for name in ("background_notes", "open_items"):
        if len(getattr(item, name)) > MAX_TEXT:
            errors[name].append(_("This text is too long."))
    if item.first_visit_done_on is not None and item.first_visit_done_on > today:
        errors["first_visit_done_on"].append(_("The visit cannot be done in the future."))
    if item.status == HandoverItem.Status.DONE:
        if not item.background_notes.strip():
            errors["background_notes"].append(
                _("An item is done only with the previous owner's background notes.")
            )
        if item.first_visit_done_on is None:
            errors["first_visit_done_on"].append(
                _("An item is done only after the first in-person visit: enter its date.")
            )
    return errors


def handover_item_update(
    *,
    item: HandoverItem,
    by: Any,
    expected_version: int,
    changes: dict[str, Any],
    allowed: frozenset[str] = ALL_ITEM_FIELDS,
) -> HandoverItem:
    """Change the item's checklist if nobody saved it since ``expected_version``.

    ``allowed`` are the fields this person may change (see rules.item_fields). A pending item
    with work on it moves to in progress; "done" needs the background notes and the date of
    the first in-person visit; the handover completes when its last item is done.
    """
    refused = set(changes) - set(allowed)
    if refused:
        raise ValidationError(
            {name: [_("You cannot change this field.")] for name in sorted(refused)}
        )
    if "status" in changes and changes["status"] not in HandoverItem.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    now = timezone.now()
    try:
        with transaction.atomic():
            handover = Handover.objects.select_for_update().get(pk=item.handover_id)
            current = HandoverItem.objects.select_for_update().get(pk=item.pk)
            if current.version != expected_version:
                raise StaleVersionError(current)
            for name, value in changes.items():
                setattr(
                    current,
                    name,
                    value.strip() if isinstance(value, str) and name != "status" else value,
                )
            if (
                "status" not in changes
                and current.status == HandoverItem.Status.PENDING
                and any(done for _label, done in current.checklist)
            ):
                current.status = HandoverItem.Status.IN_PROGRESS
            errors = _item_errors(current, timezone.localdate(now))
            if errors:
                raise ValidationError(dict(errors))
            if current.status == HandoverItem.Status.DONE:
                current.completed_at = current.completed_at or now
            else:
                current.completed_at = None
            current.version = expected_version + 1
            current.save()
            _settle(handover, now)
    except IntegrityError as exc:
        raise ValidationError(
            {"status": [_("This account has another open handover; finish that one first.")]}
        ) from exc
    return current


def _settle(handover: Handover, now: Any) -> None:
    """Complete the handover when every item is done (and reopen it when one is reopened)."""
    open_left = handover.items.exclude(status=HandoverItem.Status.DONE).exists()
    status = Handover.Status.OPEN if open_left else Handover.Status.COMPLETED
    if status == handover.status:
        return
    handover.status = status
    handover.completed_at = None if open_left else now
    handover.version += 1
    handover.save(update_fields=["status", "completed_at", "version", "updated_at"])
