"""The inbox, preferences and webhook pages, and the same through the API."""

import json

import pytest
from django.core import mail

from kehu.conftest import client_for
from kehu.notify.models import DeliveryStatus, Notification, Preference, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def _note(user, title, **fields):
    return Notification.objects.create(
        recipient=user, event="ticket.assigned", title=title, **fields
    )


def test_inbox_lists_unread_first_and_only_my_own(world):
    from django.utils import timezone

    _note(world.agent, "已读的旧通知", read_at=timezone.now())
    _note(world.agent, "未读通知")
    _note(world.lead, "别人的通知")
    page = client_for(world.agent).get("/notify/")
    html = page.content.decode()
    assert html.index("未读通知") < html.index("已读的旧通知")
    assert "别人的通知" not in html


def test_unread_badge_counts_in_the_header(world):
    for n in range(3):
        _note(world.agent, f"通知{n}")
    html = client_for(world.agent).get("/org/departments/").content.decode()
    assert 'class="badge"' in html and ">3</span>" in html
    assert 'class="badge"' not in client_for(world.lead).get("/org/departments/").content.decode()
    world.agent.language = "zh-hans"
    world.agent.save()
    for url in ("/notify/", "/notify/preferences/"):
        assert client_for(world.agent).get(url).status_code == 200


def test_inbox_page_query_count_does_not_grow_with_notifications(
    world, django_assert_max_num_queries
):
    for n in range(60):
        _note(world.agent, f"通知{n}", body="正文")
    client = client_for(world.agent)
    with django_assert_max_num_queries(8):
        response = client.get("/notify/")
    assert response.status_code == 200 and response.content.count(b'class="unread"') == 50


def test_open_marks_read_and_goes_to_the_ticket(world):
    note = _note(world.agent, "去看看", url="/desk/tickets/7/")
    response = client_for(world.agent).get(f"/notify/{note.pk}/")
    assert response.status_code == 302 and response["Location"] == "/desk/tickets/7/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_mark_one_and_all_read_and_nobody_else_may(world):
    first, second = _note(world.agent, "一"), _note(world.agent, "二")
    assert client_for(world.lead).post(f"/notify/{first.pk}/read/").status_code == 404
    assert client_for(world.admin).post(f"/notify/{first.pk}/read/").status_code == 404
    client = client_for(world.agent)
    client.post(f"/notify/{first.pk}/read/")
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    client.post("/notify/read-all/")
    second.refresh_from_db()
    assert second.read_at is not None


def test_preferences_page_saves_choices(world):
    client = client_for(world.agent)
    page = client.get("/notify/preferences/")
    assert page.status_code == 200 and b"SLA escalation" in page.content
    data = {"inbox:sla.warning": "on"}  # everything else unticked
    assert client.post("/notify/preferences/", data).status_code == 302
    warning = Preference.objects.get(user=world.agent, event="sla.warning")
    assert warning.inbox and not warning.email
    assert not Preference.objects.get(user=world.agent, event="ticket.assigned").inbox


def test_admin_creates_edits_and_deletes_a_webhook(world):
    client = client_for(world.admin)
    bad = client.post(
        "/notify/webhooks/new/", {"name": "CRM", "url": "ftp://x", "events": ["ping"]}
    )
    assert bad.status_code == 200 and Webhook.objects.count() == 0
    response = client.post(
        "/notify/webhooks/new/",
        {
            "name": "CRM",
            "url": "https://crm.example/in",
            "events": ["ticket.created"],
            "is_active": "on",
        },
    )
    hook = Webhook.objects.get()
    assert response["Location"] == f"/notify/webhooks/{hook.pk}/"
    assert len(hook.secret) > 20 and hook.created_by == world.admin
    form = {
        "name": "CRM 2",
        "url": hook.url,
        "events": ["ticket.created", "sla.warning"],
        "version": 1,
    }
    assert client.post(f"/notify/webhooks/{hook.pk}/edit/", form).status_code == 302
    hook.refresh_from_db()
    assert hook.events == ["ticket.created", "sla.warning"] and hook.version == 2
    assert not hook.is_active  # the box was left unticked
    stale = client.post(f"/notify/webhooks/{hook.pk}/edit/", {**form, "name": "旧的"})
    assert stale.status_code == 409
    detail = client.get(f"/notify/webhooks/{hook.pk}/")
    assert hook.secret.encode() in detail.content
    client.post(f"/notify/webhooks/{hook.pk}/delete/")
    assert not Webhook.objects.exists()


def test_delivery_log_and_redeliver(world):
    hook = Webhook.objects.create(
        name="CRM", url="https://crm.example/", secret="s", events=["ping"]
    )
    done = WebhookDelivery.objects.create(
        webhook=hook, event="ping", payload={}, status=DeliveryStatus.FAILED, attempts=8
    )
    client = client_for(world.admin)
    assert b"Send again" in client.get(f"/notify/webhooks/{hook.pk}/").content
    client.post(f"/notify/deliveries/{done.pk}/redeliver/")
    done.refresh_from_db()
    assert done.status == DeliveryStatus.PENDING and done.attempts == 0


# --- API ---------------------------------------------------------------------------------------


def test_api_inbox_unread_count_and_mark_read(world, django_assert_max_num_queries):
    notes = [_note(world.agent, f"通知{n}") for n in range(30)]
    _note(world.lead, "别人的")
    client = client_for(world.agent)
    with django_assert_max_num_queries(6):
        page = client.get("/api/notify/notifications?page_size=20").json()
    assert len(page["results"]) == 20 and page["next"]
    assert {r["title"] for r in page["results"]} <= {n.title for n in notes}
    assert client.get("/api/notify/notifications/unread-count").json() == {"unread": 30}
    read = client.post(f"/api/notify/notifications/{notes[0].pk}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert (
        client.get("/api/notify/notifications?unread=false").json()["results"][0]["id"]
        == notes[0].pk
    )
    assert client.post("/api/notify/notifications/read-all").json() == {"marked": 29}
    other = Notification.objects.get(recipient=world.lead)
    assert client.post(f"/api/notify/notifications/{other.pk}/read").status_code == 404


def test_api_preferences_round_trip(world):
    client = client_for(world.customer_a)
    prefs = client.get("/api/notify/preferences").json()
    assert {"event": "ticket.message_added", "inbox": True, "email": True} in prefs
    body = {"preferences": [{"event": "ticket.message_added", "inbox": True, "email": False}]}
    changed = client.put("/api/notify/preferences", body, content_type="application/json")
    assert {"event": "ticket.message_added", "inbox": True, "email": False} in changed.json()
    bad = client.put(
        "/api/notify/preferences",
        {"preferences": [{"event": "nope", "inbox": True, "email": True}]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def test_api_webhooks_crud_with_versions_and_admin_only(world):
    admin = client_for(world.admin)
    payload = {"name": "ERP", "url": "https://erp.example/hook", "events": ["ticket.created"]}
    assert (
        client_for(world.agent)
        .post("/api/notify/webhooks", payload, content_type="application/json")
        .status_code
        == 403
    )
    created = admin.post("/api/notify/webhooks", payload, content_type="application/json")
    assert created.status_code == 201
    hook = created.json()
    assert hook["secret"] and hook["version"] == 1
    bad = admin.post(
        "/api/notify/webhooks",
        {**payload, "events": ["ticket.exploded"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    bad_url = admin.post(
        "/api/notify/webhooks",
        {**payload, "url": "javascript:alert(1)"},
        content_type="application/json",
    )
    assert bad_url.status_code == 422 and bad_url.json()["errors"][0]["field"] == "url"
    update = {**payload, "name": "ERP 2", "version": 1}
    url = f"/api/notify/webhooks/{hook['id']}"
    changed = admin.put(url, update, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["secret"] == hook["secret"]
    assert admin.put(url, update, content_type="application/json").status_code == 409
    assert client_for(world.agent).get(url).status_code == 404
    test = admin.post(f"{url}/test")
    assert test.status_code == 202 and test.json()["event"] == "ping"
    deliveries = admin.get(f"{url}/deliveries").json()["results"]
    assert [d["event"] for d in deliveries] == ["ping"]
    again = admin.post(f"/api/notify/deliveries/{deliveries[0]['id']}/redeliver")
    assert again.status_code == 409  # still pending
    assert admin.delete(url).status_code == 204


def test_customer_gets_nothing_from_webhooks_api(world):
    client = client_for(world.customer_a)
    assert client.get("/api/notify/webhooks").status_code == 403
    assert client.get("/api/notify/notifications").status_code == 200
    assert mail.outbox == []
    assert json.loads(client.get("/api/notify/notifications/unread-count").content) == {"unread": 0}
