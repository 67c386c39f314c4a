"""The staff pages, the help centre, the portal's suggestions and the reply form's tool."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from kehu.conftest import client_for
from kehu.desk.tests import factories as desk
from kehu.kb import services
from kehu.kb.models import Status, SuggestionOpen, Visibility
from kehu.kb.tests import factories


@pytest.fixture
def articles(world):
    filed = factories.category("账单")
    public = factories.article(world.agent, category_=filed, title="如何重新开具发票")
    internal = factories.article(
        world.agent,
        category_=filed,
        title="发票系统内部排障",
        visibility=Visibility.INTERNAL,
        body="内部密码在保险柜",
    )
    draft = factories.article(world.agent, category_=filed, title="发票草稿", status=Status.DRAFT)
    return public, internal, draft


def _customer_with_contact(world):
    contact = desk.contact("甲公司")
    contact.user = world.customer_a
    contact.save()
    return contact


def test_staff_list_shows_every_article_in_a_fixed_number_of_queries(
    world, articles, django_assert_max_num_queries
):
    client = client_for(world.agent)
    client.get("/kb/")  # warm the per-user caches
    filed = articles[0].category
    for n in range(10):
        factories.article(world.agent, category_=filed, title=f"文章{n}")
    with django_assert_max_num_queries(12):
        response = client.get("/kb/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "发票系统内部排障" in body and "发票草稿" in body and "文章9" in body
    with django_assert_max_num_queries(14):
        response = client.get("/kb/", {"q": "发票", "visibility": "internal"})
    body = response.content.decode()
    assert "发票系统内部排障" in body and "如何重新开具发票" not in body


def test_staff_article_page_in_a_fixed_number_of_queries(
    world, articles, django_assert_max_num_queries
):
    client = client_for(world.agent)
    with django_assert_max_num_queries(12):
        response = client.get(f"/kb/articles/{articles[0].pk}/")
    assert response.status_code == 200
    assert "<strong>账单</strong>" in response.content.decode()


def test_the_help_centre_shows_public_published_articles_only(world, articles):
    public, internal, draft = articles
    client = client_for(world.customer_a)
    body = client.get("/portal/help/").content.decode()
    assert "如何重新开具发票" in body
    assert "内部" not in body and "发票草稿" not in body
    assert "如何重新开具发票" in client.get("/portal/help/", {"q": "发票"}).content.decode()
    assert client.get(f"/portal/help/articles/{public.pk}/").status_code == 200
    assert client.get(f"/portal/help/articles/{internal.pk}/").status_code == 404
    assert client.get(f"/portal/help/articles/{draft.pk}/").status_code == 404
    assert client.get(f"/kb/articles/{internal.pk}/").status_code == 403
    assert client_for(world.outsider).get("/portal/help/").status_code == 403


def test_help_centre_pages_in_a_fixed_number_of_queries(
    world, articles, django_assert_max_num_queries
):
    client = client_for(world.customer_a)
    for n in range(10):
        factories.article(world.agent, category_=articles[0].category, title=f"公开{n}")
    client.get("/portal/help/")
    with django_assert_max_num_queries(10):
        assert client.get("/portal/help/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/portal/help/articles/{articles[0].pk}/").status_code == 200


def test_the_request_form_suggests_public_articles_as_the_customer_types(world, articles):
    _customer_with_contact(world)
    client = client_for(world.customer_a)
    form = client.get("/portal/new/").content.decode()
    assert 'data-testid="kb-suggest"' in form and "/portal/help/suggest/" in form
    visit = "6f1c2f0e-8d7b-4d7e-9a53-1d2c3b4a5f60"
    found = client.get("/portal/help/suggest/", {"subject": "发票开错了", "visit": visit})
    body = found.content.decode()
    assert "如何重新开具发票" in body and f"?visit={visit}" in body
    assert "内部" not in body and "草稿" not in body
    # Opening a suggestion counts for its visit; a second opening does not double it.
    client.get(f"/portal/help/articles/{articles[0].pk}/", {"visit": visit})
    client.get(f"/portal/help/articles/{articles[0].pk}/", {"visit": visit})
    assert SuggestionOpen.objects.filter(visit__token=visit).count() == 1
    # A malformed token is ignored, not an error.
    assert client.get(f"/portal/help/articles/{articles[0].pk}/", {"visit": "x"}).status_code == 200


def test_a_vote_per_person_with_counts(world, articles):
    public = articles[0]
    client = client_for(world.customer_a)
    client.post(f"/portal/help/articles/{public.pk}/vote/", {"helpful": "yes"})
    response = client.post(
        f"/portal/help/articles/{public.pk}/vote/", {"helpful": "no"}, HTTP_HX_REQUEST="true"
    )
    assert "0 found it helpful, 1 did not." in response.content.decode()
    assert (
        client.post(f"/portal/help/articles/{public.pk}/vote/", {"helpful": "x"}).status_code == 422
    )
    assert (
        client.post(f"/portal/help/articles/{articles[1].pk}/vote/", {"helpful": "yes"}).status_code
        == 404
    )


def test_editing_keeps_revisions_shows_the_diff_and_refuses_a_stale_form(world, articles):
    public = articles[0]
    translation = public.translations.get()
    client = client_for(world.agent)
    url = f"/kb/articles/{public.pk}/zh-hans/edit/"
    form = {"title": "如何重新开具增值税发票", "body": translation.body, "status": "published"}
    response = client.post(url, {**form, "version": translation.version})
    assert response.status_code == 302
    stale = client.post(url, {**form, "title": "旧版本的修改", "version": translation.version})
    assert stale.status_code == 409
    translation.refresh_from_db()
    assert translation.title == "如何重新开具增值税发票"
    diff = client.get(f"/kb/translations/{translation.pk}/diff/").content.decode()
    assert "<ins>增值税</ins>" in diff
    assert client.get(f"/kb/translations/{translation.pk}/history/").status_code == 200


def test_an_english_translation_is_added_beside_the_chinese_one(world, articles):
    public = articles[0]
    client = client_for(world.agent)
    response = client.post(
        f"/kb/articles/{public.pk}/en/edit/",
        {"title": "Reissue an invoice", "body": "Open *Billing*.", "status": "published"},
    )
    assert response.status_code == 302
    page = client.get(f"/kb/articles/{public.pk}/?lang=en").content.decode()
    assert "Reissue an invoice" in page and "<em>Billing</em>" in page


def test_hostile_html_never_runs_on_the_help_centre_page(world):
    filed = factories.category("安全")
    article = factories.article(
        world.agent, category_=filed, body='<script>alert("x")</script><b onclick="x()">粗</b>'
    )
    body = client_for(world.customer_a).get(f"/portal/help/articles/{article.pk}/").content
    assert b'<script>alert("x")' not in body and b"<b onclick" not in body
    assert b"&lt;script&gt;" in body


def test_a_new_article_through_the_form_and_the_auditor_cannot(world):
    filed = factories.category("账单")
    data = {
        "language": "zh-hans",
        "title": "新文章",
        "body": "内容",
        "status": "draft",
        "category": filed.pk,
        "visibility": "public",
    }
    assert client_for(world.auditor).post("/kb/articles/new/", data).status_code == 403
    response = client_for(world.agent).post("/kb/articles/new/", data)
    assert response.status_code == 302
    bad = client_for(world.agent).post("/kb/articles/new/", {**data, "category": 999999})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_export_of_the_article_table(world, articles):
    response = client_for(world.agent).get("/kb/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "language", "title")
    assert {r[2] for r in rows[1:]} == {"如何重新开具发票", "发票系统内部排障", "发票草稿"}
    assert client_for(world.customer_a).get("/kb/export.xlsx").status_code == 403


def test_agents_insert_an_article_into_a_reply(world, articles):
    ticket = desk.ticket(world.support)
    client = client_for(world.agent)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="kb-reply-tool"' in page
    found = client.get("/kb/reply-search/", {"q": "发票"}).content.decode()
    assert "Insert link" in found and "/portal/help/articles/" in found
    assert "Not public" in found  # the internal article says so before its text goes out
    assert client_for(world.customer_a).get("/kb/reply-search/", {"q": "发票"}).status_code == 403


def test_categories_pages(world):
    top = factories.category("账单")
    client = client_for(world.agent)
    assert "账单" in client.get("/kb/categories/").content.decode()
    response = client.post("/kb/categories/new/", {"name": "发票", "parent": top.pk, "position": 1})
    assert response.status_code == 302
    factories.article(world.agent, category_=top)
    refused = client_for(world.admin).post(f"/kb/categories/{top.pk}/", {"delete": "1"})
    assert refused.status_code == 302 and services  # still used: the message says why
    assert top.__class__.objects.filter(pk=top.pk).exists()
