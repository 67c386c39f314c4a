"""The unread badge in the page header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.notify.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Evaluated only when a template reads it: one COUNT on the inbox index.
    return {"unread_notifications": lambda: unread_count(user)}
