"""Whether the page header shows the service desk's entries (``is_desk_staff``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.desk.rules import is_desk_staff


def desk(request: HttpRequest) -> dict[str, Any]:
    return {"is_desk_staff": is_desk_staff(getattr(request, "user", None))}
