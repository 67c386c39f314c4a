"""Handover pages: the start flow, list, checklist, item edit, permissions and the panel."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from kehu.access.models import Role, RoleAssignment
from kehu.conftest import client_for, make_user
from kehu.customers import panels
from kehu.customers.models import Account
from kehu.customers.services import account_change_owner
from kehu.handover import services
from kehu.handover.models import Handover, HandoverItem


@pytest.fixture
def handover(world, setup):
    return services.handover_start(
        from_employee=setup.leaving,
        assignments={setup.accounts[0]: setup.taker, setup.accounts[1]: setup.other},
        reason="leaving",
        by=world.admin,
    )


def test_start_flow_choose_accounts_confirm(world, setup):
    client = client_for(world.lead)  # lead of after-sales; the leaving engineer is in support
    choose = client.get("/handover/start/")
    assert choose.status_code == 200 and "离职工程师" in choose.content.decode()
    url = f"/handover/start/?employee={setup.leaving.pk}"
    listing = client.get(url)
    body = listing.content.decode()
    assert all(name in body for name in ("甲公司", "乙公司", "丙公司")) and "丁公司" not in body
    post = {
        "reason": "leaving",
        "note": "调岗",
        "new_owner": setup.taker.pk,
        "accounts": [setup.accounts[0].pk, setup.accounts[2].pk],
        f"owner_{setup.accounts[2].pk}": setup.other.pk,
    }
    confirm = client.post(url, post)
    assert confirm.status_code == 200 and 'data-testid="handover-plan"' in confirm.content.decode()
    assert not Handover.objects.exists()  # nothing happens before the confirmation
    done = client.post(url, {**post, "confirm": "1"})
    handover = Handover.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/handover/{handover.pk}/"
    owners = dict(Account.objects.values_list("name", "owner_id"))
    assert owners["甲公司"] == setup.taker.pk
    assert owners["乙公司"] == setup.leaving.pk  # deselected
    assert owners["丙公司"] == setup.other.pk
    assert handover.created_by == world.lead and handover.note == "调岗"


def test_start_without_an_owner_for_an_account_says_so(world, setup):
    url = f"/handover/start/?employee={setup.leaving.pk}"
    response = client_for(world.admin).post(
        url, {"reason": "leaving", "accounts": [setup.accounts[0].pk], "confirm": "1"}
    )
    assert response.status_code == 422
    assert "Choose a new owner for 甲公司" in response.content.decode()
    assert not Handover.objects.exists()


def test_start_page_does_not_query_per_account(world, setup, django_assert_max_num_queries):
    client = client_for(world.admin)
    url = f"/handover/start/?employee={setup.leaving.pk}"
    client.get(url)
    for n in range(25):
        account = Account.objects.create(name=f"客户{n}")
        account_change_owner(account=account, owner=setup.leaving)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count('name="accounts"') == 28


def test_lead_of_another_department_cannot_start_or_see(world, setup, handover):
    other_lead = make_user("finance_lead", (Role.DEPARTMENT_LEAD, world.finance))
    client = client_for(other_lead)
    assert client.get(f"/handover/{handover.pk}/").status_code == 404
    item = handover.items.first()
    assert client.get(f"/handover/items/{item.pk}/edit/").status_code == 404
    # The employee is not theirs to hand over: the choice is refused.
    response = client.get(f"/handover/start/?employee={setup.leaving.pk}")
    assert (
        response.status_code == 200 and 'data-testid="choose-employee"' in response.content.decode()
    )
    assert client.get("/handover/").context["handovers"] == []


@pytest.mark.parametrize(
    "persona,status", [("agent", 404), ("employee", 404), ("auditor", 404), ("customer_a", 404)]
)
def test_others_get_404(world, handover, persona, status):
    client = client_for(getattr(world, persona))
    assert client.get(f"/handover/{handover.pk}/").status_code == status
    assert client.get(f"/handover/items/{handover.items.first().pk}/edit/").status_code == status


def test_new_owner_sees_only_their_item_and_edits_everything(world, setup, handover):
    client = client_for(world.account_manager)  # the taker's user
    page = client.get(f"/handover/{handover.pk}/")
    assert page.status_code == 200
    items = [item for item, _can in page.context["items"]]
    assert [i.account for i in items] == [setup.accounts[0]]
    item = items[0]
    form = client.get(f"/handover/items/{item.pk}/edit/").context["form"]
    assert set(form.fields) == {
        "background_notes",
        "open_items",
        "first_visit_planned_on",
        "first_visit_done_on",
        "status",
        "version",
    }
    saved = client.post(
        f"/handover/items/{item.pk}/edit/",
        {"version": 1, "status": "pending", "first_visit_planned_on": "2026-12-01"},
    )
    assert saved.status_code == 302
    other_item = handover.items.exclude(pk=item.pk).get()
    assert client.get(f"/handover/items/{other_item.pk}/edit/").status_code == 404


def test_previous_owner_writes_background_only(world, handover):
    from kehu.access.models import User

    client = client_for(User.objects.get(username="leaving"))
    RoleAssignment.objects.create(user=User.objects.get(username="leaving"), role=Role.EMPLOYEE)
    item = handover.items.order_by("id").first()
    form = client.get(f"/handover/items/{item.pk}/edit/").context["form"]
    assert set(form.fields) == {"background_notes", "open_items", "version"}
    response = client.post(
        f"/handover/items/{item.pk}/edit/",
        {"version": 1, "background_notes": "关键人：王工", "status": "done"},
    )
    assert response.status_code == 302
    saved = HandoverItem.objects.get(pk=item.pk)
    assert saved.background_notes == "关键人：王工" and saved.status == "in_progress"


def test_item_edit_409_and_done_rule_on_the_form(world, handover):
    client = client_for(world.after_sales)
    item = handover.items.first()
    services.handover_item_update(
        item=item, by=None, expected_version=1, changes={"open_items": "x"}
    )
    stale = client.post(f"/handover/items/{item.pk}/edit/", {"version": 1, "status": "pending"})
    assert stale.status_code == 409
    refused = client.post(f"/handover/items/{item.pk}/edit/", {"version": 2, "status": "done"})
    assert refused.status_code == 200
    assert "first in-person visit" in refused.content.decode()
    done = client.post(
        f"/handover/items/{item.pk}/edit/",
        {
            "version": 2,
            "status": "done",
            "background_notes": "背景",
            "first_visit_done_on": timezone.localdate().isoformat(),
        },
    )
    assert done.status_code == 302
    assert HandoverItem.objects.get(pk=item.pk).status == "done"


def test_list_open_first_with_bounded_queries(
    world, setup, handover, django_assert_max_num_queries
):
    for n in range(5):
        account = Account.objects.create(name=f"客户{n}")
        account_change_owner(account=account, owner=setup.other)
        services.handover_start(
            from_employee=setup.other, assignments={account: setup.taker}, reason="other", by=None
        )
    client = client_for(world.after_sales)
    with django_assert_max_num_queries(8):
        page = client.get("/handover/")
    rows = page.context["handovers"]
    assert len(rows) == 6 and rows[0].status == "open"
    with django_assert_max_num_queries(10):
        assert client.get(f"/handover/{handover.pk}/").status_code == 200


def _panel(user, account):
    request = RequestFactory().get("/")
    request.user = user
    panel = panels._panels["handover"]
    ctx = panel.context(request, account)
    return None if ctx is None else render_to_string(panel.template, ctx, request=request)


def test_account_panel_shows_the_open_checklist_to_those_who_may_see_it(
    world, setup, handover, django_assert_max_num_queries
):
    account = Account.objects.get(pk=setup.accounts[0].pk)
    request = RequestFactory().get("/")
    request.user = world.after_sales
    with django_assert_max_num_queries(6):
        panels._panels["handover"].context(request, account)
    html = _panel(world.after_sales, account)
    assert handover.reference in html and "0 of 4 steps" in html
    assert _panel(world.agent, account) is None
    assert _panel(world.customer_a, account) is None
