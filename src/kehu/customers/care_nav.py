"""Flags of the customer-care navigation that apps above the customers app decide.

``{% customer_care_nav %}`` shows some links only to the users an app above allows (the churn
report, the requirement compass). Those apps register a check in their ``AppConfig.ready``::

    care_nav.register_flag("churn_report", can_see_report)

so the customers app never imports them. A flag nobody registered is False.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_flags: dict[str, Callable[[Any], bool]] = {}


def register_flag(name: str, check: Callable[[Any], bool]) -> None:
    _flags[name] = check


def flags_for(user: Any, names: tuple[str, ...]) -> dict[str, bool]:
    return {name: bool(_flags[name](user)) if name in _flags else False for name in names}
