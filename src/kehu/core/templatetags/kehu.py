"""Small template helpers."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def attr(obj: Any, path: str) -> Any:
    """``{{ obj|attr:"department" }}``: an attribute, called if callable; '—' when empty."""
    value = getattr(obj, path, None)
    if callable(value):
        value = value()
    if value is True:
        return _("yes")
    if value is False:
        return ""
    return "—" if value in (None, "") else value


@register.filter
def detail_url(obj: Any) -> str:
    """The page of an organisation object, or '' if it has none."""
    from kehu.org.views import RESOURCES

    for resource in RESOURCES.values():
        if isinstance(obj, resource.model):
            try:
                return reverse(f"org:{resource.slug}-detail", args=[obj.pk])
            except NoReverseMatch:
                return ""
    return ""


@register.inclusion_tag("audit/_history.html")
def audit_history(rows: Any) -> dict[str, Any]:
    return {"rows": rows}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ labels|get_item:code }}``: a dictionary lookup by a variable key."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def minutes(value: Any) -> str:
    """A timedelta as whole minutes (negative when overdue)."""
    if value is None:
        return ""
    return str(int(value.total_seconds() // 60))
