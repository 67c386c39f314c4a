"""Who may read and write the knowledge base.

Staff read every article, internal or public, draft or published. Agents, department leads,
after-sales engineers and administrators write them; auditors only read. Customers (portal
users) read public articles in their published translations, nothing else — internal articles
and drafts never reach them, on a page or through the API (``readable_translations``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kehu.access.models import Role
from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, is_staff_member, roles_of, rule
from kehu.kb.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    ArticleVote,
    KbCategory,
    Status,
    Visibility,
)

EDITOR_ROLES = frozenset({Role.ADMIN, Role.AGENT, Role.DEPARTMENT_LEAD, Role.AFTER_SALES})


def is_kb_editor(user: Any) -> bool:
    return bool(roles_of(user) & EDITOR_ROLES)


def is_kb_reader(user: Any) -> bool:
    """Anyone with a role reads the help centre (customers its public part)."""
    return bool(roles_of(user))


def readable_translations(user: Any) -> QuerySet[ArticleTranslation]:
    """Translations ``user`` may read: all for staff; public and published for everyone else."""
    translations = ArticleTranslation.objects.all()
    if is_staff_member(user):
        return translations
    if not roles_of(user):
        return translations.none()
    return translations.filter(status=Status.PUBLISHED, article__visibility=Visibility.PUBLIC)


def readable_articles(user: Any) -> QuerySet[Article]:
    """Articles ``user`` may read (for customers: public ones with a published translation)."""
    articles = Article.objects.all()
    if is_staff_member(user):
        return articles
    if not roles_of(user):
        return articles.none()
    return articles.filter(
        visibility=Visibility.PUBLIC, translations__status=Status.PUBLISHED
    ).distinct()


def _customer_reads(article: Article) -> bool:
    return article.visibility == Visibility.PUBLIC and any(
        t.status == Status.PUBLISHED for t in article.translations.all()
    )


@rule(KbCategory)
def _category(user: Any, action: str, target: Any) -> bool:
    if action == VIEW:
        return bool(roles_of(user))
    if action == DELETE:
        return bool(roles_of(user) & {Role.DEPARTMENT_LEAD})
    return is_kb_editor(user)


@rule(Article)
def _article(user: Any, action: str, target: Any) -> bool:
    if action == VIEW:
        if is_staff_member(user):
            return True
        return not isinstance(target, type) and _customer_reads(target)
    return action in (ADD, CHANGE, DELETE) and is_kb_editor(user)


@rule(ArticleTranslation)
def _translation(user: Any, action: str, target: Any) -> bool:
    if action == VIEW:
        if is_staff_member(user):
            return True
        return (
            not isinstance(target, type)
            and target.status == Status.PUBLISHED
            and target.article.visibility == Visibility.PUBLIC
        )
    return is_kb_editor(user)


@rule(ArticleRevision)
def _revision(user: Any, action: str, target: Any) -> bool:
    return action == VIEW and is_staff_member(user)


@rule(ArticleVote)
def _vote(user: Any, action: str, target: Any) -> bool:
    # Anyone who reads an article may say whether it helped (read-only users are refused
    # before this rule is asked); the service checks the article itself.
    return action in (VIEW, ADD, CHANGE)
