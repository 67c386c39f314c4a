"""The feedback API: public survey answer, callbacks and complaint records, with permissions."""

from decimal import Decimal

import pytest
from django.test import Client

from kehu.access.models import Role, RoleAssignment
from kehu.conftest import EmployeeFactory, client_for
from kehu.customers.models import Contact
from kehu.desk.tests import factories as f
from kehu.feedback import services
from kehu.feedback.models import CallbackTask, SatisfactionRating
from kehu.feedback.tests.factories import external_contact, rated, resolve

pytestmark = pytest.mark.django_db


def _json(client, method, url, data):
    return getattr(client, method)(url, data, content_type="application/json")


def test_survey_answer_needs_no_sign_in_and_works_once(world):
    ticket = resolve(f.ticket(world.support))
    issued = services.survey_invite(ticket)
    url = f"/api/feedback/surveys/{issued.token}"
    client = Client()
    assert _json(client, "post", url, {"score": 7}).status_code == 422
    first = _json(client, "post", url, {"score": 1, "comment": "没解决"})
    assert first.status_code == 201
    assert first.json() == {"ticket": ticket.reference, "score": 1, "comment": "没解决"}
    assert CallbackTask.objects.filter(ticket=ticket).exists()
    again = _json(client, "post", url, {"score": 5})
    assert again.status_code == 410 and again.json()["code"] == "survey_used"
    unknown = _json(client, "post", "/api/feedback/surveys/nope", {"score": 5})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert SatisfactionRating.objects.get().score == 1


def test_survey_api_is_throttled(world, settings):
    client = Client()
    statuses = [
        _json(client, "post", "/api/feedback/surveys/guess", {"score": 5}).status_code
        for _ in range(25)
    ]
    assert statuses[0] == 404 and statuses[-1] == 429


def test_callbacks_api_lists_mine_and_refuses_stale_updates(world):
    me = EmployeeFactory(department=world.aftersales, user=world.agent)
    rating = rated(world.support, score=2, contact_=external_contact(owner=me))
    rated(world.support, score=1)
    client = client_for(world.agent)
    mine = client.get("/api/feedback/callbacks").json()
    assert [c["ticket_reference"] for c in mine["results"]] == [rating.ticket.reference]
    everyone = client.get("/api/feedback/callbacks", {"mine": "false"}).json()
    assert len(everyone["results"]) == 2

    url = f"/api/feedback/callbacks/{rating.callback.pk}"
    done = _json(client, "put", url, {"outcome": "已回访", "version": 1})
    assert done.status_code == 200
    assert done.json()["done_at"] is not None and done.json()["version"] == 2
    stale = _json(client, "put", url, {"outcome": "重复", "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert _json(client, "put", url, {"outcome": "", "version": 2}).status_code == 422
    assert client.get("/api/feedback/callbacks").json()["results"] == []


def test_callbacks_are_hidden_from_customers_and_other_employees(world):
    rating = rated(world.support, score=1)
    url = f"/api/feedback/callbacks/{rating.callback.pk}"
    for user in (world.customer_a, world.employee, world.outsider):
        client = client_for(user)
        assert client.get(url).status_code in (403, 404)
        assert _json(client, "put", url, {"outcome": "x", "version": 1}).status_code in (403, 404)
    assert client_for(world.employee).get("/api/feedback/callbacks").json()["results"] == []
    assert client_for(world.customer_a).get("/api/feedback/callbacks").status_code == 403


def test_complaint_record_api_put_get_and_stale(world):
    contact = external_contact("投诉客户")
    ticket = f.ticket(world.support, contact_=contact, ticket_type="complaint")
    url = f"/api/feedback/complaints/{ticket.pk}"
    client = client_for(world.agent)
    assert client.get(url).status_code == 404  # nothing recorded yet
    culprit = EmployeeFactory(department=world.support)
    created = _json(
        client,
        "put",
        url,
        {
            "customer_impact": "停机",
            "responsible_employee_id": culprit.pk,
            "responsible_department_id": world.support.pk,
            "loss_amount": "1500.00",
            "loss_hours": 3,
            "root_cause_class": "product_defect",
        },
    )
    assert created.status_code == 200, created.content
    body = created.json()
    assert (body["version"], body["loss_currency"], Decimal(body["loss_amount"])) == (
        1,
        "CNY",
        Decimal("1500"),
    )
    assert client.get(url).json()["responsible_employee_id"] == culprit.pk
    changed = _json(client, "put", url, {"loss_amount": "1600", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = _json(client, "put", url, {"loss_amount": "1", "version": 1})
    assert stale.status_code == 409
    blind = _json(client, "put", url, {"loss_amount": "1"})
    assert blind.status_code == 409
    mismatch = _json(
        client,
        "put",
        url,
        {
            "responsible_employee_id": culprit.pk,
            "responsible_department_id": world.finance.pk,
            "version": 2,
        },
    )
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["field"] == "responsible_employee"
    missing = _json(client, "put", url, {"responsible_department_id": 999999, "version": 2})
    assert missing.status_code == 422
    assert _json(client, "put", url, {"loss_amount": "-1", "version": 2}).status_code == 422

    archive = client.get(f"/api/feedback/accounts/{contact.account_id}/complaints").json()
    assert archive["complaint_count"] == 1 and archive["recorded_count"] == 1
    assert Decimal(archive["loss_amount"]) == Decimal("1600")
    assert archive["tickets"][0]["record"]["version"] == 2

    question = f.ticket(world.support, contact_=contact)
    not_complaint = _json(client, "put", f"/api/feedback/complaints/{question.pk}", {})
    assert not_complaint.status_code == 422


def test_complaint_records_are_never_shown_to_customers(world):
    contact = external_contact("甲公司")
    Contact.objects.filter(pk=contact.pk).update(user=world.customer_a)
    ticket = f.ticket(world.support, contact_=contact, ticket_type="complaint")
    services.complaint_record_save(ticket, expected_version=None, fields={"customer_impact": "x"})
    customer = client_for(world.customer_a)  # the ticket is their own account's
    assert customer.get(f"/api/feedback/complaints/{ticket.pk}").status_code in (403, 404)
    assert _json(customer, "put", f"/api/feedback/complaints/{ticket.pk}", {}).status_code in (
        403,
        404,
    )
    archive = customer.get(f"/api/feedback/accounts/{contact.account_id}/complaints")
    assert archive.status_code == 403
    assert customer.get(f"/feedback/complaints/{ticket.pk}/").status_code in (403, 404)


def test_auditor_reads_complaints_but_only_editors_write(world):
    ticket = f.ticket(world.support, ticket_type="complaint")
    url = f"/api/feedback/complaints/{ticket.pk}"
    assert _json(client_for(world.auditor), "put", url, {}).status_code == 403
    assert _json(client_for(world.lead), "put", url, {}).status_code == 200  # leads support
    other = f.ticket(world.finance, ticket_type="complaint")
    other_url = f"/api/feedback/complaints/{other.pk}"
    assert _json(client_for(world.lead), "put", other_url, {}).status_code == 403
    RoleAssignment.objects.create(user=world.employee, role=Role.AFTER_SALES)
    assert _json(client_for(world.employee), "put", other_url, {}).status_code == 200
    assert client_for(world.auditor).get(other_url).status_code == 200
