"""The churn pages: who sees and changes what, the review's actions, query counts, the panel."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from kehu.access.models import Role
from kehu.churn.models import ChurnFollowUp, ChurnReview, ReviewStatus
from kehu.churn.tests import factories as f
from kehu.churn.views import account_panel_context
from kehu.conftest import client_for, make_user
from kehu.customers.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    """An account owned by the account manager (customer A is its portal user) with a review."""
    owner = f.owner(world.support, user=world.account_manager, name="王芳")
    account = f.account("华东物流有限公司", owner=owner)
    Contact.objects.create(account=account, name="客户甲", user=world.customer_a)
    review = f.review(account, actor=world.account_manager, evidence="**用量**下降 60%")
    stranger = make_user("other_manager", (Role.ACCOUNT_MANAGER, None))
    f.owner(world.finance, user=stranger)
    return {"owner": owner, "account": account, "review": review, "stranger": stranger}


READERS = {"admin": 200, "after_sales": 200, "account_manager": 200, "auditor": 200}
KEPT_OUT = ["agent", "employee", "lead", "customer_a", "customer_b", "outsider", "stranger"]


def _user(world, setup, persona):
    return setup["stranger"] if persona == "stranger" else getattr(world, persona)


@pytest.mark.parametrize("persona", [*READERS, *KEPT_OUT])
def test_who_reads_a_review(world, setup, persona):
    response = client_for(_user(world, setup, persona)).get(f"/churn/{setup['review'].pk}/")
    assert response.status_code == READERS.get(persona, 404)


@pytest.mark.parametrize(
    "persona,status",
    [
        ("admin", 200),
        ("after_sales", 200),
        ("account_manager", 200),
        ("auditor", 403),
        *((p, 404) for p in KEPT_OUT),
    ],
)
def test_who_edits_and_opens(world, setup, persona, status):
    client = client_for(_user(world, setup, persona))
    assert client.get(f"/churn/{setup['review'].pk}/edit/").status_code == status
    other = f.account("西南能源集团", owner=setup["owner"])
    assert client.get(f"/churn/accounts/{other.pk}/open/").status_code == status


def test_team_member_edits(world, setup):
    from kehu.customers.models import AccountTeamMember

    member = f.owner(world.support, user=world.agent)
    AccountTeamMember.objects.create(account=setup["account"], employee=member, role="技术支持")
    assert client_for(world.agent).get(f"/churn/{setup['review'].pk}/edit/").status_code == 200


def test_actions_refuse_readers_and_gets(world, setup):
    pk = setup["review"].pk
    auditor = client_for(world.auditor)
    assert (
        auditor.post(f"/churn/{pk}/status/", {"status": "reviewed", "version": 1}).status_code
        == 403
    )
    assert client_for(world.agent).post(f"/churn/{pk}/status/", {}).status_code == 404
    assert client_for(world.after_sales).get(f"/churn/{pk}/status/").status_code == 405


def test_open_a_review_from_the_account(world, setup, django_capture_on_commit_callbacks):
    account = f.account("西南能源集团", owner=setup["owner"])
    client = client_for(world.account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/churn/accounts/{account.pk}/open/",
            {
                "kind": "shrinking",
                "noticed_on": timezone.localdate().isoformat(),
                "revenue_before": "1200000",
                "revenue_after": "400000",
                "currency": "cny",
                "evidence": "采购量连续三个月下降",
            },
        )
    review = ChurnReview.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == f"/churn/{review.pk}/"
    assert review.currency == "CNY"
    assert review.owner_at_review == setup["owner"]
    assert world.after_sales.notifications.filter(url=f"/churn/{review.pk}/").exists()
    inbox = client_for(world.after_sales).get(reverse("notify:inbox")).content.decode()
    assert "西南能源集团" in inbox


def test_open_shows_errors_on_the_form(world, setup):
    response = client_for(world.after_sales).post(
        f"/churn/accounts/{setup['account'].pk}/open/",
        {"kind": "lost", "currency": "CNY"},
    )
    assert response.status_code == 200
    assert "already has a churn review in progress" in response.content.decode()


def test_edit_with_a_stale_version_is_409(world, setup):
    review = setup["review"]
    data = {
        "kind": "lost",
        "noticed_on": review.noticed_on.isoformat(),
        "currency": "CNY",
        "evidence": "新的证据",
        "decision": "尝试挽回",
        "customer_attendees": "客户CTO 刘洋",
        "version": review.version,
    }
    client = client_for(world.after_sales)
    assert client.post(f"/churn/{review.pk}/edit/", data).status_code == 302
    stale = client.post(f"/churn/{review.pk}/edit/", {**data, "decision": "旧"})
    assert stale.status_code == 409
    review.refresh_from_db()
    assert review.decision == "尝试挽回"
    assert review.customer_attendees == "客户CTO 刘洋"


def test_attribution_form(world, setup):
    review, account = setup["review"], setup["account"]
    client = client_for(world.after_sales)
    refused = client.post(
        f"/churn/{review.pk}/attribution/",
        {"attribution": "commercial", "competitor": "", "version": review.version},
    )
    assert refused.status_code == 302  # open: attributing without a competitor is a draft
    review.refresh_from_db()
    held = client.post(
        f"/churn/{review.pk}/status/", {"status": "reviewed", "version": review.version}
    )
    assert held.status_code == 422
    assert "competitor" in held.content.decode()

    ticket = f.ticket_of(account, world.support)
    incident = f.incident_of(account)
    response = client.post(
        f"/churn/{review.pk}/attribution/",
        {
            "attribution": "service_capability",
            "cause_areas": ["operations", "development"],
            "tickets": [ticket.pk],
            "incidents": [incident.pk],
            "version": review.version,
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.cause_areas == ["development", "operations"]
    assert list(review.tickets.all()) == [ticket]
    stale = client.post(
        f"/churn/{review.pk}/attribution/",
        {"attribution": "business_ended", "version": review.version - 1},
    )
    assert stale.status_code == 409


def test_only_the_accounts_tickets_can_be_chosen(world, setup):
    review = setup["review"]
    foreign = f.ticket_of(f.account("别家"), world.support)
    response = client_for(world.after_sales).post(
        f"/churn/{review.pk}/attribution/",
        {"attribution": "service_capability", "tickets": [foreign.pk], "version": review.version},
    )
    assert response.status_code == 422
    assert not review.tickets.exists()


def test_transitions_and_follow_ups_on_the_page(world, setup):
    review = setup["review"]
    client = client_for(world.account_manager)
    client.post(
        f"/churn/{review.pk}/attribution/",
        {"attribution": "business_ended", "version": review.version},
    )
    review.refresh_from_db()
    client.post(
        f"/churn/{review.pk}/edit/",
        {
            "kind": "lost",
            "noticed_on": review.noticed_on.isoformat(),
            "review_held_on": review.noticed_on.isoformat(),
            "currency": "CNY",
            "attendees": [setup["owner"].pk],
            "version": review.version,
        },
    )
    review.refresh_from_db()
    assert list(review.attendees.all()) == [setup["owner"]]
    response = client.post(
        f"/churn/{review.pk}/status/",
        {"status": "reviewed", "note": "评审完成", "version": review.version},
    )
    assert response.status_code == 302
    response = client.post(
        f"/churn/{review.pk}/follow-ups/",
        {"action": "季度回访", "owner": setup["owner"].pk, "due_on": "2020-01-01"},
    )
    assert response.status_code == 302
    follow_up = ChurnFollowUp.objects.get(review=review)
    page = client.get(f"/churn/{review.pk}/").content.decode()
    assert "季度回访" in page and "overdue" in page
    review.refresh_from_db()
    closing = client.post(
        f"/churn/{review.pk}/status/", {"status": "closed", "version": review.version}
    )
    assert closing.status_code == 422
    done = client.post(
        f"/churn/follow-ups/{follow_up.pk}/done/", {"note": "已完成", "version": follow_up.version}
    )
    assert done.status_code == 302
    again = client.post(
        f"/churn/follow-ups/{follow_up.pk}/done/", {"note": "再次", "version": follow_up.version}
    )
    assert again.status_code == 409
    closing = client.post(
        f"/churn/{review.pk}/status/", {"status": "closed", "version": review.version}
    )
    assert closing.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.CLOSED
    assert "Edit the review" not in client.get(f"/churn/{review.pk}/").content.decode()


def test_follow_up_actions_are_kept_from_readers(world, setup):
    follow_up = ChurnFollowUp.objects.create(
        review=setup["review"], action="回访", owner=setup["owner"]
    )
    assert (
        client_for(world.auditor)
        .post(f"/churn/follow-ups/{follow_up.pk}/done/", {"version": 1})
        .status_code
        == 403
    )
    assert (
        client_for(world.agent)
        .post(f"/churn/follow-ups/{follow_up.pk}/done/", {"version": 1})
        .status_code
        == 404
    )


def test_evidence_markdown_is_rendered_safely(world, setup):
    review = setup["review"]
    review.evidence = "**用量**下降\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(1))"
    review.save()
    page = client_for(world.auditor).get(f"/churn/{review.pk}/").content.decode()
    assert "<strong>用量</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page


def test_detail_in_a_fixed_number_of_queries(world, setup, django_assert_max_num_queries):
    review, account = setup["review"], setup["account"]
    for n in range(5):
        ChurnFollowUp.objects.create(
            review=review,
            action=f"行动{n}",
            owner=f.owner(world.support),
            due_on=timezone.localdate(),
        )
        review.tickets.add(f.ticket_of(account, world.support, subject=f"故障{n}"))
        review.incidents.add(f.incident_of(account, title=f"事故{n}"))
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(17):
        response = client.get(f"/churn/{review.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count("故障") >= 5


def test_list_shows_only_readable_dossiers(world, setup, django_assert_max_num_queries):
    for n in range(15):
        f.review(f.account(f"公司{n}", owner=setup["owner"]), kind="shrinking")
    f.review(f.account("别人的公司"))
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(9):
        response = client.get("/churn/")
    body = response.content.decode()
    assert body.count('href="/churn/') >= 16
    assert "别人的公司" not in body
    assert "别人的公司" in client_for(world.after_sales).get("/churn/").content.decode()
    assert "华东物流" not in client_for(world.agent).get("/churn/").content.decode()
    assert client_for(world.customer_a).get("/churn/").status_code == 403


def test_list_filters(world, setup):
    closed = f.reviewed(f.account("乙公司"), attribution="commercial", competitor="云帆")
    client = client_for(world.after_sales)
    body = client.get("/churn/?attribution=commercial").content.decode()
    assert closed.reference in body and setup["review"].reference not in body
    body = client.get("/churn/?attribution=none&status=active").content.decode()
    assert setup["review"].reference in body and closed.reference not in body
    body = client.get(f"/churn/?owner={setup['owner'].pk}").content.decode()
    assert setup["review"].reference in body and closed.reference not in body
    body = client.get(f"/churn/?department={world.support.pk}&kind=lost").content.decode()
    assert setup["review"].reference in body
    body = client.get("/churn/?q=hdwl").content.decode()  # pinyin initials of 华东物流
    assert setup["review"].reference in body and closed.reference not in body
    past = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert "No churn reviews match" in client.get(f"/churn/?date_to={past}").content.decode()
    rows = client.get("/churn/?kind=lost", HTTP_HX_REQUEST="true").content.decode()
    assert rows.startswith("<table")


# --- the account page panel ---------------------------------------------------------------------


def _panel(user, account):
    request = RequestFactory().get("/")
    request.user = user
    return account_panel_context(request, account)


def test_panel_shows_the_review_in_progress(world, setup, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        context = _panel(world.account_manager, setup["account"])
    assert context["churn_review"] == setup["review"]
    assert context["churn_can_open"] is False
    assert _panel(world.auditor, setup["account"])["churn_review"] == setup["review"]
    for persona in ("agent", "employee", "customer_a", "lead"):
        assert _panel(getattr(world, persona), setup["account"]) is None


def test_panel_offers_to_open_to_dossier_editors(world):
    account = f.account("丙公司")
    assert _panel(world.after_sales, account) == {
        "account": account,
        "churn_review": None,
        "churn_review_count": 0,
        "churn_can_open": True,
    }
    assert _panel(world.auditor, account)["churn_can_open"] is False
    closed = f.reviewed(account)
    from kehu.churn import services

    services.review_transition(closed, actor=None, expected_version=closed.version, status="closed")
    context = _panel(world.after_sales, account)
    assert context["churn_review"].status == "closed"
    assert context["churn_can_open"] is True


def test_panel_renders(world, setup):
    from django.template.loader import render_to_string

    html = render_to_string(
        "churn/_account_panel.html", _panel(world.after_sales, setup["account"])
    )
    assert setup["review"].reference in html
    html = render_to_string("churn/_account_panel.html", _panel(world.after_sales, f.account("新")))
    assert "/open/" in html


def test_account_page_shows_the_panel_to_dossier_readers_only(world, setup):
    url = f"/customers/accounts/{setup['account'].pk}/"
    page = client_for(world.account_manager).get(url).content.decode()
    assert 'data-panel="churn"' in page and setup["review"].reference in page
    other = client_for(world.agent).get(url)
    assert other.status_code == 200
    assert 'data-panel="churn"' not in other.content.decode()
