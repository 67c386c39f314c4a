"""``{% desk_hook "slot" %}``: what the apps above the desk put into a slot (hooks.py)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from kehu.desk import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_hook(context: Any, slot: str) -> SafeString:
    request = context.get("request")
    if request is None:
        return SafeString("")
    return hooks.render(slot, request, context.flatten())
