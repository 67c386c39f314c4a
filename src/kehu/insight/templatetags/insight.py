from __future__ import annotations

from django import template

from kehu.insight.presentation import minutes, percent

register = template.Library()


@register.filter
def business_minutes(value: float | None) -> str:
    return minutes(value)


@register.filter
def pct(value: float | None) -> str:
    return percent(value)
