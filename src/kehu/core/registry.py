"""Small registries through which apps above the platform plug into platform pages.

The platform (core, access, audit) never imports an app above it. Where a platform page shows
something an app above owns, that app registers it in its ``AppConfig.ready``:

- ``register_detail_url(resolver)``: ``resolver(obj)`` returns the page of an object or None
  when the object is not its; the ``detail_url`` template filter asks each resolver in turn.
- ``register_dashboard_counts(provider)``: ``provider()`` returns the counts the dashboard
  shows (``{{ counts.<name> }}``); the providers' dictionaries are merged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_detail_url_resolvers: list[Callable[[Any], str | None]] = []
_dashboard_counts: list[Callable[[], dict[str, int]]] = []


def register_detail_url(resolver: Callable[[Any], str | None]) -> None:
    if resolver not in _detail_url_resolvers:
        _detail_url_resolvers.append(resolver)


def detail_url(obj: Any) -> str:
    for resolver in _detail_url_resolvers:
        url = resolver(obj)
        if url is not None:
            return url
    return ""


def register_dashboard_counts(provider: Callable[[], dict[str, int]]) -> None:
    if provider not in _dashboard_counts:
        _dashboard_counts.append(provider)


def dashboard_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for provider in _dashboard_counts:
        counts.update(provider())
    return counts
