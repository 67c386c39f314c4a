"""The knowledge base's demo: rich enough to show, repeatable without duplicates."""

from kehu.kb.demo import build_kb_demo
from kehu.kb.models import Article, ArticleRevision, ArticleTranslation, KbCategory, Visibility
from kehu.kb.search import search_translations
from kehu.org.demo import build_org_demo


def test_demo_articles_in_both_languages_refreshed_not_duplicated(db):
    build_org_demo(lambda step: None)
    assert build_kb_demo() == 22
    counts = (
        Article.objects.count(),
        ArticleTranslation.objects.count(),
        ArticleRevision.objects.count(),
        KbCategory.objects.count(),
    )
    assert build_kb_demo() == 22
    assert counts == (
        Article.objects.count(),
        ArticleTranslation.objects.count(),
        ArticleRevision.objects.count(),
        KbCategory.objects.count(),
    )
    assert counts[1] == 44
    assert Article.objects.filter(visibility=Visibility.INTERNAL).count() == 4
    assert KbCategory.objects.filter(parent__isnull=False).count() == 2
    from kehu.access.models import User

    customer = User.objects.get(username="customer")
    assert search_translations(customer, "发票")
    assert not search_translations(customer, "退款审批")  # internal
