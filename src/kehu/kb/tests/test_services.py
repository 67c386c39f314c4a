"""Articles, translations with revisions, optimistic concurrency, search, votes, deflection."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.core.concurrency import StaleVersionError
from kehu.core.markdown import render_markdown
from kehu.desk.tests import factories as desk
from kehu.kb import selectors, services
from kehu.kb.models import ArticleTranslation, Status, Visibility
from kehu.kb.search import search_translations
from kehu.kb.tests import factories


def test_a_new_article_keeps_revision_one_and_is_found_by_a_chinese_word(world):
    article = factories.article(world.agent, title="如何重新开具发票")
    translation = article.translations.get()
    assert list(translation.revisions.values_list("number", flat=True)) == [1]
    # 发票 is two characters inside 开具发票: the desk's bigram tokeniser finds it.
    assert list(search_translations(world.agent, "发票")) == [translation]
    assert list(search_translations(world.agent, "票")) == [translation]
    assert list(search_translations(world.agent, "合同")) == []


def test_english_and_chinese_translations_are_one_article(world):
    article = factories.article(world.agent, title="如何重新开具发票")
    services.translation_save(
        article,
        language="en",
        by=world.agent,
        version=None,
        title="How to reissue an invoice",
        body="Open **Billing** and click *Reissue*.",
        status=Status.PUBLISHED,
    )
    found = search_translations(world.agent, "Invoices reissue")
    assert list(found) == []  # every word must match: "invoices" is not "invoice"
    found = search_translations(world.agent, "reissue INVOICE")
    assert [t.language for t in found] == ["en"]
    assert article.translation_for("zh-hans").language == "zh-hans"
    assert article.translation_for("en").title == "How to reissue an invoice"


def test_each_save_keeps_a_revision_and_a_stale_version_is_refused(world):
    article = factories.article(world.agent, body="第一行\n第二行")
    translation = article.translations.get()
    saved = services.translation_save(
        article,
        language="zh-hans",
        by=world.agent,
        version=translation.version,
        title=translation.title,
        body="第一行\n第二行已改",
        status=Status.PUBLISHED,
    )
    assert saved.version == translation.version + 1
    assert [r.number for r in selectors.revisions(saved)] == [2, 1]
    with pytest.raises(StaleVersionError):
        services.translation_save(
            article,
            language="zh-hans",
            by=world.lead,
            version=translation.version,  # read before the save above
            title="别人的标题",
            body="覆盖",
            status=Status.DRAFT,
        )
    saved.refresh_from_db()
    assert saved.title != "别人的标题" and saved.body.endswith("已改")
    assert saved.revisions.count() == 2
    # Saving the same text again keeps no empty revision.
    services.translation_save(
        article,
        language="zh-hans",
        by=world.agent,
        version=saved.version,
        title=saved.title,
        body=saved.body,
        status=saved.status,
    )
    assert saved.revisions.count() == 2


def test_the_search_index_follows_the_text(world):
    article = factories.article(world.agent, title="VPN 无法连接", body="重启客户端")
    translation = article.translations.get()
    services.translation_save(
        article,
        language="zh-hans",
        by=world.agent,
        version=translation.version,
        title="打印机脱机",
        body="检查网线",
        status=Status.PUBLISHED,
    )
    assert list(search_translations(world.agent, "VPN")) == []
    assert [t.pk for t in search_translations(world.agent, "打印机")] == [translation.pk]


def test_hostile_html_in_an_article_is_shown_as_text(world):
    hostile = (
        '<script>alert(1)</script><img src=x onerror="alert(2)">'
        "[click](javascript:alert(3)) <iframe src='https://evil.example'></iframe>\n\n"
        "[ok](https://example.com)"
    )
    article = factories.article(world.agent, body=hostile)
    html = str(render_markdown(article.translations.get().body))
    # Tags arrive as text, never as elements; a javascript: link is no link at all.
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.com" rel="noopener nofollow">ok</a>' in html


def test_a_category_cannot_be_moved_below_itself(world):
    top = factories.category("账单")
    child = factories.category("发票", parent=top)
    with pytest.raises(ValidationError):
        services.category_update(top, version=top.version, parent=child)


def test_an_article_keeps_one_language_at_least(world):
    article = factories.article(world.agent)
    with pytest.raises(ValidationError):
        services.translation_delete(article.translations.get())


def test_a_vote_per_user_which_they_may_change(world):
    article = factories.article(world.agent)
    services.vote(article, user=world.customer_a, helpful=True)
    services.vote(article, user=world.customer_a, helpful=False)
    services.vote(article, user=world.customer_b, helpful=False)
    counted = selectors.article_detail(world.agent, article.pk)
    assert (counted.helpful_yes, counted.helpful_no) == (0, 2)


def test_customers_never_find_internal_articles_or_drafts(world):
    public = factories.article(world.agent, title="发票公开")
    factories.article(world.agent, title="发票内部", visibility=Visibility.INTERNAL)
    factories.article(world.agent, title="发票草稿", status=Status.DRAFT)
    customer_finds = search_translations(world.customer_a, "发票")
    assert [t.article_id for t in customer_finds] == [public.pk]
    assert len(search_translations(world.agent, "发票")) == 3
    assert [t.article_id for t in search_translations(world.agent, "发票", public_only=True)] == [
        public.pk
    ]
    listed = selectors.article_list(world.customer_a, selectors.ArticleFilters())
    assert [a.pk for a in listed] == [public.pk]
    assert selectors.suggestions(world.outsider, "发票", language="zh-hans") == []


def test_suggestions_prefer_the_readers_language(world):
    article = factories.article(world.agent, title="如何重新开具发票 invoice")
    services.translation_save(
        article,
        language="en",
        by=world.agent,
        version=None,
        title="Reissue an invoice",
        body="",
        status=Status.PUBLISHED,
    )
    [found] = selectors.suggestions(world.customer_a, "invoice", language="en")
    assert found.language == "en"
    [found] = selectors.suggestions(world.customer_a, "invoice", language="zh-hans")
    assert found.language == "zh-hans"


def _customer_with_contact(world):
    contact = desk.contact("甲公司")
    contact.user = world.customer_a
    contact.save()
    return contact


def test_deflection_counts_visits_that_ended_without_a_request(world):
    article = factories.article(world.agent)
    contact = _customer_with_contact(world)
    now = timezone.now()
    deflected = services.suggestion_opened(
        token=services.parse_visit_token("6f1c2f0e-8d7b-4d7e-9a53-1d2c3b4a5f60"),
        user=world.customer_a,
        article=article,
    )
    type(deflected).objects.filter(pk=deflected.pk).update(
        first_opened_at=now - timedelta(hours=3), last_opened_at=now - timedelta(hours=3)
    )
    submitted = services.suggestion_opened(
        token=services.parse_visit_token("0b7e4a9c-2f55-4b1e-8e0c-3a6d9e2f7c11"),
        user=world.customer_a,
        article=article,
    )
    type(submitted).objects.filter(pk=submitted.pk).update(
        first_opened_at=now - timedelta(hours=2), last_opened_at=now - timedelta(hours=2)
    )
    ticket = desk.ticket(world.support, contact_=contact, channel="portal")
    type(ticket).objects.filter(pk=ticket.pk).update(
        created_at=now - timedelta(hours=2) + timedelta(minutes=10)
    )
    services.suggestion_opened(
        token=services.parse_visit_token("9a9a9a9a-1111-4222-8333-444455556666"),
        user=world.customer_a,
        article=article,
    )  # just now: still pending
    stats = selectors.deflection_stats(now=now)
    assert (stats.visits, stats.deflected, stats.submitted, stats.pending) == (3, 1, 1, 1)
    assert stats.rate == 0.5
    assert selectors.deflections_by_article([article.pk], now=now) == {article.pk: (3, 1)}


def test_nobody_adds_to_another_customers_visit(world):
    article = factories.article(world.agent)
    token = services.parse_visit_token("6f1c2f0e-8d7b-4d7e-9a53-1d2c3b4a5f60")
    assert services.suggestion_opened(token=token, user=world.customer_a, article=article)
    assert services.suggestion_opened(token=token, user=world.customer_b, article=article) is None
    assert services.parse_visit_token("not-a-uuid") is None


def test_a_translation_is_one_per_language(world):
    article = factories.article(world.agent)
    with pytest.raises(StaleVersionError):
        services.translation_save(
            article,
            language="zh-hans",
            by=world.agent,
            version=None,
            title="再来一个中文版",
            body="",
            status=Status.DRAFT,
        )
    assert ArticleTranslation.objects.filter(article=article).count() == 1


def test_reindex_rebuilds_a_lost_index(world):
    from io import StringIO

    from django.core.management import call_command

    from kehu.kb.models import ArticleSearchDocument

    translation = factories.article(world.agent, title="如何重新开具发票").translations.get()
    ArticleSearchDocument.objects.all().delete()
    assert not search_translations(world.agent, "发票")
    out = StringIO()
    call_command("reindex_kb", stdout=out)
    assert "Indexed 1 article translations." in out.getvalue()
    assert list(search_translations(world.agent, "发票")) == [translation]
