"""The ticket search page and ``GET /api/desk/search``: visibility, escaping, filters, paging."""

import pytest

from kehu.conftest import client_for
from kehu.desk import tickets
from kehu.desk.search import index as search
from kehu.desk.tests import factories as f
from kehu.desk.tests.test_search import ODD_QUERIES

pytestmark = pytest.mark.django_db


def test_the_page_shows_ranked_escaped_results_to_staff(world, portal_contacts, after_commit):
    after_commit(
        f.ticket,
        world.support,
        contact_=portal_contacts[0],
        subject="<b>发票</b>未收到",
        body="<img src=x onerror=alert(1)> 请重新开具发票",
    )
    response = client_for(world.agent).get("/desk/search/", {"q": "发票"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;b&gt;<mark>发票</mark>&lt;/b&gt;未收到" in html
    assert "&lt;img src=x onerror=alert(1)&gt; 请重新开具<mark>发票</mark>" in html
    assert "<img src=x" not in html
    assert 'name="department"' in html and 'name="account"' in html


def test_the_page_for_a_customer_shows_only_their_tickets_and_no_notes(
    world, portal_contacts, after_commit
):
    mine = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="甲公司发票")
    after_commit(f.ticket, world.support, contact_=portal_contacts[1], subject="乙公司发票")
    after_commit(
        tickets.add_message, mine, actor=world.agent, body="发票内部备注：先别寄", kind="internal"
    )
    response = client_for(world.customer_a).get("/desk/search/", {"q": "发票"})
    html = response.content.decode()
    assert "甲公司<mark>发票</mark>" in html
    assert "乙公司" not in html
    assert "先别寄" not in html
    # No lists of departments, employees or other customers' portal_contacts to pick from.
    assert 'name="department"' not in html and 'name="account"' not in html
    assert 'name="assignee"' not in html


def test_live_search_returns_only_the_results_fragment(world, portal_contacts, after_commit):
    after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="VPN无法连接")
    response = client_for(world.agent).get(
        "/desk/search/", {"q": "vpn 连接"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "<mark>VPN</mark>无法<mark>连接</mark>" in html


def test_bad_filters_are_reported_not_failed(world, portal_contacts):
    response = client_for(world.agent).get(
        "/desk/search/", {"q": "发票", "created_from": "not a date", "status": "nonsense"}
    )
    assert response.status_code == 200
    assert b'class="errors"' in response.content


def test_the_search_page_needs_a_bounded_number_of_queries(
    world, portal_contacts, after_commit, django_assert_max_num_queries
):
    for n in range(25):
        ticket = after_commit(
            f.ticket,
            world.support,
            contact_=portal_contacts[n % 2],
            subject=f"发票问题{n}",
            tags=["财务"],
        )
        after_commit(
            tickets.add_message, ticket, actor=world.agent, body=f"第{n}次回复：发票已寄出"
        )
    for user in (world.agent, world.customer_a):
        client = client_for(user)
        client.get("/desk/search/")  # session and first-request work out of the way
        with django_assert_max_num_queries(10):  # 9 + the inbox badge
            response = client.get("/desk/search/", {"q": "发票", "tag": "财务"})
        assert response.content.decode().count('data-testid="search-hit"') == (
            20 if user == world.agent else 13
        )


def test_the_api_returns_ranked_pages(world, portal_contacts, after_commit):
    for n in range(5):
        after_commit(
            f.ticket, world.support, contact_=portal_contacts[0], subject=f"打印机{n}", body="发票"
        )
    best = after_commit(f.ticket, world.support, contact_=portal_contacts[0], subject="发票<抬头>")
    after_commit(f.ticket, world.support, contact_=portal_contacts[1], subject="乙的发票")
    client = client_for(world.customer_a)
    body = client.get("/api/desk/search", {"q": "发票", "page_size": 4}).json()
    assert body["count"] == 6
    assert [len(body["results"]), body["page"]] == [4, 1]
    top = body["results"][0]
    assert top["id"] == best.pk and top["reference"] == best.reference
    assert top["subject"] == "发票<抬头>"
    assert top["status"] == "new" and top["rank"] > body["results"][1]["rank"]
    assert "<mark>发票</mark>" in body["results"][1]["snippet"]
    second = client.get("/api/desk/search", {"q": "发票", "page_size": 4, "page": 2}).json()
    assert len(second["results"]) == 2
    ids = {r["id"] for r in body["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 6  # the customer never gets B's ticket


def test_the_api_filters_and_rejects_unknown_values(world, portal_contacts, after_commit):
    after_commit(
        f.ticket, world.support, contact_=portal_contacts[0], subject="发票", ticket_type="incident"
    )
    after_commit(f.ticket, world.finance, contact_=portal_contacts[0], subject="发票 问题")
    client = client_for(world.agent)

    def subjects(**params):
        found = client.get("/api/desk/search", {"q": "发票", **params}).json()["results"]
        return sorted(r["subject"] for r in found)

    assert subjects(ticket_type="incident") == ["发票"]
    assert subjects(department_id=world.finance.pk) == ["发票 问题"]
    assert subjects(status=["new", "open"]) == ["发票", "发票 问题"]
    assert subjects(status="closed") == []
    bad = client.get("/api/desk/search", {"status": "nonsense"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid"
    assert client_for(world.outsider).get("/api/desk/search").status_code == 403


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_the_api_survives_odd_queries(world, portal_contacts, query):
    response = client_for(world.customer_a).get("/api/desk/search", {"q": query})
    if "\x00" in query:  # refused at the API's edge, naming the parameter
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "q"
    else:
        assert response.status_code == 200


def test_page_and_api_say_when_more_tickets_match_than_are_counted(
    world, portal_contacts, after_commit, monkeypatch
):
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    for n in range(3):
        after_commit(
            f.ticket, world.support, contact_=portal_contacts[0], subject=f"发票{n}", body="发票"
        )
    client = client_for(world.agent)
    html = client.get("/desk/search/", {"q": "发票"}).content.decode()
    assert "More than 2 tickets" in html
    body = client.get("/api/desk/search", {"q": "发票"}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (2, True, 2)
    client.post("/i18n/language/", {"language": "zh-hans", "next": "/desk/search/"})
    assert "超过 2 个工单" in client.get("/desk/search/", {"q": "发票"}).content.decode()
