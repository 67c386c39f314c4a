"""Complaint records: validated, versioned, audited, and listed per account with total losses."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.audit.selectors import history_for
from kehu.conftest import EmployeeFactory, client_for
from kehu.core.concurrency import StaleVersionError
from kehu.desk.tests import factories as f
from kehu.feedback import services
from kehu.feedback.models import ComplaintRecord, RootCause
from kehu.feedback.tests.factories import external_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(world):
    return f.ticket(world.support, contact_=external_contact("投诉客户"), ticket_type="complaint")


def test_record_is_created_then_updated_with_the_version(world, complaint):
    culprit = EmployeeFactory(department=world.support)
    record = services.complaint_record_save(
        complaint,
        expected_version=None,
        fields={
            "customer_impact": "生产停机两小时",
            "responsible_employee": culprit,
            "responsible_department": world.support,
            "loss_amount": Decimal("12000.50"),
            "loss_hours": Decimal("2"),
            "root_cause_class": RootCause.SERVICE_PROCESS,
        },
    )
    assert (record.loss_currency, record.version) == ("CNY", 1)
    updated = services.complaint_record_save(
        complaint, expected_version=1, fields={"handling_process": "升级到主管，次日回访"}
    )
    assert updated.version == 2 and updated.customer_impact == "生产停机两小时"
    with pytest.raises(StaleVersionError):
        services.complaint_record_save(complaint, expected_version=1, fields={"loss_hours": 9})
    with pytest.raises(StaleVersionError):  # a writer who never saw the record
        services.complaint_record_save(complaint, expected_version=None, fields={"loss_hours": 9})
    record.refresh_from_db()
    assert record.loss_hours == Decimal("2.00")
    assert history_for(record).count() == 2  # created and changed, in the audit history


def test_record_validation(world, complaint):
    question = f.ticket(world.support)
    with pytest.raises(ValidationError) as not_complaint:
        services.complaint_record_save(question, expected_version=None, fields={})
    assert "ticket" in not_complaint.value.message_dict
    with pytest.raises(ValidationError) as negative:
        services.complaint_record_save(
            complaint, expected_version=None, fields={"loss_amount": Decimal("-1")}
        )
    assert "loss_amount" in negative.value.message_dict
    elsewhere = EmployeeFactory(department=world.finance)
    with pytest.raises(ValidationError) as mismatch:
        services.complaint_record_save(
            complaint,
            expected_version=None,
            fields={"responsible_employee": elsewhere, "responsible_department": world.support},
        )
    assert "responsible_employee" in mismatch.value.message_dict
    with pytest.raises(ValidationError) as unknown_cause:
        services.complaint_record_save(
            complaint, expected_version=None, fields={"root_cause_class": "weather"}
        )
    assert "root_cause_class" in unknown_cause.value.message_dict
    assert not ComplaintRecord.objects.exists()


def test_edit_page_creates_updates_and_refuses_stale(world, complaint):
    client = client_for(world.agent)
    url = f"/feedback/complaints/{complaint.pk}/"
    assert client.get(url).status_code == 200
    created = client.post(
        url,
        {
            "customer_impact": "账单错误",
            "loss_amount": "300",
            "loss_hours": "1.5",
            "root_cause_class": "communication",
        },
    )
    assert created.status_code == 302
    record = ComplaintRecord.objects.get(ticket=complaint)
    assert record.loss_amount == Decimal("300.00")
    bad = client.post(url, {"loss_amount": "-5", "loss_hours": "0", "version": "1"})
    assert bad.status_code == 200 and b'class="errors"' in bad.content
    ok = client.post(url, {"loss_amount": "350", "loss_hours": "1.5", "version": "1"})
    assert ok.status_code == 302
    stale = client.post(url, {"loss_amount": "999", "loss_hours": "0", "version": "1"})
    assert stale.status_code == 409
    record.refresh_from_db()
    assert (record.loss_amount, record.version) == (Decimal("350.00"), 2)
    page = client.get(url)
    assert "History" in page.content.decode()


def test_auditor_reads_but_cannot_edit_and_non_complaints_have_no_page(world, complaint):
    services.complaint_record_save(
        complaint, expected_version=None, fields={"customer_impact": "影响大"}
    )
    auditor = client_for(world.auditor)
    url = f"/feedback/complaints/{complaint.pk}/"
    page = auditor.get(url)
    assert page.status_code == 200 and "影响大" in page.content.decode()
    assert b'name="loss_amount"' not in page.content
    assert (
        auditor.post(url, {"loss_amount": "1", "loss_hours": "0", "version": "1"}).status_code
        == 403
    )
    question = f.ticket(world.support)
    assert client_for(world.agent).get(f"/feedback/complaints/{question.pk}/").status_code == 404
    assert client_for(world.customer_a).get(url).status_code in (403, 404)


def test_account_complaint_list_shows_records_and_totals(world, django_assert_max_num_queries):
    contact = external_contact("大客户")
    for amount, hours in (("100.25", "1"), ("200", "2.5"), ("0", "0")):
        ticket = f.ticket(world.support, contact_=contact, ticket_type="complaint")
        services.complaint_record_save(
            ticket,
            expected_version=None,
            fields={"loss_amount": Decimal(amount), "loss_hours": Decimal(hours)},
        )
    unrecorded = f.ticket(world.support, contact_=contact, ticket_type="complaint")
    f.ticket(world.support, contact_=contact)  # a question: not in the archive
    f.ticket(world.support, ticket_type="complaint")  # another account's complaint

    client = client_for(world.agent)
    url = f"/feedback/accounts/{contact.account_id}/complaints/"
    with django_assert_max_num_queries(10):
        page = client.get(url)
    assert page.status_code == 200
    archive = page.context["archive"]
    assert len(archive.tickets) == 4 and archive.recorded == 3
    assert (archive.loss_amount, archive.loss_hours) == (Decimal("300.25"), Decimal("3.50"))
    assert unrecorded.reference in page.content.decode()
    assert client_for(world.customer_a).get(url).status_code == 403
