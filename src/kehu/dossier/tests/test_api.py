"""/api/dossier: the same decisions as the pages; stale versions answer 409."""

import json
from datetime import timedelta

from django.utils import timezone

from kehu.conftest import EmployeeFactory, client_for
from kehu.dossier import services
from kehu.dossier.models import DossierEntry, Section, Visit


def _post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def _patch(client, path, data):
    return client.patch(path, json.dumps(data), content_type="application/json")


def _entries(world, account, n):
    for i in range(n):
        services.entry_create(
            account=account,
            actor=world.after_sales,
            section=Section.CURRENT_EVENT if i % 2 else Section.BASE_NOTES,
            title=f"条目{i}",
        )


def test_list_filters_paginates_and_keeps_its_query_count(
    world, account, other_account, django_assert_max_num_queries
):
    _entries(world, account, 6)
    _entries(world, other_account, 2)
    client = client_for(world.auditor)
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/dossier/entries?account_id={account.pk}&page_size=4")
    body = response.json()
    assert response.status_code == 200 and len(body["results"]) == 4 and body["next"]
    assert {r["account_id"] for r in body["results"]} == {account.pk}
    events = client.get(f"/api/dossier/entries?account_id={account.pk}&section=current_event")
    assert len(events.json()["results"]) == 3
    assert client.get("/api/dossier/entries?section=wiki").status_code == 422


def test_others_see_nothing_and_customers_are_refused(world, account, manager_employee):
    _entries(world, account, 2)
    entry = DossierEntry.objects.first()
    for persona in ("agent", "account_manager", "employee"):
        client = client_for(getattr(world, persona))
        assert client.get("/api/dossier/entries").json()["results"] == []
        assert client.get(f"/api/dossier/entries/{entry.pk}").status_code == 404
        assert client.get("/api/dossier/visits").json()["results"] == []
    customer = client_for(world.customer_a)
    assert customer.get("/api/dossier/entries").status_code == 403
    assert customer.get(f"/api/dossier/entries/{entry.pk}").status_code == 404
    assert customer.get("/api/dossier/visits").status_code == 403
    account.owner = manager_employee
    account.save()
    owner = client_for(world.account_manager)
    assert len(owner.get("/api/dossier/entries").json()["results"]) == 2


def test_create_read_patch_with_version_and_revisions(world, account):
    client = client_for(world.after_sales)
    response = _post(
        client,
        "/api/dossier/entries",
        {
            "account_id": account.pk,
            "section": "architecture",
            "title": "架构",
            "body": "**云主机** <script>x</script>",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert "<strong>云主机</strong>" in created["html"] and "<script>" not in created["html"]
    pk = created["id"]
    response = _patch(client, f"/api/dossier/entries/{pk}", {"version": 1, "body": "对象存储"})
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = _patch(
        client_for(world.admin), f"/api/dossier/entries/{pk}", {"version": 1, "body": "x"}
    )
    assert stale.status_code == 409
    assert DossierEntry.objects.get(pk=pk).body == "对象存储"
    revisions = client.get(f"/api/dossier/entries/{pk}/revisions").json()
    assert [r["number"] for r in revisions] == [2, 1]
    bad = _patch(client, f"/api/dossier/entries/{pk}", {"version": 2, "status": "open"})
    assert bad.status_code == 422
    auditor = client_for(world.auditor)
    assert (
        _patch(auditor, f"/api/dossier/entries/{pk}", {"version": 2, "title": "y"}).status_code
        == 403
    )
    assert auditor.get(f"/api/dossier/entries/{pk}").status_code == 200


def test_create_refuses_accounts_the_caller_may_not_edit(world, account):
    data = {"account_id": account.pk, "section": "base_notes", "title": "x"}
    assert _post(client_for(world.auditor), "/api/dossier/entries", data).status_code == 403
    assert _post(client_for(world.agent), "/api/dossier/entries", data).status_code == 422
    assert _post(client_for(world.customer_a), "/api/dossier/entries", data).status_code == 403
    assert not DossierEntry.objects.exists()


def test_visits_and_follow_ups(world, account, contact, django_assert_max_num_queries):
    engineer = EmployeeFactory(department=world.aftersales)
    client = client_for(world.after_sales)
    today = timezone.localdate()
    response = _post(
        client,
        "/api/dossier/visits",
        {
            "account_id": account.pk,
            "kind": "extraordinary",
            "planned_on": str(today),
            "purpose": "故障复盘拜访",
            "our_attendee_ids": [engineer.pk],
            "customer_attendee_ids": [contact.pk],
        },
    )
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["status"] == "planned" and visit["customer_attendee_ids"] == [contact.pk]
    done = _patch(
        client,
        f"/api/dossier/visits/{visit['id']}",
        {"version": 1, "status": "done", "visited_on": str(today), "summary": "说明了根因"},
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    stale = _patch(client, f"/api/dossier/visits/{visit['id']}", {"version": 1, "purpose": "x"})
    assert stale.status_code == 409
    follow_up = _post(
        client,
        f"/api/dossier/visits/{visit['id']}/follow-ups",
        {
            "description": "提交书面复盘报告",
            "owner_id": engineer.pk,
            "due_on": str(today - timedelta(days=1)),
        },
    )
    assert follow_up.status_code == 201 and follow_up.json()["overdue"] is True
    closed = _patch(client, f"/api/dossier/follow-ups/{follow_up.json()['id']}", {"done": True})
    assert closed.json()["done_at"] and closed.json()["overdue"] is False
    for i in range(5):
        services.visit_create(
            account=account,
            actor=world.admin,
            kind=Visit.Kind.ROUTINE_MONTHLY,
            planned_on=today + timedelta(days=i),
            purpose=f"拜访{i}",
            our_attendees=[engineer],
        )
    with django_assert_max_num_queries(8):
        listed = client.get(f"/api/dossier/visits?account_id={account.pk}&status=planned")
    assert len(listed.json()["results"]) == 5
    future = _patch(
        client,
        f"/api/dossier/visits/{visit['id']}",
        {"version": 2, "visited_on": str(today + timedelta(days=3))},
    )
    assert future.status_code == 422
    assert client_for(world.agent).get(f"/api/dossier/visits/{visit['id']}").status_code == 404
    assert (
        _patch(
            client_for(world.auditor),
            f"/api/dossier/follow-ups/{follow_up.json()['id']}",
            {"done": False},
        ).status_code
        == 403
    )
