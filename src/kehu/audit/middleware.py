"""Opens an audit context for each request: channel from the path, actor from the session."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.clients import client_address


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = Channel.API if request.path.startswith("/api/") else Channel.WEB
        user = request.user if request.user.is_authenticated else None
        with audit_context(
            channel=channel, actor=user, remote_addr=client_address(request) or None
        ):
            return self.get_response(request)
