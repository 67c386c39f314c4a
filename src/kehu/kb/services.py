"""Writes of the knowledge base: categories, articles and their translations with revisions,
votes, and the suggestions customers open while writing a request."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.core.services import object_create, object_delete, object_update
from kehu.kb.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    ArticleVote,
    KbCategory,
    Status,
    SuggestionOpen,
    SuggestionVisit,
)
from kehu.kb.search import index_translations

TRANSLATION_FIELDS = ("title", "body", "status")
ARTICLE_FIELDS = ("category", "department", "visibility")


def category_create(**fields: Any) -> KbCategory:
    """A new category (its parent must not make a loop)."""
    return object_create(KbCategory, **fields)


def category_update(category: KbCategory, *, version: int, **changes: Any) -> KbCategory:
    """Rename or move a category (409 on a stale version)."""
    return object_update(category, expected_version=version, changes=changes)


def category_delete(category: KbCategory) -> None:
    """Delete an empty category (DeletionBlocked while articles or children use it)."""
    object_delete(category)


def _record_revision(translation: ArticleTranslation, by: Any) -> ArticleRevision:
    last = translation.revisions.order_by("-number").values_list("number", flat=True).first()
    return ArticleRevision.objects.create(
        translation=translation,
        number=(last or 0) + 1,
        title=translation.title,
        body=translation.body,
        status=translation.status,
        author=by,
    )


def _new_translation(
    article: Article, *, language: str, title: str, body: str, status: str, by: Any
) -> ArticleTranslation:
    translation = ArticleTranslation(
        article=article,
        language=language,
        title=title,
        body=body,
        status=status,
        updated_by=by,
        published_at=timezone.now() if status == Status.PUBLISHED else None,
    )
    translation.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"language": _("This article already has a translation in that language.")}
        ) from exc
    _record_revision(translation, by)
    index_translations([translation.pk])
    return translation


@transaction.atomic
def article_create(
    *,
    by: Any,
    category: KbCategory,
    language: str,
    title: str,
    body: str = "",
    status: str = Status.DRAFT,
    visibility: str = "internal",
    department: Any = None,
) -> Article:
    """A new article with its first translation (revision 1)."""
    article = object_create(
        Article, category=category, department=department, visibility=visibility, created_by=by
    )
    _new_translation(article, language=language, title=title, body=body, status=status, by=by)
    return article


def article_update(article: Article, *, version: int, **changes: Any) -> Article:
    """Change where an article is filed or who reads it (409 on a stale version)."""
    unknown = set(changes) - set(ARTICLE_FIELDS)
    if unknown:
        raise ValueError(f"not article fields: {sorted(unknown)}")
    return object_update(article, expected_version=version, changes=changes)


def article_delete(article: Article) -> None:
    """Delete an article with its translations, revisions, votes and search documents."""
    object_delete(article)


@transaction.atomic
def translation_save(
    article: Article,
    *,
    language: str,
    by: Any,
    version: int | None,
    title: str,
    body: str,
    status: str,
) -> ArticleTranslation:
    """Write one language of an article, keeping a revision when anything changed.

    A new language needs no version; an existing one is saved only if its stored version is
    still ``version`` (StaleVersionError otherwise: someone saved in between)."""
    existing = ArticleTranslation.objects.filter(article=article, language=language).first()
    if existing is None:
        return _new_translation(
            article, language=language, title=title, body=body, status=status, by=by
        )
    if version is None:
        raise StaleVersionError(existing)
    changes: dict[str, Any] = {"title": title, "body": body, "status": status, "updated_by": by}
    if status == Status.PUBLISHED and existing.status != Status.PUBLISHED:
        changes["published_at"] = timezone.now()
    unchanged = all(getattr(existing, f) == changes[f] for f in TRANSLATION_FIELDS)
    saved = save_if_current(existing, expected_version=version, changes=changes)
    if not unchanged:
        _record_revision(saved, by)
        index_translations([saved.pk])
        # The article's "updated" time orders the lists.
        Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    return saved


def translation_delete(translation: ArticleTranslation) -> None:
    """Remove one language; an article keeps at least one."""
    if translation.article.translations.count() <= 1:
        raise ValidationError(
            _("An article needs at least one language: delete the article instead.")
        )
    translation.delete()


def vote(article: Article, *, user: Any, helpful: bool) -> ArticleVote:
    """Record whether the article helped ``user``; a second vote replaces the first."""
    found, _created = ArticleVote.objects.update_or_create(
        article=article, user=user, defaults={"helpful": helpful, "voted_at": timezone.now()}
    )
    return found


def parse_visit_token(raw: str | None) -> uuid.UUID | None:
    """The visit token of a suggestion link, or None when it is absent or malformed."""
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


@transaction.atomic
def suggestion_opened(*, token: uuid.UUID, user: Any, article: Article) -> SuggestionVisit | None:
    """Note that ``user`` opened ``article`` from the suggestions of request form ``token``.

    A token already used by someone else is ignored (None): nobody can add to another's visit."""
    now = timezone.now()
    visit, created = SuggestionVisit.objects.get_or_create(
        token=token, defaults={"user": user, "first_opened_at": now, "last_opened_at": now}
    )
    if visit.user_id != user.pk:
        return None
    if not created:
        SuggestionVisit.objects.filter(pk=visit.pk).update(last_opened_at=now)
    SuggestionOpen.objects.get_or_create(visit=visit, article=article, defaults={"opened_at": now})
    return visit
