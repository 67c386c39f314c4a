"""Change orders (合同变更): proposed elements, the diff against the current version, cost and
schedule impact computed from it, approval by the contract type's rules, and on approval a new
numbered version of the contract."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kehu.contracts import approvals
from kehu.contracts import elements as el
from kehu.contracts.models import ChangeOrder, ChangeStatus, Contract
from kehu.contracts.services import (
    CHANGEABLE,
    TransitionRefused,
    snapshot_version,
)
from kehu.core.concurrency import StaleVersionError

OPEN = {ChangeStatus.DRAFT, ChangeStatus.IN_APPROVAL, ChangeStatus.RETURNED}


def _impact(contract: Contract, clean: dict[str, Any]) -> tuple[Decimal, int]:
    after = el.totals(clean).gross
    days = 0
    if contract.delivery_due and clean["delivery_due"]:
        days = (clean["delivery_due"] - contract.delivery_due).days
    return after - contract.gross_total, days


def _lock_changeable(contract: Contract) -> Contract:
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status not in CHANGEABLE:
        raise TransitionRefused(
            _("A “%(status)s” contract takes no change orders (drafts are edited directly).")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def change_create(
    *, contract: Contract, by: Any, reason: str, elements: dict[str, Any]
) -> ChangeOrder:
    """Propose a change: the full new elements and why; cost and schedule impact computed."""
    clean = el.clean_elements(elements)
    locked = _lock_changeable(contract)
    if not reason.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": _("Say why the contract changes.")})
    if locked.changes.filter(status__in=OPEN).exists():
        raise TransitionRefused(_("This contract already has an open change order."))
    if locked.revision == 0:
        snapshot_version(locked, by)
    cost, days = _impact(locked, clean)
    number = (locked.changes.aggregate(m=Max("number"))["m"] or 0) + 1
    change = ChangeOrder.objects.create(
        contract=locked,
        number=number,
        reason=reason.strip()[:5000],
        proposed=el.plain(clean),
        base_revision=locked.revision,
        cost_impact=cost,
        schedule_impact_days=days,
        created_by=by,
    )
    return change


def change_diff(change: ChangeOrder) -> list[el.Difference]:
    """What the change order changes against the version it is based on."""
    base = change.contract.versions.filter(number=change.base_revision).first()
    before = base.elements if base else el.snapshot(change.contract)
    return el.diff(before, change.proposed)


@transaction.atomic
def change_submit(*, change: ChangeOrder, by: Any, version: int) -> ChangeOrder:
    """Send a draft or returned change order for approval (the same rules as the contract)."""
    contract = _lock_changeable(change.contract)
    locked = ChangeOrder.objects.select_for_update().get(pk=change.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if locked.status not in (ChangeStatus.DRAFT, ChangeStatus.RETURNED):
        raise TransitionRefused(_("This change order is not a draft."))
    clean = el.clean_elements(locked.proposed)
    amount = (abs(locked.cost_impact) * contract.exchange_rate).quantize(Decimal("0.01"))
    approvals.start_change_approval(
        contract=contract,
        change=locked,
        by=by,
        amount=amount,
        discount=el.totals(clean).max_discount,
    )
    locked.status = ChangeStatus.IN_APPROVAL
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated_at"])
    return locked


@transaction.atomic
def change_withdraw(*, change: ChangeOrder, by: Any, version: int) -> ChangeOrder:
    locked = ChangeOrder.objects.select_for_update().get(pk=change.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if locked.status not in (ChangeStatus.DRAFT, ChangeStatus.RETURNED):
        raise TransitionRefused(_("Only a draft or returned change order can be withdrawn."))
    locked.status = ChangeStatus.WITHDRAWN
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated_at"])
    return locked
