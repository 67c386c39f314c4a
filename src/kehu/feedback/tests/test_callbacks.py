"""Low scores open a callback for the right person, who records its outcome."""

import pytest
from django.utils import timezone

from kehu.conftest import EmployeeFactory, client_for
from kehu.feedback.models import CallbackTask
from kehu.feedback.tests.factories import external_contact, rated
from kehu.org.models import InterfaceAssignment

pytestmark = pytest.mark.django_db


def test_a_low_external_score_is_called_back_by_the_account_owner(world):
    owner = EmployeeFactory(department=world.aftersales, user=world.agent)
    contact = external_contact("甲公司", owner=owner)
    before = timezone.now()
    rating = rated(world.support, score=2, comment="太慢了", contact_=contact)
    callback = CallbackTask.objects.get(rating=rating)
    assert callback.assignee == owner and callback.ticket == rating.ticket
    assert callback.done_at is None
    assert 23 * 3600 <= (callback.due_at - before).total_seconds() <= 25 * 3600


def test_scores_above_two_open_no_callback(world):
    rated(world.support, score=3)
    rated(world.support, score=5)
    assert not CallbackTask.objects.exists()


def test_internal_low_score_goes_to_the_interface_person_else_the_head(world):
    requester = EmployeeFactory(department=world.finance, email="req@example.com")
    interface = EmployeeFactory(department=world.support)
    head = EmployeeFactory(department=world.support)
    world.support.head = head
    world.support.save()
    InterfaceAssignment.objects.create(
        requesting_department=world.finance, supplier_department=world.support, person=interface
    )
    first = rated(world.support, score=1, employee=requester)
    assert first.callback.assignee == interface

    other_requester = EmployeeFactory(department=world.aftersales, email="o@example.com")
    second = rated(world.support, score=2, employee=other_requester)
    assert second.callback.assignee == head  # no interface person for after-sales → support


def test_external_account_without_owner_falls_back_to_the_head(world):
    head = EmployeeFactory(department=world.support)
    world.support.head = head
    world.support.save()
    rating = rated(world.support, score=1)
    assert rating.callback.assignee == head


def test_my_callbacks_and_marking_one_done_with_a_stale_check(world):
    me = EmployeeFactory(department=world.aftersales, user=world.agent)
    rating = rated(world.support, score=1, contact_=external_contact(owner=me))
    rated(world.support, score=2)  # someone else's (no owner, no head: unassigned)
    client = client_for(world.agent)
    page = client.get("/feedback/callbacks/")
    assert page.status_code == 200
    assert page.content.decode().count("/feedback/callbacks/") >= 1
    assert rating.ticket.reference in page.content.decode()
    assert len(page.context["callbacks"]) == 1

    callback = rating.callback
    url = f"/feedback/callbacks/{callback.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"outcome": "  ", "version": 1}).status_code == 200
    done = client.post(url, {"outcome": "已致电，客户接受解释", "version": 1})
    assert done.status_code == 302
    callback.refresh_from_db()
    assert callback.done_at is not None and callback.version == 2
    assert callback.done_by == world.agent
    stale = client.post(url, {"outcome": "覆盖", "version": 1})
    assert stale.status_code == 409
    callback.refresh_from_db()
    assert callback.outcome == "已致电，客户接受解释"
    assert client.get("/feedback/callbacks/").context["callbacks"].count() == 0
    assert client.get("/feedback/callbacks/?done=1").context["callbacks"].count() == 1


def test_only_desk_staff_and_the_assignee_see_a_callback(world):
    me = EmployeeFactory(department=world.finance, user=world.employee)
    mine = rated(world.support, score=1, contact_=external_contact(owner=me)).callback
    other = rated(world.support, score=1).callback
    employee = client_for(world.employee)
    assert employee.get(f"/feedback/callbacks/{mine.pk}/").status_code == 200
    assert employee.get(f"/feedback/callbacks/{other.pk}/").status_code == 404
    auditor = client_for(world.auditor)
    assert auditor.get(f"/feedback/callbacks/{other.pk}/").status_code == 200
    assert (
        auditor.post(f"/feedback/callbacks/{other.pk}/", {"outcome": "x", "version": 1}).status_code
        == 403
    )
    assert client_for(world.customer_a).get(f"/feedback/callbacks/{mine.pk}/").status_code in (
        403,
        404,
    )


def test_callback_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    me = EmployeeFactory(department=world.aftersales, user=world.agent)
    for _ in range(6):
        rated(world.support, score=1, contact_=external_contact(owner=me))
    client = client_for(world.agent)
    with django_assert_max_num_queries(10):
        page = client.get("/feedback/callbacks/")
    assert len(page.context["callbacks"]) == 6
