"""The webhook channel: what a delivery carries, how it is signed, how it is sent.

Payloads never contain the text of internal notes: an outside system is treated like a
customer. See docs/webhooks.md for the format receivers rely on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from django.core.serializers.json import DjangoJSONEncoder

from kehu.desk.models import Message, Ticket
from kehu.notify.addresses import AddressRefused, CheckedAdapter, check_url

SIGNATURE_HEADER = "X-Kehu-Signature"
EVENT_HEADER = "X-Kehu-Event"
DELIVERY_HEADER = "X-Kehu-Delivery"
TIMEOUT = (5, 10)  # seconds to connect, seconds to read the answer


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """What every ticket event tells about the ticket (no conversation text)."""
    department = ticket.department
    assignee = ticket.assignee
    account = ticket.account
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.ticket_type,
        "department": {"id": department.pk, "code": department.code, "name": department.name},
        "assignee": {"id": assignee.pk, "name": assignee.name} if assignee else None,
        "account": {"id": account.pk, "name": account.name} if account else None,
    }


def event_data(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event's own data, made safe for outsiders: a message is described, and its text is
    included only when it is a public reply."""
    safe = json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))
    if event == "ticket.message_added" and data.get("message_id"):
        message = (
            Message.objects.filter(pk=data["message_id"])
            .values("pk", "kind", "author_name", "from_requester", "body", "created_at")
            .first()
        )
        if message is not None:
            safe["message"] = {
                "id": message["pk"],
                "kind": message["kind"],
                "author": message["author_name"],
                "from_requester": message["from_requester"],
                "created_at": message["created_at"].isoformat(),
                "body": message["body"] if message["kind"] == Message.Kind.PUBLIC else None,
            }
    return safe


def build_payload(
    event: str, ticket: Ticket | None, data: dict[str, Any], occurred_at: datetime
) -> dict[str, Any]:
    return {
        "event": event,
        "occurred_at": occurred_at.isoformat(),
        "ticket": ticket_summary(ticket) if ticket is not None else None,
        "data": event_data(event, data),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """The ``X-Kehu-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    code: int | None
    error: str


REFUSED = "refused"


def post(*, url: str, secret: str, event: str, delivery_id: int, body: bytes) -> Outcome:
    """One POST attempt; a 2xx answer is success, anything else (or no answer) a failure.

    The recorded error says no more than "refused" or the HTTP status: the delivery log must not
    let anyone map what answers where."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Kehu-Webhooks/1",
        SIGNATURE_HEADER: signature(secret, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
    }
    try:
        check_url(url)
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment: we check the peer
            session.mount("http://", CheckedAdapter())
            session.mount("https://", CheckedAdapter())
            # Streamed: the answer's body is never read. Redirects are not followed.
            with session.post(
                url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
            ) as response:
                code = response.status_code
    except (AddressRefused, requests.RequestException, ValueError):
        return Outcome(False, None, REFUSED)
    if 200 <= code < 300:
        return Outcome(True, code, "")
    return Outcome(False, code, f"HTTP {code}")
