"""Who may open the compass: desk staff (everyone who may see customers' tickets).

What each reader then sees is decided per part: tickets by the desk's ticket rules, usage,
architecture notes and visits only for accounts whose dossier they may read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from kehu.desk.rules import is_desk_staff


def require_compass_reader(user: Any) -> None:
    if not is_desk_staff(user):
        raise PermissionDenied
