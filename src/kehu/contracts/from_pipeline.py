"""A won opportunity becomes a contract draft (SPEC §5: a contract is born from an opportunity).

The pipeline sends ``opportunity_won`` after the move is committed; this receiver drafts the
contract once per opportunity: the account, the deal's name as title, one line item for the
won amount, the AR as owner. A deal in a currency contracts do not carry, or in a foreign one
(whose exchange rate nobody has given yet), is drafted in CNY without lines and says so in its
special terms, so the owner enters the rate and the lines before sending it for approval.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from kehu.contracts import services
from kehu.contracts.models import Contract, ContractType, Currency, LineKind, VatRate

logger = logging.getLogger(__name__)

# The contract type a won deal is drafted as, when it exists (else the first active type).
DEFAULT_TYPE_CODE = "sales"


def draft_type() -> ContractType | None:
    active = ContractType.objects.filter(is_active=True)
    return active.filter(code=DEFAULT_TYPE_CODE).first() or active.order_by("code").first()


def draft_from_opportunity(opportunity: Any) -> Contract | None:
    """The contract draft of a won opportunity, created on first call (idempotent)."""
    existing = Contract.objects.filter(opportunity=opportunity).first()
    if existing is not None:
        return existing
    contract_type = draft_type()
    author = _author(opportunity)
    if contract_type is None or author is None:
        logger.warning(
            "No contract drafted for won opportunity %s: %s",
            opportunity.pk,
            "no active contract type" if contract_type is None else "no user to own it",
        )
        return None
    with translation.override("zh-hans" if _is_chinese(opportunity.name) else "en"):
        elements = _elements(opportunity)
    try:
        with transaction.atomic():
            contract = services.contract_create(
                by=author,
                account=opportunity.account,
                contract_type=contract_type,
                elements=elements,
                department=getattr(opportunity.ar, "department", None),
            )
            Contract.objects.filter(pk=contract.pk).update(opportunity=opportunity)
    except IntegrityError:  # another worker drafted it at the same instant
        return Contract.objects.filter(opportunity=opportunity).first()
    contract.opportunity = opportunity
    return contract


def on_opportunity_won(sender: Any, opportunity: Any, **kwargs: Any) -> None:
    try:
        draft_from_opportunity(opportunity)
    except Exception:  # the move is committed; a failed draft is logged, never raised to it
        logger.exception("Drafting the contract of won opportunity %s failed", opportunity.pk)


def _author(opportunity: Any) -> Any:
    for employee in (opportunity.ar, opportunity.sr, opportunity.fr):
        user = getattr(employee, "user", None) if employee is not None else None
        if user is not None and user.is_active:
            return user
    return None


def _elements(opportunity: Any) -> dict[str, Any]:
    title = opportunity.name[:200]
    if opportunity.currency == Currency.CNY:
        return {
            "title": title,
            "currency": Currency.CNY,
            "lines": [
                {
                    "kind": LineKind.SERVICE,
                    "name": title,
                    "quantity": "1",
                    "unit": gettext("lot"),
                    "unit_price": str(opportunity.amount),
                    "tax_rate": VatRate.SERVICES,
                }
            ],
        }
    note = gettext(
        "Won at %(amount)s %(currency)s: enter the exchange rate and the line items."
    ) % {"amount": opportunity.amount, "currency": opportunity.currency}
    return {"title": title, "currency": Currency.CNY, "special_terms": note}


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)
