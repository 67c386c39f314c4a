"""The map page and its forms, as the account team uses them."""

import pytest
from django.utils import timezone

from kehu.conftest import client_for
from kehu.customers.models import Contact
from kehu.relations import services
from kehu.relations.tests.factories import person, served_account


def _bigger_map(account, size):
    top = person(account, "总裁", influence=5)
    for n in range(size):
        someone = person(account, f"员工{n}", reports_to_id=top.pk)
        services.role_set(person=someone, role="user")
        services.interaction_record(
            account=account,
            by=None,
            kind="call",
            occurred_on=timezone.localdate(),
            subject=f"电话{n}",
            people_ids=[someone.pk, top.pk],
        )


def test_the_map_page_costs_the_same_queries_whatever_the_size(
    world, django_assert_max_num_queries
):
    served = served_account(world)
    client = client_for(world.account_manager)
    url = f"/relations/accounts/{served.account.pk}/"
    _bigger_map(served.account, 3)
    client.get(url)  # warm the session and the user's caches
    with django_assert_max_num_queries(16) as small:
        assert client.get(url).status_code == 200
    _bigger_map(served.account, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    html = page.content.decode()
    assert html.count('data-depth="1"') == 28
    assert "stage-acquaintance" in html


def test_a_person_is_added_and_edited_through_the_forms(world):
    served = served_account(world)
    contact = Contact.objects.create(account=served.account, name="赵总监")
    client = client_for(world.agent)
    url = f"/relations/accounts/{served.account.pk}/people/add/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"contact": contact.pk, "influence": 4, "stage": "meeting", "social_style": "analytical"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/relations/accounts/{served.account.pk}/"
    added = Contact.objects.get(pk=contact.pk).relationship
    edit = client.get(f"/relations/people/{added.pk}/")
    assert "Analytical" in edit.content.decode()  # the style and its tip
    stale = client.post(
        f"/relations/people/{added.pk}/",
        {"influence": 5, "version": added.version + 1},
    )
    assert stale.status_code == 409


def test_an_interaction_is_recorded_through_the_form(world):
    served = served_account(world)
    someone = person(served.account)
    client = client_for(world.account_manager)
    response = client.post(
        f"/relations/accounts/{served.account.pk}/interactions/add/",
        {
            "kind": "dinner",
            "occurred_on": timezone.localdate().isoformat(),
            "subject": "年会晚宴",
            "people": [someone.pk],
            "next_step": "发送方案",
            "next_step_due": (timezone.localdate()).isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/relations/accounts/{served.account.pk}/").content.decode()
    assert "年会晚宴" in page and "发送方案" in page


def test_a_stage_regression_without_reason_is_refused_on_the_page(world):
    served = served_account(world)
    someone = person(served.account, stage="trust")
    client = client_for(world.account_manager)
    response = client.post(
        f"/relations/people/{someone.pk}/stage/",
        {"to_stage": "meeting", "changed_on": timezone.localdate().isoformat(), "version": 1},
    )
    assert response.status_code == 400
    someone.refresh_from_db()
    assert someone.stage == "trust"


@pytest.mark.parametrize("language", ["zh-hans"])
def test_the_map_reads_in_chinese(world, language):
    served = served_account(world)
    person(served.account, stage="alliance", social_style="controlling")
    world.account_manager.language = language
    world.account_manager.save()
    client = client_for(world.account_manager)
    html = client.get(
        f"/relations/accounts/{served.account.pk}/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert "同盟" in html and "控制型" in html and "五步" in html


def test_the_chart_moves_a_person_under_another_and_refuses_a_loop(world):
    served = served_account(world)
    boss = person(served.account, "王总")
    deputy = person(served.account, "李副总", reports_to_id=boss.pk)
    client = client_for(world.account_manager)
    moved = client.post(
        f"/relations/people/{boss.pk}/reports-to/",
        {"reports_to": deputy.pk, "version": boss.version},
    )
    assert moved.status_code == 422
    assert "reporting loop" in moved.json()["error"]
    top = client.post(
        f"/relations/people/{deputy.pk}/reports-to/", {"reports_to": "", "version": deputy.version}
    )
    assert top.status_code == 200 and top.json()["reports_to"] is None
    stale = client.post(
        f"/relations/people/{deputy.pk}/reports-to/",
        {"reports_to": boss.pk, "version": deputy.version},
    )
    assert stale.status_code == 409
    under = client.post(
        f"/relations/people/{deputy.pk}/reports-to/",
        {"reports_to": boss.pk, "version": top.json()["version"]},
    )
    assert under.status_code == 200
    deputy.refresh_from_db()
    assert deputy.reports_to == boss
    refused = client.post(
        f"/relations/people/{deputy.pk}/reports-to/", {"reports_to": "x", "version": "1"}
    )
    assert refused.status_code == 422


def test_the_loop_message_reads_in_chinese(world):
    served = served_account(world)
    boss = person(served.account, "王总")
    deputy = person(served.account, "李副总", reports_to_id=boss.pk)
    world.account_manager.language = "zh-hans"
    world.account_manager.save()
    moved = client_for(world.account_manager).post(
        f"/relations/people/{boss.pk}/reports-to/",
        {"reports_to": deputy.pk, "version": boss.version},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert moved.status_code == 422 and "循环" in moved.json()["error"]
