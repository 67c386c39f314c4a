"""Small template helpers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kehu.core import registry

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
    """The page of an object (as its app registered in ``core.registry``), or '' if it has none."""
    return registry.detail_url(obj)


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


@register.filter
def business_duration(value: Any, day_minutes: Any = None) -> str:
    """``{{ target.resolution_minutes|business_duration:day_minutes }}``: "40 h", "5 working days"."""
    from kehu.core.durations import business_duration as told

    if value is None or value == "":
        return ""
    minutes = int(value)
    day = int(day_minutes) if day_minutes else None
    return f"−{told(-minutes, day)}" if minutes < 0 else told(minutes, day)  # overdue: negative


@register.filter
def time_left(value: Any) -> str:
    """``{{ badge.left|time_left }}``: "56 min", "3 h 5 min", "2 days 4 h"."""
    from kehu.core.durations import time_left as told

    return "" if value is None else told(value)


@register.filter
def with_style_nonce(trusted_svg: str, nonce: Any) -> SafeString:
    """Give the ``<style>`` elements of a server-rendered SVG (already safe markup, e.g. a pygal
    chart) the request's CSP nonce, so the strict style policy lets them apply."""
    return mark_safe(  # noqa: S308 — the input is our own rendered SVG; the nonce is base64
        str(trusted_svg).replace("<style", f'<style nonce="{escape(str(nonce))}"')
    )
