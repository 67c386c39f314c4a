"""Template context every page needs: navigation entries the user may open.

Apps above the platform add their own entries with their own context processors (e.g.
``kehu.desk.context_processors.desk``), so the platform never imports them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.access.permissions import is_admin, is_staff_member


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "is_staff_member": is_staff_member(user),
        "is_admin": is_admin(user),
    }
