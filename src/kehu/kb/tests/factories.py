"""Knowledge-base records for tests and the permission matrix."""

from __future__ import annotations

from typing import Any

from kehu.kb import services
from kehu.kb.models import Article, KbCategory, Status, Visibility


def category(name: str = "账单", parent: KbCategory | None = None, **fields: Any) -> KbCategory:
    return services.category_create(name=name, parent=parent, **fields)


def article(
    by: Any,
    *,
    title: str = "如何重新开具发票",
    body: str = "在**账单**页面点击“重新开具发票”。",
    language: str = "zh-hans",
    status: str = Status.PUBLISHED,
    visibility: str = Visibility.PUBLIC,
    category_: KbCategory | None = None,
) -> Article:
    return services.article_create(
        by=by,
        category=category_ or KbCategory.objects.first() or category(),
        language=language,
        title=title,
        body=body,
        status=status,
        visibility=visibility,
    )


def matrix_objects(world: Any) -> dict[str, Any]:
    """One public and one internal article, a category, and the public one's translation."""
    filed = category("矩阵分类")
    public = article(world.admin, category_=filed, title="公开文章")
    internal = article(
        world.admin, category_=filed, title="内部文章", visibility=Visibility.INTERNAL
    )
    return {
        "kb_category": filed.pk,
        "kb_article": public.pk,
        "kb_internal_article": internal.pk,
        "kb_translation": public.translations.get().pk,
    }
