"""Report scope keys: "company", "department:3", "supplier:3", "account:7"."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.insight.models import ScopeKind


def scope_key(kind: str, pk: int | None = None) -> str:
    return kind if kind == ScopeKind.COMPANY else f"{kind}:{pk}"


def parse_scope_key(key: str) -> tuple[str, int | None]:
    """(kind, id) of a scope key; ValidationError for anything else."""
    kind, _sep, rest = key.partition(":")
    if kind == ScopeKind.COMPANY and not rest:
        return kind, None
    if kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER, ScopeKind.ACCOUNT) and rest.isdigit():
        return kind, int(rest)
    raise ValidationError({"scope": _("Unknown report scope.")})
