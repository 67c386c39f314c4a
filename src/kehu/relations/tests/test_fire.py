"""Call for fire: an internal ticket in a back-office queue with the account's priority."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.conftest import EmployeeFactory, ServiceFactory, client_for
from kehu.desk.models import Ticket
from kehu.relations import fire, team
from kehu.relations.models import FireRequest
from kehu.relations.tests.factories import served_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(world):
    served = served_account(world)
    served.account.level = "key"
    served.account.save()
    sr = EmployeeFactory(department=world.support)
    team.triangle_set(
        account=served.account,
        account_manager=served.owner,
        solution_manager=sr,
        fulfilment_manager=EmployeeFactory(department=world.support),
        by=world.admin,
    )
    ServiceFactory(department=world.finance)
    return served


def test_fire_becomes_a_ticket_in_the_departments_queue(world, setting):
    request = fire.call_for_fire(
        account=setting.account,
        department=world.finance,
        subject="报价审核",
        body="请法务审核合同条款",
        by=world.account_manager,
    )
    ticket = Ticket.objects.get(pk=request.ticket_id)
    assert ticket.department == world.finance
    assert ticket.account == setting.account
    assert ticket.priority == "high"  # a key account's priority
    assert ticket.requester_employee == setting.owner
    assert ticket.watchers.filter(pk=world.account_manager.pk).exists()  # they follow it
    assert fire.account_requests(setting.account, open_only=True) == [request]


def test_a_department_without_catalogue_or_desk_cannot_be_called(world, setting):
    with pytest.raises(ValidationError) as refused:
        fire.call_for_fire(
            account=setting.account,
            department=world.aftersales,
            subject="x",
            body="y",
            by=world.account_manager,
        )
    assert "department" in refused.value.message_dict
    assert not Ticket.objects.exists()


def test_only_the_triangle_calls_for_fire(world, setting):
    url = f"/relations/accounts/{setting.account.pk}/fire/"
    outsider = EmployeeFactory(department=world.support, user=world.after_sales)
    assert outsider  # after-sales sees the account but is not on its triangle
    assert client_for(world.after_sales).get(url).status_code == 403
    page = client_for(world.account_manager).post(
        url, {"department": world.finance.pk, "subject": "方案支持", "body": "需要专家"}
    )
    assert page.status_code == 302
    assert FireRequest.objects.get().requested_by == setting.owner


def test_leads_see_how_fast_each_department_answered(world, setting):
    for minutes in (10, 20, 30, 40, 600):
        request = fire.call_for_fire(
            account=setting.account,
            department=world.finance,
            subject="s",
            body="b",
            by=world.account_manager,
        )
        Ticket.objects.filter(pk=request.ticket_id).update(
            first_response_at=request.ticket.created_at + timedelta(minutes=minutes)
        )
    speed = fire.fire_speed(now=timezone.now())
    assert [(s.department, s.requests, s.answered) for s in speed] == [(world.finance, 5, 5)]
    assert round(speed[0].median_minutes) == 30
    assert round(speed[0].p90_minutes) == 600
    page = client_for(world.lead).get("/relations/fire/")
    assert b'data-testid="fire-speed"' in page.content
    mine = client_for(world.account_manager).get("/relations/fire/")
    assert b'data-testid="fire-speed"' not in mine.content
    assert "s" in mine.content.decode()


def test_fire_through_the_api(world, setting):
    url = f"/api/relations/accounts/{setting.account.pk}/fire"
    client = client_for(world.account_manager)
    body = {"department_id": world.finance.pk, "subject": "法务支持", "body": "合同审核"}
    made = client.post(url, body, content_type="application/json")
    assert made.status_code == 201 and made.json()["priority"] == "high"
    wrong = client.post(
        url, {**body, "department_id": world.aftersales.pk}, content_type="application/json"
    )
    assert wrong.status_code == 422
    assert [r["id"] for r in client.get(url).json()] == [made.json()["id"]]
    assert client.get("/api/relations/fire/speed").status_code == 403
    assert client_for(world.lead).get("/api/relations/fire/speed").status_code == 200
    assert (
        client_for(world.employee).post(url, body, content_type="application/json").status_code
        == 404
    )
