"""What a customer reads through the API: every GET operation, walked as a portal user, answers
only with the fields on the allow-list below — never the desk's internal ones (the agent's
priority reason, the assignee, SLA policy and escalation, tags, watchers, transfers, clocks)."""

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.conftest import EmployeeFactory, client_for
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db

SLA = {"next_due_at", "first_response_at", "resolved_at"}
TICKET = {
    "id",
    "reference",
    "subject",
    "ticket_type",
    "status",
    "channel",
    "department_id",
    "category_id",
    "service_id",
    "impact",
    "severity",
    "priority",
    "account_id",
    "contact_id",
    "requester_name",
    "merged_into_id",
    "version",
    "created_at",
    "updated_at",
    *(f"sla.{name}" for name in SLA),
}
PROMISE = {
    "first_response_due_at",
    "first_response_minutes",
    "resolution_due_at",
    "resolution_minutes",
}
ATTACHMENT = {"id", "filename", "content_type", "size", "url"}
MESSAGE = {
    "id",
    "kind",
    "author_name",
    "from_requester",
    "body",
    "created_at",
    "attachments",
    *(f"attachments[].{name}" for name in ATTACHMENT),
}
SEARCH = {"count", "count_capped", "page", "page_size"} | {
    f"results[].{name}" for name in ("id", "reference", "subject", "status", "rank", "snippet")
}
# Allowed flattened field names per answer shape ("[]" marks the items of a list).
ALLOWED = (
    {"results[]." + name for name in TICKET}
    | {"next", "previous", "results"}
    | TICKET
    | {f"promise.{name}" for name in PROMISE}
    | {"[]." + name for name in MESSAGE}
    | SEARCH
)

# The customer's own things, not the desk's: their profile and notification settings.
OWN = {
    "/api/notify/notifications/unread-count": {"unread"},
    "/api/notify/preferences": {"[].event", "[].inbox", "[].email"},
    "/api/me": {
        "username",
        "full_name",
        "email",
        "language",
        "time_zone",
        "roles[].role",
        "roles[].department_id",
    },
}


def _flatten(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        names: set[str] = set()
        for key, item in value.items():
            names |= _flatten(item, f"{prefix}.{key}" if prefix else key) or {
                f"{prefix}.{key}" if prefix else key
            }
        return names
    if isinstance(value, list):
        names = set()
        for item in value:
            names |= _flatten(item, f"{prefix}[]")
        return names
    return {prefix} if prefix else set()


@pytest.fixture
def customer_ticket(world):
    """Customer A's ticket as the desk works it: a reason, an assignee, tags, a policy with an
    escalation level, a watcher, an internal note and a public reply with an attachment."""
    f.policy(f.always_calendar(), name="金牌客户 SLA", first=60, nxt=30, resolution=240)
    contact = f.contact("甲公司")
    contact.user = world.customer_a
    contact.save()
    ticket = f.ticket(world.support, contact_=contact, subject="printer 打印机")
    ticket.priority_reason = "客户曾投诉，内部优先"
    ticket.assignee = EmployeeFactory(department=world.support, user=world.agent)
    ticket.save(update_fields=["priority_reason", "assignee"])
    ticket.tags.create(name="难缠客户")
    ticket.watchers.add(world.lead)
    client = client_for(world.agent)
    url = f"/api/desk/tickets/{ticket.pk}/messages"
    assert client.post(url, {"body": "内部备注", "kind": "internal"}).status_code == 201
    upload = SimpleUploadedFile("log.txt", b"log", content_type="text/plain")
    reply = client.post(url, {"body": "我们在处理", "attachments": [upload]})
    assert reply.status_code == 201
    type(ticket).objects.filter(pk=ticket.pk).update(escalation_level=2)
    ticket.refresh_from_db()
    assert ticket.sla_policy_id is not None
    return ticket, reply.json()["attachments"][0]["id"]


def test_every_api_answer_to_a_customer_holds_only_allowed_fields(world, customer_ticket):
    from kehu.api import api

    ticket, _ = customer_ticket
    client = client_for(world.customer_a)
    seen, leaks = {}, {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        url = re.sub(r"\{[^}]+\}", str(ticket.account_id), path)
        if path.startswith("/api/desk/tickets/"):
            url = re.sub(r"\{[^}]+\}", str(ticket.pk), path)
        if path == "/api/desk/tickets/attachments/{pk}":
            continue  # a file, not fields (its permission is tested with the messages)
        response = client.get(url, {"q": "printer"})
        if response.status_code != 200:
            continue
        fields = _flatten(response.json())
        seen[path] = fields
        leaked = fields - ALLOWED - OWN.get(path, set())
        if leaked:
            leaks[path] = sorted(leaked)
    assert leaks == {}, f"these answers tell a customer more than the allow-list: {leaks}"
    # The walk reached the ticket list, detail, conversation and search.
    assert {
        "/api/desk/tickets",
        "/api/desk/tickets/{pk}",
        "/api/desk/tickets/{pk}/messages",
        "/api/desk/search",
    } <= set(seen)
    assert "results[].sla.next_due_at" in seen["/api/desk/tickets"]
    assert "promise.first_response_minutes" in seen["/api/desk/tickets/{pk}"]
    assert "[].attachments[].url" in seen["/api/desk/tickets/{pk}/messages"]


def test_staff_still_read_the_internal_fields(world, customer_ticket):
    ticket, _ = customer_ticket
    body = client_for(world.agent).get(f"/api/desk/tickets/{ticket.pk}").json()
    assert body["priority_reason"] == "客户曾投诉，内部优先"
    assert body["assignee_id"] == ticket.assignee_id
    assert body["tags"] == ["难缠客户"]
    assert body["sla"]["policy_name"] == "金牌客户 SLA"
    assert body["sla"]["escalation_level"] == 2
    assert world.lead.pk in body["watcher_ids"]
    listed = client_for(world.agent).get("/api/desk/tickets").json()["results"][0]
    assert listed["priority_reason"] and listed["assignee_id"] == ticket.assignee_id
