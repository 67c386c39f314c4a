"""Writing contracts: create, edit elements (draft only; later through change orders), the
validated lifecycle, versions, and the search document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.contracts import elements as el
from kehu.contracts.models import (
    ChangeOrder,
    ChangeStatus,
    Clause,
    Contract,
    ContractLine,
    ContractSearchDocument,
    ContractVersion,
    Decision,
    Kind,
    PaymentMilestone,
    RiskRule,
    Status,
    StatusChange,
)
from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.customers import timeline
from kehu.customers.models import TimelineEntry
from kehu.desk.search import document_tokens, tokenize

S = Status
# The lifecycle (SPEC §5). IN_APPROVAL and APPROVED are reached only through approvals.py.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.IN_APPROVAL, S.CANCELLED},
    S.IN_APPROVAL: {S.APPROVED, S.DRAFT},
    S.APPROVED: {S.NEGOTIATING, S.SIGNED, S.CANCELLED},
    S.NEGOTIATING: {S.SIGNED, S.DRAFT, S.CANCELLED},
    S.SIGNED: {S.DELIVERING, S.TERMINATED},
    S.DELIVERING: {S.INITIALLY_ACCEPTED, S.TERMINATED},
    S.INITIALLY_ACCEPTED: {S.FINALLY_ACCEPTED, S.TERMINATED},
    S.FINALLY_ACCEPTED: {S.CLOSED},
    S.CLOSED: set(),
    S.TERMINATED: set(),
    S.CANCELLED: set(),
}
SYSTEM_ONLY = {S.IN_APPROVAL, S.APPROVED}
NEEDS_REASON = {S.TERMINATED, S.CANCELLED, S.DRAFT}
EDITABLE = {S.DRAFT}
# After approval, elements change only through an approved change order.
CHANGEABLE = {S.APPROVED, S.NEGOTIATING, S.SIGNED, S.DELIVERING, S.INITIALLY_ACCEPTED}


class TransitionRefused(Exception):
    """A lifecycle step that is not allowed now (the API answers 409 with this reason)."""


def next_statuses(contract: Contract) -> list[str]:
    """The statuses a person may move the contract to from here."""
    return [s for s in Status.values if s in TRANSITIONS[contract.status] - SYSTEM_ONLY]


def _next_number(today: datetime) -> str:
    prefix = f"HT-{today:%Y}-"
    last = (
        Contract.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def _apply(contract: Contract, clean: dict[str, Any]) -> None:
    for name in el.SCALARS:
        setattr(contract, name, clean[name])
    sums = el.totals(clean)
    contract.net_total = sums.net - sums.rebate
    contract.tax_total = sums.tax
    contract.gross_total = sums.gross
    contract.total_cny = sums.gross_cny
    contract.max_discount_percent = sums.max_discount


def _write_rows(contract: Contract, clean: dict[str, Any]) -> None:
    contract.lines.all().delete()
    contract.milestones.all().delete()
    ContractLine.objects.bulk_create(
        [
            ContractLine(contract=contract, position=i + 1, **row)
            for i, row in enumerate(clean["lines"])
        ]
    )
    PaymentMilestone.objects.bulk_create(
        [
            PaymentMilestone(contract=contract, position=i + 1, **row)
            for i, row in enumerate(clean["milestones"])
        ]
    )


@transaction.atomic
def contract_create(
    *,
    by: Any,
    account: Any,
    contract_type: Any,
    elements: dict[str, Any],
    kind: str = Kind.FORMAT,
    owner: Any = None,
    department: Any = None,
    template: Any = None,
    document: Any = None,
    document_text: str = "",
) -> Contract:
    """Create a draft contract with its elements; totals are computed from the lines."""
    clean = el.clean_elements(elements)
    now = timezone.now()
    contract = Contract(
        number=_next_number(now),
        account=account,
        contract_type=contract_type,
        kind=kind,
        owner=owner or by,
        department=department,
        template=template,
        created_by=by,
        status_changed_at=now,
        document_text=document_text,
    )
    if document is not None:
        contract.document = document
    _apply(contract, clean)
    contract.full_clean(exclude=["number"])
    contract.save()
    _write_rows(contract, clean)
    index_contract(contract)
    _timeline(contract, by, now, gettext_noop("Contract %(number)s drafted: %(title)s"), "draft")
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, version: int, elements: dict[str, Any], by: Any = None
) -> Contract:
    """Replace a draft's elements (409 on a stale version; drafts only)."""
    clean = el.clean_elements(elements)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if locked.status not in EDITABLE:
        raise TransitionRefused(
            _(
                "Only a draft's elements can be edited; a %(status)s contract changes through a change order."
            )
            % {"status": locked.get_status_display()}
        )
    _apply(locked, clean)
    locked.full_clean()
    locked.version += 1
    locked.save()
    _write_rows(locked, clean)
    index_contract(locked)
    return locked


def apply_elements(contract: Contract, clean: dict[str, Any]) -> None:
    """Write approved elements onto a (locked) contract: used by change orders."""
    _apply(contract, clean)
    contract.full_clean()
    contract.version += 1
    contract.save()
    _write_rows(contract, clean)
    index_contract(contract)


def snapshot_version(contract: Contract, by: Any, change_order: Any = None) -> ContractVersion:
    """Number the contract's current elements as its next version."""
    number = (contract.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    Contract.objects.filter(pk=contract.pk).update(revision=number)
    contract.revision = number
    return ContractVersion.objects.create(
        contract=contract,
        number=number,
        elements=el.snapshot(contract),
        created_at=timezone.now(),
        created_by=by,
        change_order=change_order,
    )


def _timeline(
    contract: Contract, by: Any, at: datetime, msgid: str, key: str, **extra: Any
) -> None:
    timeline.record(
        account_id=contract.account_id,
        kind=TimelineEntry.Kind.CONTRACT,
        source=f"contracts.contract:{contract.pk}:{key}",
        occurred_at=at,
        title=timeline.phrase(msgid, number=contract.number, title=contract.title, **extra),
        actor=by,
        url=reverse("contracts:detail", args=[contract.pk]),
        restricted=True,
    )


def set_status(contract: Contract, to: str, *, by: Any, reason: str = "") -> StatusChange:
    """Move a locked contract along the lifecycle; the caller validated the step."""
    now = timezone.now()
    change = StatusChange.objects.create(
        contract=contract, from_status=contract.status, to_status=to, by=by, at=now, reason=reason
    )
    contract.status = to
    contract.status_changed_at = now
    contract.version += 1
    contract.save(update_fields=["status", "status_changed_at", "version", "updated_at"])
    _timeline(
        contract,
        by,
        now,
        gettext_noop("Contract %(number)s: %(status)s"),
        f"status:{change.pk}",
        status=Status(to).label,
    )
    return change


@transaction.atomic
def contract_transition(
    *, contract: Contract, to: str, by: Any, version: int, reason: str = ""
) -> Contract:
    """Move the contract to ``to`` if the lifecycle allows it now (TransitionRefused says why)."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if to not in Status.values:
        raise TransitionRefused(_("%(status)s is not a contract status.") % {"status": to[:40]})
    label = {"from": locked.get_status_display(), "to": Status(to).label}
    if to in SYSTEM_ONLY:
        raise TransitionRefused(
            _("A contract reaches “%(to)s” only through its approval workflow.") % label
        )
    if to not in TRANSITIONS[locked.status]:
        raise TransitionRefused(_("A contract cannot go from “%(from)s” to “%(to)s”.") % label)
    if to in NEEDS_REASON and not reason.strip():
        raise TransitionRefused(_("Moving a contract to “%(to)s” needs a reason.") % label)
    if to == S.SIGNED and not locked.lines.exists():
        raise TransitionRefused(_("A contract without line items cannot be signed."))
    if to == S.SIGNED and locked.effective_on is None:
        raise TransitionRefused(_("Enter the effective date before signing."))
    set_status(locked, to, by=by, reason=reason.strip()[:500])
    return locked


# --- search --------------------------------------------------------------------------------------


def _document_words(contract: Contract) -> str:
    parts = [contract.number, contract.title, contract.account.name, contract.document_text]
    parts += [getattr(contract, f) for f in el.SCALARS if el.SCALARS[f][0] in (el.TEXT, el.LONG)]
    parts += [
        f"{line.name} {line.configuration} {line.commitments}" for line in contract.lines.all()
    ]
    return "\n".join(p for p in parts if p)


def index_contract(contract: Contract) -> None:
    """Refresh the contract's search document (desk.search's tokens: CJK bigrams and words)."""
    tokens = " ".join(dict.fromkeys(document_tokens(_document_words(contract))))
    ContractSearchDocument.objects.update_or_create(
        contract=contract, defaults={"tokens": f" {tokens} "}
    )


def search_filter(query: str) -> Q | None:
    """A filter matching contracts holding every token of ``query`` (None: no usable token)."""
    tokens = list(dict.fromkeys(tokenize(query[:200])))[:16]
    if not tokens:
        return None
    found = Q()
    for token in tokens:
        found &= Q(search_document__tokens__contains=f" {token} ")
    return found


# --- the library ---------------------------------------------------------------------------------


@transaction.atomic
def clause_add(*, code: str, **fields: Any) -> Clause:
    """Add a clause, or the next version of ``code`` (earlier versions stay as they were)."""
    last = Clause.objects.select_for_update().filter(code=code).aggregate(m=Max("version"))["m"]
    clause = Clause(code=code, version=(last or 0) + 1, **fields)
    clause.full_clean()
    clause.save()
    return clause


def risk_rule_update(*, rule: RiskRule, version: int, changes: dict[str, Any]) -> RiskRule:
    """Tune a rule (parameter checked against its kind; the added step's role must approve)."""
    from kehu.contracts.risk import validate_rule

    if "parameter" in changes:
        validate_rule(rule.kind, changes["parameter"])
    role = changes.get("adds_approver_role")
    if role and role not in {"department_lead", "finance", "legal", "management"}:
        raise ValidationError(
            {"adds_approver_role": _("Choose department_lead, finance, legal or management.")}
        )
    return save_if_current(rule, expected_version=version, changes=changes)


# --- change orders, once decided (approvals.py calls these) ---------------------------------------


def apply_change(contract: Contract, change: ChangeOrder, by: Any) -> None:
    """Approved: write the proposed elements and number the result as a new version (the
    caller holds the contract's lock)."""
    clean = el.clean_elements(change.proposed)
    apply_elements(contract, clean)
    change.status = ChangeStatus.APPLIED
    change.version += 1
    change.save(update_fields=["status", "version", "updated_at"])
    version = snapshot_version(contract, by, change)
    _timeline(
        contract,
        by,
        timezone.now(),
        gettext_noop("Contract %(number)s changed (version %(version)s)"),
        f"change:{change.pk}",
        version=version.number,
    )


def close_change(change: ChangeOrder, decision: str) -> None:
    change.status = ChangeStatus.REJECTED if decision == Decision.REJECT else ChangeStatus.RETURNED
    change.version += 1
    change.save(update_fields=["status", "version", "updated_at"])
