"""/api/kb: every documented status is real; customers never see internal articles or drafts."""

import pytest

from kehu.conftest import client_for
from kehu.kb.models import Article, Status, Visibility
from kehu.kb.tests import factories


def _json(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


@pytest.fixture
def kb(world):
    filed = factories.category("账单")
    public = factories.article(world.agent, category_=filed, title="如何重新开具发票")
    internal = factories.article(
        world.agent, category_=filed, title="发票内部排障", visibility=Visibility.INTERNAL
    )
    draft = factories.article(world.agent, category_=filed, title="发票草稿", status=Status.DRAFT)
    return filed, public, internal, draft


def test_customers_read_public_published_articles_only(world, kb):
    _filed, public, internal, draft = kb
    client = client_for(world.customer_a)
    listed = client.get("/api/kb/articles").json()
    assert [a["id"] for a in listed] == [public.pk]
    assert [a["id"] for a in client.get("/api/kb/articles?q=发票").json()] == [public.pk]
    assert client.get(f"/api/kb/articles/{public.pk}").status_code == 200
    for hidden in (internal, draft):
        response = client.get(f"/api/kb/articles/{hidden.pk}")
        assert response.status_code == 404 and "内部" not in response.content.decode()
    assert [s["article_id"] for s in client.get("/api/kb/suggestions?q=发票").json()] == [public.pk]
    assert (
        client.get(f"/api/kb/articles/{public.pk}/translations/zh-hans/revisions").status_code
        == 404
    )
    assert client.get("/api/kb/deflection").status_code == 403
    # Staff read all three.
    assert len(client_for(world.employee).get("/api/kb/articles").json()) == 3


def test_list_and_detail_in_a_fixed_number_of_queries(world, kb, django_assert_max_num_queries):
    client = client_for(world.agent)
    for n in range(10):
        factories.article(world.agent, category_=kb[0], title=f"文章{n}")
    client.get("/api/kb/articles")
    with django_assert_max_num_queries(10):
        assert len(client.get("/api/kb/articles").json()) == 13
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/kb/articles/{kb[1].pk}").status_code == 200


def test_unauthenticated_is_401(kb):
    assert client_for(None).get("/api/kb/articles").status_code == 401


def test_write_an_article_its_translation_and_read_the_diff(world, kb):
    filed = kb[0]
    client = client_for(world.agent)
    created = _json(
        client,
        "post",
        "/api/kb/articles",
        {
            "category_id": filed.pk,
            "language": "zh-hans",
            "title": "VPN 无法连接",
            "body": "重启客户端",
            "visibility": "public",
            "status": "published",
        },
    )
    assert created.status_code == 201, created.content
    article = created.json()
    zh = article["translations"][0]
    en = _json(
        client,
        "put",
        f"/api/kb/articles/{article['id']}/translations/en",
        {"title": "VPN will not connect", "body": "Restart the client.", "status": "draft"},
    )
    assert en.status_code == 201
    saved = _json(
        client,
        "put",
        f"/api/kb/articles/{article['id']}/translations/zh-hans",
        {
            "version": zh["version"],
            "title": "VPN 无法连接",
            "body": "先重启客户端",
            "status": "published",
        },
    )
    assert saved.status_code == 200 and saved.json()["version"] == zh["version"] + 1
    stale = _json(
        client,
        "put",
        f"/api/kb/articles/{article['id']}/translations/zh-hans",
        {"version": zh["version"], "title": "覆盖", "body": "", "status": "draft"},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    missing_version = _json(
        client,
        "put",
        f"/api/kb/articles/{article['id']}/translations/zh-hans",
        {"title": "覆盖", "body": "", "status": "draft"},
    )
    assert missing_version.status_code == 409
    revisions = client.get(f"/api/kb/articles/{article['id']}/translations/zh-hans/revisions")
    assert [r["number"] for r in revisions.json()] == [2, 1]
    diff = client.get(f"/api/kb/articles/{article['id']}/translations/zh-hans/diff?a=1&b=2")
    assert "<ins>先</ins>" in "".join(line["html"] for line in diff.json()["lines"])
    bad = client.get(f"/api/kb/articles/{article['id']}/translations/zh-hans/diff?a=1&b=9")
    assert bad.status_code == 422
    url = f"/api/kb/articles/{article['id']}/translations"
    assert _json(client_for(world.auditor), "delete", f"{url}/en").status_code == 403
    assert _json(client, "delete", f"{url}/en").status_code == 204
    assert _json(client, "delete", f"{url}/en").status_code == 404
    assert _json(client, "delete", f"{url}/zh-hans").status_code == 422  # the last language


def test_article_patch_conflict_permissions_and_bad_input(world, kb):
    _filed, _public, internal, _draft = kb
    client = client_for(world.agent)
    url = f"/api/kb/articles/{internal.pk}"
    ok = _json(client, "patch", url, {"version": internal.version, "visibility": "public"})
    assert ok.status_code == 200 and ok.json()["visibility"] == "public"
    stale = _json(client, "patch", url, {"version": internal.version, "visibility": "internal"})
    assert stale.status_code == 409
    assert Article.objects.get(pk=internal.pk).visibility == "public"
    assert _json(client, "patch", url, {"version": 2, "category_id": 999999}).status_code == 422
    assert _json(client, "patch", url, {"version": 2, "visibility": "secret"}).status_code == 422
    assert _json(client_for(world.auditor), "patch", url, {"version": 2}).status_code == 403
    assert _json(client_for(world.employee), "delete", url).status_code == 403
    assert client.get("/api/kb/articles/999999").status_code == 404
    unknown_category = _json(
        client, "post", "/api/kb/articles", {"category_id": 999999, "language": "en", "title": "x"}
    )
    assert unknown_category.status_code == 422
    empty_title = _json(
        client, "post", "/api/kb/articles", {"category_id": kb[0].pk, "language": "en", "title": ""}
    )
    assert empty_title.status_code == 422
    customer = _json(
        client_for(world.customer_a),
        "post",
        "/api/kb/articles",
        {"category_id": kb[0].pk, "language": "en", "title": "x"},
    )
    assert customer.status_code == 403
    assert _json(client, "delete", url).status_code == 204


def test_categories_tree_loop_and_deletion_blocked(world, kb):
    filed = kb[0]
    client = client_for(world.agent)
    child = _json(client, "post", "/api/kb/categories", {"name": "发票", "parent_id": filed.pk})
    assert child.status_code == 201
    loop = _json(
        client,
        "patch",
        f"/api/kb/categories/{filed.pk}",
        {"version": filed.version, "parent_id": child.json()["id"]},
    )
    assert loop.status_code == 422
    in_use = _json(client_for(world.admin), "delete", f"/api/kb/categories/{filed.pk}")
    assert in_use.status_code == 409
    assert _json(client, "delete", f"/api/kb/categories/{child.json()['id']}").status_code == 403
    assert (
        _json(
            client_for(world.lead), "delete", f"/api/kb/categories/{child.json()['id']}"
        ).status_code
        == 204
    )
    assert [c["name"] for c in client.get("/api/kb/categories").json()] == ["账单"]


def test_votes_one_per_person(world, kb):
    public = kb[1]
    url = f"/api/kb/articles/{public.pk}/vote"
    customer = client_for(world.customer_a)
    assert _json(customer, "post", url, {"helpful": True}).json()["helpful_yes"] == 1
    second = _json(customer, "post", url, {"helpful": False}).json()
    assert (second["helpful_yes"], second["helpful_no"]) == (0, 1)
    assert _json(client_for(world.auditor), "post", url, {"helpful": True}).status_code == 403
    assert (
        _json(customer, "post", f"/api/kb/articles/{kb[2].pk}/vote", {"helpful": True}).status_code
        == 404
    )


def test_deflection_for_staff(world, kb):
    stats = client_for(world.agent).get("/api/kb/deflection").json()
    assert stats == {"visits": 0, "pending": 0, "deflected": 0, "submitted": 0, "rate": None}
