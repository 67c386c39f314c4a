"""Every permission decision in Kehu is made here.

Views and API endpoints call ``authorize`` / ``access_object``; nothing else decides who may do
what. Rules are registered per model, so a model without a rule is denied to everyone but
administrators — a forgotten rule fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from kehu.access.models import Role

VIEW, ADD, CHANGE, DELETE, IMPORT = "view", "add", "change", "delete", "import"

STAFF_ROLES = frozenset(Role.values) - {Role.CUSTOMER}

M = TypeVar("M", bound=Model)
Rule = Callable[[Any, str, Any], bool]
_rules: dict[type[Model], Rule] = {}
# Models a person keeps for themselves (their notifications, preferences, tokens, saved views):
# a read-only auditor still manages these.
_personal: set[type[Model]] = set()


def rule(model: type[Model], *, personal: bool = False) -> Callable[[Rule], Rule]:
    """Register the rule deciding actions on ``model`` (the target is an instance or the class).

    ``personal`` marks a user's own things, which read-only users may change too."""

    def register(func: Rule) -> Rule:
        _rules[model] = func
        if personal:
            _personal.add(model)
        return func

    return register


def roles_of(user: Any) -> frozenset[str]:
    """The user's roles, loaded once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_kehu_roles", None)
    if cached is None:
        assignments = list(user.role_assignments.values_list("role", "department_id"))
        cached = frozenset(role for role, _ in assignments)
        if user.is_superuser:
            cached |= {Role.ADMIN}
        user._kehu_roles = cached
        user._kehu_lead_of = frozenset(
            dept for role, dept in assignments if role == Role.DEPARTMENT_LEAD and dept is not None
        )
    return cached


def is_admin(user: Any) -> bool:
    return Role.ADMIN in roles_of(user)


def is_staff_member(user: Any) -> bool:
    """Anyone working for the organisation (every role but the customer portal user)."""
    return bool(roles_of(user) & STAFF_ROLES)


def led_departments(user: Any) -> frozenset[int]:
    """Ids of the departments whose lead the user is (not yet including sub-departments)."""
    roles_of(user)
    return getattr(user, "_kehu_lead_of", frozenset())


def is_read_only(user: Any) -> bool:
    """Auditors (with no other role) read everything they may see and change nothing."""
    roles = roles_of(user)
    return bool(roles) and roles <= {Role.AUDITOR}


def can(user: Any, action: str, target: Any) -> bool:
    """Whether ``user`` may perform ``action`` on ``target`` (a model instance or class)."""
    model = target if isinstance(target, type) else type(target)
    if not roles_of(user):
        return False
    if is_admin(user):
        return True
    if action != VIEW and is_read_only(user) and model not in _personal:
        return False
    found = _rules.get(model)
    return bool(found and found(user, action, target))


def authorize(user: Any, action: str, target: Any) -> None:
    """Raise PermissionDenied unless ``can(user, action, target)``."""
    if not can(user, action, target):
        raise PermissionDenied


def access_object(
    user: Any, model: type[M], pk: Any, action: str = VIEW, queryset: Any = None
) -> M:
    """Fetch ``model`` by pk for ``action``: 404 if the user may not even see it, 403 if only seeing."""
    source = queryset if queryset is not None else model.objects.all()  # type: ignore[attr-defined]
    try:
        obj: M = source.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
    if not can(user, VIEW, obj):
        raise Http404
    if action != VIEW and not can(user, action, obj):
        raise PermissionDenied
    return obj


def require_staff(user: Any) -> None:
    if not is_staff_member(user):
        raise PermissionDenied


def require_admin(user: Any) -> None:
    if not is_admin(user):
        raise PermissionDenied
