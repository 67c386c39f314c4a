"""Segment pages: rules admin, recompute, overview, override/withdraw and the account panel."""

from __future__ import annotations

from datetime import date

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from kehu.conftest import EmployeeFactory, client_for
from kehu.customers import panels
from kehu.customers.models import Account, SegmentChange
from kehu.segments import services
from kehu.segments.models import SegmentRule


@pytest.fixture
def account(db):
    return Account.objects.create(name="甲公司", customer_since=date(2020, 1, 1))


def test_admin_manages_rules_and_recomputes(world, account):
    client = client_for(world.admin)
    page = client.get("/segments/rules/")
    assert page.status_code == 200 and "Everyone else" in page.content.decode()
    created = client.post(
        "/segments/rules/new/",
        {
            "name": "新客户",
            "segment": "floating",
            "position": 5,
            "is_active": "on",
            "max_tenure_months": 6,
            "uses_competitors": "any",
        },
    )
    assert created.status_code == 302
    rule = SegmentRule.objects.get(name="新客户")
    stale = client.post(
        f"/segments/rules/{rule.pk}/edit/",
        {
            "name": "改名",
            "segment": "floating",
            "position": 5,
            "uses_competitors": "any",
            "version": rule.version + 1,
        },
    )
    assert stale.status_code == 409
    assert SegmentRule.objects.get(pk=rule.pk).name == "新客户"
    bad = client.post(
        f"/segments/rules/{rule.pk}/edit/",
        {
            "name": "x",
            "segment": "floating",
            "position": 5,
            "uses_competitors": "any",
            "min_spend_365": "10",
            "max_spend_365": "5",
            "version": rule.version,
        },
    )
    assert bad.status_code == 200 and "upper limit" in bad.content.decode()
    done = client.post("/segments/recompute/", follow=True)
    assert "1 accounts" in done.content.decode()
    assert Account.objects.get(pk=account.pk).segment == "potential"


@pytest.mark.parametrize("persona", ["lead", "after_sales", "account_manager", "agent"])
def test_only_admins_touch_rules(world, account, persona):
    client = client_for(getattr(world, persona))
    assert client.get("/segments/rules/").status_code == 403
    assert client.post("/segments/recompute/").status_code == 403
    assert not SegmentChange.objects.exists()


def test_keeper_overrides_and_withdraws(world, account):
    client = client_for(world.account_manager)
    response = client.post(
        f"/segments/accounts/{account.pk}/override/",
        {"segment": "loyal", "reason": "战略客户", "version": 1, "next": "/segments/"},
    )
    assert response.status_code == 302 and response["Location"] == "/segments/"
    assert Account.objects.get(pk=account.pk).segment_override_reason == "战略客户"
    stale = client.post(f"/segments/accounts/{account.pk}/withdraw/", {"version": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    ok = client.post(f"/segments/accounts/{account.pk}/withdraw/", {"version": 2})
    assert ok.status_code == 302
    assert Account.objects.get(pk=account.pk).segment == "potential"


def test_override_without_reason_says_so(world, account):
    response = client_for(world.after_sales).post(
        f"/segments/accounts/{account.pk}/override/",
        {"segment": "loyal", "reason": "", "version": 1, "next": "https://evil.example/"},
    )
    assert response.status_code == 422
    assert not SegmentChange.objects.exists()


@pytest.mark.parametrize(
    "persona,status", [("employee", 403), ("agent", 403), ("auditor", 403), ("customer_a", 404)]
)
def test_others_cannot_override(world, account, persona, status):
    response = client_for(getattr(world, persona)).post(
        f"/segments/accounts/{account.pk}/override/",
        {"segment": "loyal", "reason": "x", "version": 1},
    )
    assert response.status_code == status
    assert not SegmentChange.objects.exists()


def test_overview_counts_and_query_count(world, django_assert_max_num_queries):
    for n in range(12):
        Account.objects.create(name=f"客户{n}", customer_since=date(2020, 1, 1))
    services.segments_recompute()
    client = client_for(world.agent)
    with django_assert_max_num_queries(12):
        page = client.get("/segments/")
    assert page.status_code == 200
    assert page.context["overview"].counts[2] == ("potential", "Potential", 12)
    assert len(page.context["overview"].changed_accounts) == 12
    assert client_for(world.customer_a).get("/segments/").status_code == 403


def _panel(user, account):
    request = RequestFactory().get(f"/accounts/{account.pk}/")
    request.user = user
    panel = panels._panels["segment"]  # only this app's panel: the others are not under test
    ctx = panel.context(request, account)
    if ctx is None:
        return None
    return render_to_string(panel.template, ctx, request=request)


def test_panel_explains_the_segment_to_dossier_readers(
    world, account, django_assert_max_num_queries
):
    services.segments_recompute()
    services.segment_override(
        account=Account.objects.get(pk=account.pk),
        segment="loyal",
        reason="战略客户",
        expected_version=1,
        by=world.after_sales,
    )
    account = Account.objects.get(pk=account.pk)
    world.after_sales._kehu_roles = None
    from kehu.segments.panels import segment_panel_context

    request = RequestFactory().get("/")
    request.user = world.after_sales
    with django_assert_max_num_queries(8):
        segment_panel_context(request, account)
    html = _panel(world.after_sales, account)
    assert "战略客户" in html and "No purchases in the last year" in html
    assert f"segments/accounts/{account.pk}/withdraw" in html


def test_panel_hides_facts_from_staff_outside_the_dossier_and_all_from_customers(world, account):
    EmployeeFactory(user=world.employee)
    html = _panel(world.employee, account)
    assert html is not None and 'data-testid="segment-facts"' not in html
    assert f"/segments/accounts/{account.pk}/override/" not in html
    assert _panel(world.customer_a, account) is None


def test_rule_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    for n in range(20):
        SegmentRule.objects.create(name=f"规则{n}", segment="floating", position=n)
    client = client_for(world.admin)
    with django_assert_max_num_queries(8):
        page = client.get("/segments/rules/")
    assert page.status_code == 200 and page.content.decode().count("/edit/") == 25
