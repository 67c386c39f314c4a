"""Template helpers of the churn pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from kehu.core.markdown import render_markdown

register = template.Library()


@register.filter
def churn_markdown(text: str) -> SafeString:
    """Markdown rendered to safe HTML (raw HTML off, then cleaned by nh3)."""
    return render_markdown(text)
