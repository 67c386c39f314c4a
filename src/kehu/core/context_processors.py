"""Template context every page needs: navigation entries the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.access.permissions import is_admin, is_staff_member
from kehu.desk.rules import is_desk_staff


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "is_staff_member": is_staff_member(user),
        "is_admin": is_admin(user),
        "is_desk_staff": is_desk_staff(user),
    }
