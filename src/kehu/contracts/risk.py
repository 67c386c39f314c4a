"""Risk checks before approval: missing elements and risky clauses in Chinese and English text,
each with its severity and the clause quoted. Rules are rows (RiskRule), so they can be tuned,
switched off or added; a rule may add an approval step for a role (approvals.plan)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kehu.contracts.models import (
    SEVERITY_RANK,
    Contract,
    RiskFinding,
    RiskRule,
    RiskRuleKind,
)

MISSING_CHECKS: dict[str, tuple[Callable[[Contract], bool], object]] = {
    "acceptance_criteria": (
        lambda c: not c.acceptance_criteria.strip(),
        gettext_lazy("No acceptance criteria"),
    ),
    "change_terms": (lambda c: not c.change_terms.strip(), gettext_lazy("No change-cost clause")),
    "liability_cap": (lambda c: c.liability_cap_percent is None, gettext_lazy("No liability cap")),
    "payment_milestones": (
        lambda c: not c.milestones.exists(),
        gettext_lazy("No payment milestone"),
    ),
    "delivery_due": (lambda c: c.delivery_due is None, gettext_lazy("No delivery deadline")),
}
TEXT_FIELDS = [
    "responsibilities",
    "acceptance_criteria",
    "risk_transfer",
    "liability_terms",
    "force_majeure",
    "dispute_terms",
    "change_terms",
    "special_terms",
    "document_text",
]
_SENTENCE = re.compile(r"[^。；;!?！？\n]+[。；;!?！？]?")
QUOTE_CHARS = 300


@dataclass(frozen=True)
class Found:
    rule: RiskRule
    severity: str
    quote: str

    @property
    def title(self) -> str:
        return self.rule.title_zh if (get_language() or "").startswith("zh") else self.rule.title_en


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def validate_rule(kind: str, parameter: str) -> None:
    """A rule's parameter must make sense for its kind (422 otherwise)."""
    if kind == RiskRuleKind.MISSING and parameter not in MISSING_CHECKS:
        raise ValidationError(
            {"parameter": _("Check one of: %(names)s.") % {"names": ", ".join(MISSING_CHECKS)}}
        )
    if kind == RiskRuleKind.CLAUSE:
        try:
            re.compile(parameter)
        except re.error as exc:
            raise ValidationError(
                {"parameter": _("Not a valid regular expression: %(error)s") % {"error": exc}}
            ) from exc
    if kind == RiskRuleKind.PAYMENT_DAYS and not parameter.isdigit():
        raise ValidationError({"parameter": _("A number of days.")})


def contract_text(contract: Contract) -> str:
    """All the free text of a contract: its terms, the uploaded document, the line commitments
    and, for a format contract, the clauses its template pulls in."""
    parts = [getattr(contract, name) for name in TEXT_FIELDS]
    parts += [line.commitments for line in contract.lines.all()]
    if contract.template is not None:
        from kehu.contracts.documents import clause_texts

        parts += clause_texts(contract.template)
    return "\n".join(p for p in parts if p)


def _quote(text: str, match: re.Match[str]) -> str:
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= match.start() < sentence.end():
            return sentence.group().strip()[:QUOTE_CHARS]
    return match.group()[:QUOTE_CHARS]


def findings(contract: Contract, rules: list[RiskRule] | None = None) -> list[Found]:
    """What the active rules find in the contract, most severe first."""
    rules = list(RiskRule.objects.filter(is_active=True)) if rules is None else rules
    text = contract_text(contract)
    found: list[Found] = []
    for rule in rules:
        if rule.kind == RiskRuleKind.MISSING:
            check = MISSING_CHECKS.get(rule.parameter)
            if check and check[0](contract):
                found.append(Found(rule, rule.severity, ""))
        elif rule.kind == RiskRuleKind.PAYMENT_DAYS:
            limit = int(rule.parameter) if rule.parameter.isdigit() else 0
            if contract.payment_days > limit:
                quote = _("Payment term: %(days)s days") % {"days": contract.payment_days}
                found.append(Found(rule, rule.severity, quote))
        else:
            for match in _compiled(rule.parameter).finditer(text):
                found.append(Found(rule, rule.severity, _quote(text, match)))
                break
    found.sort(key=lambda f: -SEVERITY_RANK[f.severity])
    return found


def level(found: list[Found]) -> str:
    """The highest severity found ("" when nothing)."""
    return max((f.severity for f in found), key=lambda s: SEVERITY_RANK[s], default="")


def check(contract: Contract, *, store: bool = False) -> list[Found]:
    """Run the checks; with ``store`` the findings replace the contract's stored ones."""
    found = findings(contract)
    if store:
        now = timezone.now()
        RiskFinding.objects.filter(contract=contract).delete()
        RiskFinding.objects.bulk_create(
            [
                RiskFinding(
                    contract=contract,
                    rule=f.rule,
                    severity=f.severity,
                    quote=f.quote,
                    checked_at=now,
                )
                for f in found
            ]
        )
    return found
