"""Who may read and write the knowledge base, rule by rule."""

import pytest

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, can
from kehu.conftest import client_for
from kehu.kb.models import Article, ArticleRevision, ArticleVote, KbCategory, Status, Visibility
from kehu.kb.tests import factories

WRITERS = ["admin", "agent", "lead", "after_sales"]
NOT_WRITERS = ["auditor", "employee", "account_manager", "customer_a", "outsider"]


@pytest.fixture
def records(world):
    filed = factories.category("账单")
    public = factories.article(world.agent, category_=filed, title="公开")
    internal = factories.article(
        world.agent, category_=filed, title="内部", visibility=Visibility.INTERNAL
    )
    draft = factories.article(world.agent, category_=filed, title="草稿", status=Status.DRAFT)
    return filed, public, internal, draft


@pytest.mark.parametrize("persona", WRITERS)
def test_writers_write_articles_and_categories(world, records, persona):
    user = getattr(world, persona)
    filed, public, internal, _draft = records
    for target in (Article, public, internal, filed):
        assert can(user, CHANGE, target)
    assert can(user, ADD, KbCategory)


@pytest.mark.parametrize("persona", NOT_WRITERS)
def test_everyone_else_writes_nothing(world, records, persona):
    user = getattr(world, persona)
    filed, public, internal, _draft = records
    for target in (Article, public, internal, filed):
        for action in (ADD, CHANGE, DELETE):
            assert not can(user, action, target)


def test_customers_read_public_published_articles_only(world, records):
    _filed, public, internal, draft = records
    customer = world.customer_a
    assert can(customer, VIEW, public)
    assert not can(customer, VIEW, internal)
    assert not can(customer, VIEW, draft)
    assert not can(customer, VIEW, public.translations.get().revisions.get())
    assert not can(world.outsider, VIEW, public)
    assert can(world.employee, VIEW, internal) and can(world.auditor, VIEW, draft)
    assert can(world.auditor, VIEW, ArticleRevision.objects.first())


def test_only_leads_and_admins_delete_categories(world, records):
    filed = records[0]
    assert can(world.lead, DELETE, filed) and can(world.admin, DELETE, filed)
    assert not can(world.agent, DELETE, filed)


def test_auditors_read_but_do_not_vote(world, records):
    public = records[1]
    assert not can(world.auditor, ADD, ArticleVote)
    response = client_for(world.auditor).post(
        f"/portal/help/articles/{public.pk}/vote/", {"helpful": "yes"}
    )
    assert response.status_code == 403
    assert not ArticleVote.objects.exists()


def test_the_help_centre_speaks_chinese(world, records):
    client = client_for(world.customer_a)
    client.post("/i18n/language/", {"language": "zh-hans", "next": "/portal/help/"})
    body = client.get("/portal/help/").content.decode()
    assert "帮助中心" in body and "搜索帮助中心" in body
    page = client.get(f"/portal/help/articles/{records[1].pk}/").content.decode()
    assert "这篇文章对您有帮助吗？" in page
