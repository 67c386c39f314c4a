"""``{% account_panel panel panel_context %}``: render another app's panel of the account page
with exactly the context its context function returned (plus the page's own context)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def account_panel(context: Any, panel: Any, panel_context: dict[str, Any]) -> SafeString:
    found = context.template.engine.get_template(panel.template)
    with context.push(panel_context):
        rendered: SafeString = found.render(context)
    return rendered
