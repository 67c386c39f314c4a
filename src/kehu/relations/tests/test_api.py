"""The REST API of the relationship map: statuses, bad input, versions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.conftest import client_for
from kehu.customers.models import Account, Contact
from kehu.relations.models import Person
from kehu.relations.tests.factories import person, served_account


@pytest.fixture
def api(world):
    served = served_account(world)
    return served, client_for(world.account_manager)


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_people_go_on_the_map_and_come_back_in_it(api):
    served, client = api
    boss = Contact.objects.create(account=served.account, name="王总")
    deputy = Contact.objects.create(account=served.account, name="李经理")
    url = f"/api/relations/accounts/{served.account.pk}/people"
    made = _post(client, url, {"contact_id": boss.pk, "title": "总经理", "influence": 5})
    assert made.status_code == 201, made.content
    boss_id = made.json()["id"]
    made = _post(client, url, {"contact_id": deputy.pk, "reports_to_id": boss_id})
    assert made.status_code == 201
    role = client.put(
        f"/api/relations/people/{boss_id}/roles/decision_maker",
        {"stance": "supporter", "cares_about": "投资回报"},
        content_type="application/json",
    )
    assert role.status_code == 200, role.content
    body = client.get(f"/api/relations/accounts/{served.account.pk}").json()
    assert [p["name"] for p in body["people"]] == ["王总", "李经理"]
    assert body["people"][0]["roles"][0]["role"] == "decision_maker"
    assert body["steps"][0]["number"] == 1
    assert "No coach." in body["gaps"]


def test_a_reporting_loop_is_a_422_with_the_field(api):
    served, client = api
    boss = person(served.account, "老板")
    deputy = person(served.account, "副总", reports_to_id=boss.pk)
    response = client.patch(
        f"/api/relations/people/{boss.pk}",
        {"version": 1, "reports_to_id": deputy.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reports_to"


def test_a_stale_version_is_a_409_and_nothing_is_lost(api):
    served, client = api
    someone = person(served.account)
    url = f"/api/relations/people/{someone.pk}"
    first = client.patch(url, {"version": 1, "title": "总经理"}, content_type="application/json")
    assert first.status_code == 200
    second = client.patch(url, {"version": 1, "notes": "其他"}, content_type="application/json")
    assert second.status_code == 409
    someone.refresh_from_db()
    assert (someone.title, someone.notes) == ("总经理", "")


def test_a_contact_of_another_account_is_a_422(api):
    served, client = api
    stranger = Contact.objects.create(account=Account.objects.create(name="乙公司"), name="外人")
    response = _post(
        client,
        f"/api/relations/accounts/{served.account.pk}/people",
        {"contact_id": stranger.pk},
    )
    assert response.status_code == 422
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    "path,data",
    [
        ("stage", {"version": 1, "to_stage": "best_friends"}),
        ("roles/king", None),
    ],
)
def test_unknown_stage_or_role_names_are_422(api, path, data):
    served, client = api
    someone = person(served.account)
    url = f"/api/relations/people/{someone.pk}/{path}"
    if data is None:
        response = client.put(url, {}, content_type="application/json")
    else:
        response = _post(client, url, data)
    assert response.status_code == 422, response.content


def test_stage_regression_without_reason_is_422_and_with_reason_201(api):
    served, client = api
    someone = person(served.account, stage="trust")
    url = f"/api/relations/people/{someone.pk}/stage"
    assert _post(client, url, {"version": 1, "to_stage": "meeting"}).status_code == 422
    made = _post(client, url, {"version": 1, "to_stage": "meeting", "reason": "换了岗位"})
    assert made.status_code == 201, made.content
    history = client.get(url).json()
    assert [h["to_stage"] for h in history] == ["meeting", "trust"]


def test_interactions_in_the_future_are_refused(api):
    served, client = api
    url = f"/api/relations/accounts/{served.account.pk}/interactions"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = _post(client, url, {"kind": "visit", "occurred_on": tomorrow, "subject": "拜访"})
    assert refused.status_code == 422
    someone = person(served.account)
    made = _post(
        client,
        url,
        {
            "kind": "meeting",
            "occurred_on": timezone.localdate().isoformat(),
            "subject": "交流会",
            "people_ids": [someone.pk],
            "our_attendee_ids": [served.member.pk],
            "spin_situation": "现在用什么系统？",
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["people_ids"] == [someone.pk]
    assert client.get(url).json()[0]["spin_situation"] == "现在用什么系统？"


def test_level_needs_evidence_above_general_and_a_version_once_set(api):
    served, client = api
    url = f"/api/relations/accounts/{served.account.pk}/level"
    put = lambda data: client.put(url, data, content_type="application/json")  # noqa: E731
    assert put({"level": "key"}).status_code == 422
    assert put({"level": "tribal"}).status_code == 422
    assert put({"level": "key", "evidence": "高层互访"}).status_code == 200
    assert put({"level": "general"}).status_code == 422  # no version
    assert put({"level": "general", "version": 7}).status_code == 409
