"""A contract's elements as one plain structure: validated on the way in, snapshotted for
versions and change orders, compared field by field, and priced (totals are computed here)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.contracts.models import (
    HUNDRED,
    ZERO,
    Contract,
    ContractLine,
    Currency,
    GuaranteeKind,
    LineKind,
    MilestoneTrigger,
    PaymentMilestone,
    PaymentModel,
    VatRate,
)

CENT = Decimal("0.01")
MAX_LINES = 500
MAX_MONEY = Decimal("9999999999999999.99")

# Scalar elements by group, with their kind: text, date, decimal (places, lowest, highest) or
# a choice. The order is the order of the detail page and of a version comparison.
TEXT, LONG, DATE = "text", "long", "date"
SCALARS: dict[str, tuple[Any, ...]] = {
    "title": (TEXT, 200),
    "currency": ("choice", Currency.values),
    "exchange_rate": ("decimal", 6, Decimal("0.000001"), Decimal("99999999")),
    "rebate_percent": ("decimal", 2, ZERO, HUNDRED),
    "payment_model": ("choice", PaymentModel.values),
    "payment_days": ("int", 0, 3650),
    "delivery_place": (TEXT, 300),
    "delivery_due": (DATE,),
    "delivery_method": (TEXT, 300),
    "responsibilities": (LONG,),
    "acceptance_criteria": (LONG,),
    "initial_acceptance_due": (DATE,),
    "final_acceptance_due": (DATE,),
    "advance_percent": ("decimal", 2, ZERO, HUNDRED),
    "guarantee_kind": ("choice", GuaranteeKind.values),
    "guarantee_percent": ("decimal", 2, ZERO, HUNDRED),
    "our_party": (TEXT, 200),
    "risk_transfer": (LONG,),
    "liability_cap_percent": ("decimal?", 2, ZERO, Decimal("1000")),
    "liability_terms": (LONG,),
    "force_majeure": (LONG,),
    "dispute_terms": (LONG,),
    "change_terms": (LONG,),
    "effective_on": (DATE,),
    "terminates_on": (DATE,),
    "special_terms": (LONG,),
}
LINE_FIELDS: dict[str, tuple[Any, ...]] = {
    "kind": ("choice", LineKind.values),
    "name": (TEXT, 200),
    "configuration": (TEXT, 500),
    "quantity": ("decimal", 3, Decimal("0.001"), Decimal("99999999999")),
    "unit": (TEXT, 20),
    "standard": (TEXT, 200),
    "commitments": (LONG,),
    "unit_price": ("decimal", 2, ZERO, MAX_MONEY),
    "discount_percent": ("decimal", 2, ZERO, HUNDRED),
    "tax_rate": ("choice", VatRate.values),
}
MILESTONE_FIELDS: dict[str, tuple[Any, ...]] = {
    "name": (TEXT, 200),
    "trigger": ("choice", MilestoneTrigger.values),
    "percent": ("decimal", 2, CENT, HUNDRED),
    "due_on": (DATE,),
}
REQUIRED = {"title", "kind", "name", "quantity", "unit", "unit_price", "trigger", "percent"}
MAX_LONG = 20_000

GROUPS = [
    (gettext_lazy("Subject matter"), ["lines"]),
    (
        gettext_lazy("Pricing"),
        ["currency", "exchange_rate", "rebate_percent", "payment_model", "payment_days"],
    ),
    (
        gettext_lazy("Delivery and acceptance"),
        [
            "delivery_place",
            "delivery_due",
            "delivery_method",
            "responsibilities",
            "acceptance_criteria",
            "initial_acceptance_due",
            "final_acceptance_due",
        ],
    ),
    (
        gettext_lazy("Accounts"),
        ["advance_percent", "guarantee_kind", "guarantee_percent", "milestones"],
    ),
    (
        gettext_lazy("Legal"),
        [
            "our_party",
            "risk_transfer",
            "liability_cap_percent",
            "liability_terms",
            "force_majeure",
            "dispute_terms",
            "change_terms",
            "effective_on",
            "terminates_on",
            "special_terms",
        ],
    ),
]


def _value(name: str, spec: tuple[Any, ...], raw: Any, errors: dict[str, str], path: str) -> Any:
    kind = spec[0]
    if raw is None or raw == "":
        if name in REQUIRED:
            errors[path] = _("This element is required.")
            return None
        if kind in (TEXT, LONG):
            return ""
        if kind == "decimal":
            return ZERO if name != "exchange_rate" else Decimal("1")
        if kind == "int":
            return 0
        if kind == "choice":
            return spec[1][0] if name != "tax_rate" else VatRate.STANDARD.value
        return None
    if kind in (TEXT, LONG):
        text = str(raw)
        limit = spec[1] if kind == TEXT else MAX_LONG
        if len(text) > limit:
            errors[path] = _("At most %(limit)s characters.") % {"limit": limit}
        return text
    if kind == DATE:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            errors[path] = _("Not a date (YYYY-MM-DD).")
            return None
    if kind == "choice":
        text = str(raw)
        if name == "tax_rate":
            with contextlib.suppress(InvalidOperation, ValueError):
                text = str(Decimal(text).quantize(CENT))
        if text not in spec[1]:
            if name == "currency":
                errors[path] = _("%(value)s is not a currency Kehu knows.") % {"value": text[:10]}
            else:
                errors[path] = _("Choose one of: %(values)s.") % {"values": ", ".join(spec[1])}
        return text
    if kind == "int":
        try:
            number = int(raw)
        except (TypeError, ValueError):
            errors[path] = _("Not a whole number.")
            return 0
        if not spec[1] <= number <= spec[2]:
            errors[path] = _("Between %(low)s and %(high)s.") % {"low": spec[1], "high": spec[2]}
        return number
    # decimals, given as strings (or numbers) and never rounded silently
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        errors[path] = _("Not a number.")
        return None
    return _checked_decimal(amount, spec, errors, path)


def _checked_decimal(
    number: Decimal, spec: tuple[Any, ...], errors: dict[str, str], path: str
) -> Decimal | None:
    if not number.is_finite():
        errors[path] = _("Not a number.")
        return None
    places = spec[1]
    if number > spec[3]:
        errors[path] = _("At most %(high)s.") % {"high": spec[3]}
    elif number < spec[2]:
        errors[path] = (
            _("Must not be negative.")
            if spec[2] == ZERO
            else _("At least %(low)s.") % {"low": spec[2]}
        )
    elif number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        errors[path] = _("At most %(places)s decimal places.") % {"places": places}
    return number


def clean_elements(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a contract's elements (scalars, ``lines``, ``milestones``); raise one
    ValidationError naming every wrong field (``lines.2.unit_price``) and change nothing."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, spec in SCALARS.items():
        kind = spec[0]
        raw = data.get(name)
        if kind == "decimal?":
            clean[name] = (
                None
                if raw in (None, "")
                else _value(name, ("decimal", *spec[1:]), raw, errors, name)
            )
        else:
            clean[name] = _value(name, spec, raw, errors, name)
    if clean.get("currency") and clean["currency"] != Currency.CNY:
        if data.get("exchange_rate") in (None, ""):
            errors["exchange_rate"] = _("A contract in %(currency)s needs its exchange rate.") % {
                "currency": clean["currency"]
            }
    elif "exchange_rate" not in errors:
        if clean.get("exchange_rate") not in (None, Decimal("1")):
            errors["exchange_rate"] = _("A CNY contract has the rate 1.")
        clean["exchange_rate"] = Decimal("1")
    for rows, fields, key in (
        (data.get("lines") or [], LINE_FIELDS, "lines"),
        (data.get("milestones") or [], MILESTONE_FIELDS, "milestones"),
    ):
        if not isinstance(rows, list) or len(rows) > MAX_LINES:
            errors[key] = _("At most %(limit)s rows.") % {"limit": MAX_LINES}
            rows = []
        cleaned_rows = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                errors[f"{key}.{index}"] = _("Not a row.")
                continue
            cleaned_rows.append(
                {
                    name: _value(name, spec, row.get(name), errors, f"{key}.{index}.{name}")
                    for name, spec in fields.items()
                }
            )
        clean[key] = cleaned_rows
    shares = sum((m["percent"] or ZERO for m in clean["milestones"]), ZERO)
    if clean["milestones"] and "milestones" not in errors and shares > HUNDRED:
        errors["milestones"] = _("The milestones add up to %(total)s %%, more than 100 %%.") % {
            "total": shares
        }
    for index, milestone in enumerate(clean["milestones"]):
        if milestone["trigger"] == MilestoneTrigger.DATE and milestone["due_on"] is None:
            errors[f"milestones.{index}.due_on"] = _("A milestone on a date needs its date.")
    if (
        clean.get("effective_on")
        and clean.get("terminates_on")
        and clean["terminates_on"] < clean["effective_on"]
    ):
        errors["terminates_on"] = _("The termination date is before the effective date.")
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    return clean


# --- pricing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineAmounts:
    list_amount: Decimal  # quantity × unit price
    net: Decimal  # after the line's discount (0 for a gift)
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    rebate: Decimal
    tax: Decimal
    gross: Decimal
    gross_cny: Decimal
    max_discount: Decimal
    gifts_value: Decimal


def line_amounts(line: dict[str, Any] | ContractLine) -> LineAmounts:
    """A line's amounts, each rounded to the cent half-up (as Chinese invoices are)."""

    def get(key: str) -> Any:
        return line.get(key) if isinstance(line, dict) else getattr(line, key)

    quantity, price = Decimal(str(get("quantity"))), Decimal(str(get("unit_price")))
    listed = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
    if get("kind") == LineKind.GIFT:
        return LineAmounts(listed, ZERO, ZERO, ZERO)
    discount = Decimal(str(get("discount_percent") or 0))
    net = (listed * (HUNDRED - discount) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    tax = (net * Decimal(str(get("tax_rate"))) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    return LineAmounts(listed, net, tax, net + tax)


def totals(elements: dict[str, Any]) -> Totals:
    """The contract's totals from its lines: net, rebate (off the net, before tax), tax, gross and
    gross in CNY at the contract's rate; the largest discount any line gives."""
    net = tax = gifts = ZERO
    biggest = ZERO
    rebate_share = Decimal(elements.get("rebate_percent") or 0) / HUNDRED
    for line in elements.get("lines", []):
        amounts = line_amounts(line)
        if line["kind"] == LineKind.GIFT:
            gifts += amounts.list_amount
            continue
        net += amounts.net
        biggest = max(biggest, Decimal(line.get("discount_percent") or 0))
        rate = Decimal(line["tax_rate"]) / HUNDRED
        tax += (amounts.net * (1 - rebate_share) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    rebate = (net * rebate_share).quantize(CENT, rounding=ROUND_HALF_UP)
    gross = net - rebate + tax
    rate = Decimal(elements.get("exchange_rate") or 1)
    return Totals(
        net=net,
        rebate=rebate,
        tax=tax,
        gross=gross,
        gross_cny=(gross * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        max_discount=biggest,
        gifts_value=gifts,
    )


def milestone_amount(total: Decimal, percent: Decimal) -> Decimal:
    return (total * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


# --- snapshots and comparison ------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(
    contract: Contract,
    lines: list[ContractLine] | None = None,
    milestones: list[PaymentMilestone] | None = None,
) -> dict[str, Any]:
    """The contract's elements as JSON-ready data (decimals and dates as strings)."""
    lines = list(contract.lines.all()) if lines is None else lines
    milestones = list(contract.milestones.all()) if milestones is None else milestones
    data: dict[str, Any] = {name: _plain(getattr(contract, name)) for name in SCALARS}
    data["lines"] = [{f: _plain(getattr(line, f)) for f in LINE_FIELDS} for line in lines]
    data["milestones"] = [{f: _plain(getattr(m, f)) for f in MILESTONE_FIELDS} for m in milestones]
    return data


def plain(elements: dict[str, Any]) -> dict[str, Any]:
    """Cleaned elements as JSON-ready data."""
    data = {name: _plain(elements[name]) for name in SCALARS}
    for key in ("lines", "milestones"):
        data[key] = [{f: _plain(v) for f, v in row.items()} for row in elements[key]]
    return data


def _flat(elements: dict[str, Any]) -> dict[str, Any]:
    flat = {name: elements.get(name) for name in SCALARS}
    for key, fields in (("lines", LINE_FIELDS), ("milestones", MILESTONE_FIELDS)):
        for index, row in enumerate(elements.get(key, [])):
            for field in fields:
                flat[f"{key}.{index + 1}.{field}"] = row.get(field)
    return flat


def _same(a: Any, b: Any) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError, TypeError):
        return str(a) == str(b)


@dataclass(frozen=True)
class Difference:
    path: str
    before: Any
    after: Any


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Difference]:
    """Every element that differs between two snapshots (lines and milestones by position)."""
    a, b = _flat(before), _flat(after)
    keys = list(a) + [k for k in b if k not in a]
    return [Difference(k, a.get(k), b.get(k)) for k in keys if not _same(a.get(k), b.get(k))]
