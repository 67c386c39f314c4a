"""Perception reports: figures, editions, files, archive and delivery by real SMTP."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pdfminer.high_level import extract_text

from kehu.conftest import client_for, free_port
from kehu.desk.models import Ticket
from kehu.insight import export, presentation, reports
from kehu.insight.models import DeliveryState, Period, Report, ReportDelivery, ReportRun, ScopeKind
from kehu.insight.rules import CUSTOMER, INTERNAL
from kehu.insight.tests.factories import scene

pytestmark = pytest.mark.django_db


def company(week: date) -> Report:
    report, _made = reports.generate_report(
        reports.scope_of(ScopeKind.COMPANY, None), Period.WEEK, week
    )
    return report


def test_the_company_report_counts_what_happened_and_compares_with_last_week(world):
    s = scene(world)
    Ticket.objects.filter(subject="发票问题").update(created_at=timezone.now() - timedelta(days=7))
    figures = company(s.week).figures
    assert figures["volume"]["total"] == 3
    assert dict(figures["volume"]["by_type"]) == {"question": 2, "complaint": 1}
    assert figures["satisfaction"]["ratings"] == 1 and figures["satisfaction"]["low"] == 1
    assert figures["satisfaction"]["callbacks_opened"] == 1
    assert figures["complaints"]["count"] == 1
    assert [i["title"] for i in figures["incidents"]] == ["机房断电"]
    assert figures["top_customers"][0]["name"] == "甲公司"
    assert figures["top_customers"][0]["pain"] >= 1 + 3 + 2 + 5
    assert figures["previous"]["volume"] == 1
    volume = next(c for c in figures["changes"] if c["key"] == "volume")
    # two tickets more is below the 5-ticket threshold: volume is "about the same"
    assert (volume["before"], volume["after"], volume["verdict"]) == (1, 3, "same")
    assert next(c for c in figures["changes"] if c["key"] == "incidents")["verdict"] == "worse"


def test_a_period_without_data_reads_as_empty_not_as_an_error(world):
    report = company(date(2020, 1, 6))
    figures = report.figures
    assert figures["volume"]["total"] == 0 and figures["sla"] == []
    assert figures["times"]["first_response"]["median"] is None
    assert figures["satisfaction"]["average"] is None and figures["backlog"]["open"] == 0
    doc = presentation.document(report, INTERNAL)
    assert "Nothing happened" in doc.summary
    assert all(s.empty for s in doc.sections if s.key != "changes")
    text = extract_text(io.BytesIO(export.pdf(doc)))
    assert "No data in this period." in text
    assert export.xlsx(doc)[:2] == b"PK"


def test_the_pdf_carries_the_report_text_in_chinese(world):
    from django.utils import translation

    s = scene(world)
    with translation.override("zh-hans"):
        doc = presentation.document(company(s.week), INTERNAL)
        text = extract_text(io.BytesIO(export.pdf(doc)))
    assert "感知报告" in text
    assert "甲公司" in text  # top customers by pain
    assert "机房断电" in text
    assert doc.summary.split("：")[0] in text.replace("\n", "")


def test_the_customer_edition_leaves_out_internal_figures(world):
    s = scene(world)
    report, _made = reports.generate_report(
        reports.scope_of(ScopeKind.ACCOUNT, s.account.pk), Period.WEEK, s.week
    )
    assert report.figures["volume"]["total"] == 3
    customer = presentation.document(report, CUSTOMER)
    keys = {section.key for section in customer.sections}
    assert "relations" not in keys and "top_customers" not in keys
    shown = presentation.edition_figures(report.figures, CUSTOMER)
    assert "callbacks_opened" not in shown["satisfaction"]
    assert shown["complaints"] == {"count": 1}
    page = client_for(world.customer_a).get(f"/insight/reports/{report.pk}/")
    assert page.status_code == 200
    assert b"Callbacks" not in page.content and b"Loss" not in page.content
    assert client_for(world.customer_b).get(f"/insight/reports/{report.pk}/").status_code == 404
    assert client_for(world.customer_b).get(f"/api/insight/reports/{report.pk}").status_code == 404
    api = client_for(world.customer_a).get(f"/api/insight/reports/{report.pk}").json()
    assert api["edition"] == "customer" and "top_customers" not in api["figures"]
    pdf = client_for(world.customer_a).get(f"/insight/reports/{report.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Callbacks" not in extract_text(io.BytesIO(pdf.content))


def test_reports_are_made_once_however_many_schedulers_run(world):
    scene(world)
    today = timezone.localdate() + timedelta(days=7)
    first = reports.run_due(today)
    assert first > 0
    assert reports.run_due(today) == 0
    assert ReportRun.objects.count() == 2  # last week's and last month's
    assert (
        Report.objects.filter(period=Period.WEEK).values("scope_key").distinct().count()
        == Report.objects.filter(period=Period.WEEK).count()
    )
    kinds = set(Report.objects.filter(period=Period.WEEK).values_list("kind", flat=True))
    assert kinds == {"company", "department", "account"}


def test_subscribers_get_the_report_by_email_in_their_language(world, smtp_server):
    s = scene(world)
    reports.subscribe(user=world.lead, key="company", period=Period.WEEK, language="zh-hans")
    world.admin.email = ""
    world.admin.save()
    reports.subscribe(user=world.admin, key="company", period=Period.WEEK, language="en")
    company(s.week)
    assert reports.send_due() == 1
    [message] = smtp_server.wait_for(1)
    assert "感知报告" in str(message["Subject"]) or "=?utf-8?" in message["Subject"]
    types = [part.get_content_type() for part in message.walk()]
    assert "text/html" in types and "image/png" in types
    assert "application/pdf" in types
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in types
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert "cid:" in html.get_payload(decode=True).decode()
    pdf = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    assert "感知报告" in extract_text(io.BytesIO(pdf.get_payload(decode=True)))
    states = dict(ReportDelivery.objects.values_list("user__username", "state"))
    assert states == {"lead": DeliveryState.SENT, "admin": DeliveryState.NO_ADDRESS}


def test_a_failed_send_is_retried_and_reported_and_the_archive_stays_complete(
    world, smtp_server, settings
):
    s = scene(world)
    reports.subscribe(user=world.lead, key="company", period=Period.WEEK, language="en")
    working = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # the relay is down
    report = company(s.week)
    assert reports.send_due() == 0
    delivery = ReportDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.last_error and delivery.next_attempt_at > timezone.now()
    page = client_for(world.admin).get(f"/insight/reports/{report.pk}/")
    assert page.status_code == 200 and delivery.last_error[:20].encode() in page.content
    settings.EMAIL_PORT = working
    assert reports.send_due(now=delivery.next_attempt_at) == 1
    assert reports.send_due(now=delivery.next_attempt_at + timedelta(days=1)) == 0
    assert len(smtp_server.wait_for(1)) == 1
    assert ReportDelivery.objects.get().state == DeliveryState.SENT


def test_the_archive_lists_what_each_reader_may_open(world, django_assert_max_num_queries):
    s = scene(world)
    reports.generate_period(Period.WEEK, s.week)
    lead = client_for(world.lead)
    with django_assert_max_num_queries(10):
        page = lead.get("/insight/reports/")
    assert page.status_code == 200 and b"Department \xc2\xb7 Support" in page.content
    assert b"Jia Ltd" not in page.content  # a lead reads no account's dossier here
    mine = client_for(world.customer_a).get("/insight/reports/")
    assert b"Jia Ltd" in mine.content and b"Yi Ltd" not in mine.content
    assert client_for(world.employee).get("/insight/reports/").content.count(b"/pdf/") == 0
    assert (
        client_for(world.lead)
        .get("/insight/reports/?format=xlsx")["Content-Type"]
        .startswith("application/vnd.openxmlformats")
    )


def test_each_figure_opens_the_tickets_behind_it(world):
    s = scene(world)
    report = company(s.week)
    client = client_for(world.lead)
    page = client.get(f"/insight/reports/{report.pk}/")
    assert f"/insight/reports/{report.pk}/rows/volume_type/?key=complaint".encode() in page.content
    rows = client.get(f"/insight/reports/{report.pk}/rows/volume_type/?key=complaint")
    assert rows.status_code == 200 and s.complaint.reference.encode() in rows.content
    backlog = client.get(f"/insight/reports/{report.pk}/rows/backlog/?key=lt1")
    assert b"KH-" in backlog.content
    assert client.get(f"/insight/reports/{report.pk}/rows/nonsense/").status_code == 404


def test_subscribing_to_a_scope_you_may_not_read_is_refused(world):
    scene(world)
    response = client_for(world.employee).post(
        "/api/insight/subscriptions",
        {"scope": "company", "period": "week", "language": "en"},
        content_type="application/json",
    )
    assert response.status_code == 422
    ok = client_for(world.lead).post(
        "/api/insight/subscriptions",
        {"scope": "company", "period": "month", "language": "zh-hans"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    page = client_for(world.lead).get("/insight/subscriptions/")
    assert page.status_code == 200
