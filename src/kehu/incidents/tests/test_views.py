"""The incident pages as staff use them: declare, link, notify twice, review, account section."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from kehu.conftest import client_for
from kehu.desk.models import Message
from kehu.desk.tests.factories import contact, ticket
from kehu.incidents import services
from kehu.incidents.models import IncidentStatus, MajorIncident, TimelineEntry


@pytest.fixture
def incident(world):
    return services.incident_declare(
        services.NewIncident(title="机房断电", response_departments=[world.support]),
        actor=world.agent,
    )


def _link_many(world, incident, n: int) -> list:
    made = [
        ticket(world.support, contact_=contact(f"客户{incident.pk}-{i}"), subject=f"故障{i}")
        for i in range(n)
    ]
    services.incident_link_tickets(incident, actor=world.agent, tickets=made)
    return made


def test_declare_form_links_tickets_and_accounts(world):
    first = ticket(world.support, contact_=contact("甲公司"))
    second = ticket(world.support, contact_=contact("乙公司"))
    response = client_for(world.agent).post(
        reverse("incidents:declare"),
        {
            "title": "数据库主库宕机",
            "severity": "sev1",
            "description": "所有写入失败",
            "response_departments": [world.support.pk],
            "tickets": f"{first.reference}, {second.pk}",
        },
    )
    incident = MajorIncident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    assert set(incident.tickets.all()) == {first, second}
    assert set(incident.affected_accounts.all()) == {first.account, second.account}
    assert incident.declared_by == world.agent


def test_declare_form_names_unknown_tickets(world):
    response = client_for(world.agent).post(
        reverse("incidents:declare"),
        {"title": "网络抖动", "severity": "sev2", "tickets": "KH-999, abc"},
    )
    assert response.status_code == 200
    assert "No such ticket: abc, KH-999." in response.content.decode()
    assert not MajorIncident.objects.exists()


def test_incident_page_shows_everything(world, incident):
    made = _link_many(world, incident, 2)
    page = client_for(world.auditor).get(reverse("incidents:detail", args=[incident.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for t in made:
        assert t.reference in html
        assert t.account.display_name in html
    assert world.support.display_name in html
    assert "Declared" in html
    # auditors read; they get no forms
    assert 'data-testid="notify-form"' not in html
    assert 'data-testid="review"' in html


def test_incident_page_query_count_does_not_grow(world, incident, django_assert_max_num_queries):
    _link_many(world, incident, 2)
    client = client_for(world.agent)
    url = reverse("incidents:detail", args=[incident.pk])
    client.get(url)  # warm per-session caches
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    _link_many(world, incident, 12)
    for i in range(5):
        services.timeline_add(incident, actor=world.agent, kind="update", text=f"进展{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_list_filters_and_query_count(world, incident, django_assert_max_num_queries):
    _link_many(world, incident, 3)
    for i in range(15):
        other = services.incident_declare(
            services.NewIncident(title=f"其他事件{i}", commander=None), actor=world.agent
        )
        _link_many(world, other, 1)
    resolved = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"status": IncidentStatus.RESOLVED},
    )
    client = client_for(world.employee)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("incidents:list"))
    assert len(re.findall(r'href="/incidents/\d+/"', page.content.decode())) == 16
    only = client.get(reverse("incidents:list"), {"status": "resolved"}).content.decode()
    assert resolved.reference in only and "其他事件" not in only
    by_ref = client.get(reverse("incidents:list"), {"q": resolved.reference.lower()})
    assert "其他事件" not in by_ref.content.decode()
    assert "3 (3)" in only  # three linked tickets, all open


def test_notify_twice_from_the_page_posts_once(world, incident):
    made = _link_many(world, incident, 2)
    client = client_for(world.agent)
    url = reverse("incidents:notify", args=[incident.pk])
    assert client.post(url, {"text": "正在恢复"}).status_code == 302
    assert client.post(url, {"text": "正在恢复"}).status_code == 302
    for t in made:
        assert t.messages.filter(body="正在恢复", kind=Message.Kind.PUBLIC).count() == 1
    assert incident.timeline.filter(kind=TimelineEntry.Kind.CUSTOMER_NOTICE).count() == 1
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Posted on 2 tickets:" in page


def test_review_close_without_summary_shows_the_error(world, incident):
    resolved = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"status": IncidentStatus.RESOLVED},
    )
    client = client_for(world.lead)
    response = client.post(
        reverse("incidents:review", args=[incident.pk]),
        {"version": resolved.version, "review_root_cause": "UPS", "close": "1"},
    )
    assert response.status_code == 422
    assert "Closing needs the post-incident review: write its summary." in response.content.decode()
    assert MajorIncident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED

    response = client.post(
        reverse("incidents:review", args=[incident.pk]),
        {
            "version": resolved.version,
            "review_summary": "断电两小时",
            "review_root_cause": "UPS",
            "close": "1",
        },
    )
    assert response.status_code == 302
    assert MajorIncident.objects.get(pk=incident.pk).status == IncidentStatus.CLOSED


def test_status_form_with_stale_version_is_409(world, incident):
    client = client_for(world.agent)
    url = reverse("incidents:status", args=[incident.pk])
    assert (
        client.post(url, {"status": "investigating", "version": incident.version}).status_code
        == 302
    )
    response = client.post(url, {"status": "mitigated", "version": incident.version})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert MajorIncident.objects.get(pk=incident.pk).status == IncidentStatus.INVESTIGATING


def test_edit_with_stale_version_is_409(world, incident):
    client = client_for(world.agent)
    url = reverse("incidents:edit", args=[incident.pk])
    data = {"title": "新标题", "severity": "sev1", "version": incident.version}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "title": "另一个标题"})
    assert response.status_code == 409
    assert MajorIncident.objects.get(pk=incident.pk).title == "新标题"


def test_timeline_and_link_forms(world, incident):
    client = client_for(world.agent)
    extra = ticket(world.support, contact_=contact("丁公司"))
    client.post(reverse("incidents:link", args=[incident.pk]), {"tickets": extra.reference})
    client.post(
        reverse("incidents:timeline-add", args=[incident.pk]),
        {"kind": "update", "text": "已切换备用电源"},
    )
    assert list(incident.tickets.all()) == [extra]
    assert incident.timeline.filter(kind="update", text="已切换备用电源").exists()
    client.post(reverse("incidents:unlink", args=[incident.pk]), {"ticket": extra.pk})
    assert not incident.tickets.exists()
    bad = client.post(reverse("incidents:timeline-add", args=[incident.pk]), {"kind": "update"})
    assert bad.status_code == 422


def test_actions_refuse_read_only_staff(world, incident):
    for user, status in ((world.auditor, 403), (world.employee, 403), (world.customer_a, 404)):
        response = client_for(user).post(
            reverse("incidents:notify", args=[incident.pk]), {"text": "x"}
        )
        assert response.status_code == status
    assert (
        client_for(world.agent).get(reverse("incidents:notify", args=[incident.pk])).status_code
        == 405
    )


def test_account_section_lists_incidents_with_review_link(world, incident):
    made = _link_many(world, incident, 1)
    account = made[0].account
    resolved = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"status": IncidentStatus.RESOLVED},
    )
    services.incident_close(
        resolved,
        actor=world.agent,
        expected_version=resolved.version,
        review={"review_summary": "断电", "review_root_cause": "UPS"},
    )
    page = client_for(world.employee).get(reverse("incidents:account", args=[account.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="{reverse("incidents:detail", args=[incident.pk])}#review"' in html
    unaffected = contact("无关公司").account
    other = client_for(world.employee).get(reverse("incidents:account", args=[unaffected.pk]))
    assert "No major incident has affected this account." in other.content.decode()


def test_account_page_tag_renders_the_section_for_staff_only(world, incident):
    account = _link_many(world, incident, 1)[0].account
    page = Template("{% load incidents %}{% account_incidents account %}")
    for_staff = page.render(Context({"user": world.employee, "account": account}))
    assert incident.reference in for_staff
    assert 'data-testid="account-incidents"' in for_staff
    for_customer = page.render(Context({"user": world.customer_a, "account": account}))
    assert for_customer.strip() == ""
