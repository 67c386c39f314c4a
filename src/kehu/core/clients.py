"""The address a request came from, as far as Kehu's own proxies can vouch for it.

``KEHU_TRUSTED_PROXIES`` says how many reverse proxies stand in front of Kehu. Each of them
appends the address it saw to ``X-Forwarded-For``, so the client is the entry that many places
from the right; whatever a client writes further left is its own claim and ignored. With 0
(the default) the header is ignored and the socket's address counts. The API throttles (through
django-ninja's ``NINJA_NUM_PROXIES``, which follows the same rule), sign-in lockout (axes), the
public survey's rate limit and the audit history all use this one address.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the entry our trusted proxies appended."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies: int = getattr(settings, "KEHU_TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in str(forwarded).split(",")]
    return entries[-min(proxies, len(entries))] or remote
