"""Reads of the knowledge base: the category tree, article lists, suggestions, deflection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from kehu.desk.models import Channel, Ticket
from kehu.kb.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    KbCategory,
    Status,
    SuggestionVisit,
    Visibility,
)
from kehu.kb.rules import readable_articles, readable_translations
from kehu.kb.search import search_translations

# A customer who opened a suggestion and submitted no request within this time after the last
# one they opened was deflected (docs/kb.md).
DEFLECTION_WINDOW = timedelta(hours=1)
SUGGESTIONS = 5
LIST_LIMIT = 200


def category_tree() -> list[tuple[KbCategory, int]]:
    """Every category with its depth, parents before their children (one query)."""
    categories = list(KbCategory.objects.all())
    children: dict[int | None, list[KbCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[tuple[KbCategory, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in children.get(parent, []):
            ordered.append((category, depth))
            walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered


def public_category_tree(user: Any) -> list[tuple[KbCategory, int, int]]:
    """The category tree as the help centre shows it: categories holding public, published
    articles (counting their sub-categories'), each with its depth and article count."""
    counts = dict(
        readable_articles(user)
        .filter(visibility=Visibility.PUBLIC, translations__status=Status.PUBLISHED)
        .order_by()
        .values("category_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("category_id", "n")
    )
    tree = category_tree()
    totals: dict[int, int] = {}
    parents = {c.pk: c.parent_id for c, _depth in tree}
    for category_id, n in counts.items():
        node: int | None = category_id
        while node is not None:
            totals[node] = totals.get(node, 0) + n
            node = parents.get(node)
    return [(c, depth, totals[c.pk]) for c, depth in tree if totals.get(c.pk)]


def category_descendant_ids(category_id: int) -> set[int]:
    """The category and every category below it."""
    pairs = list(KbCategory.objects.values_list("pk", "parent_id"))
    found = {category_id}
    grew = True
    while grew:
        below = {pk for pk, parent in pairs if parent in found and pk not in found}
        found |= below
        grew = bool(below)
    return found


def _with_counts(articles: QuerySet[Article]) -> QuerySet[Article]:
    return articles.annotate(
        helpful_yes=Count("votes", filter=Q(votes__helpful=True), distinct=True),
        helpful_no=Count("votes", filter=Q(votes__helpful=False), distinct=True),
    )


@dataclass(frozen=True)
class ArticleFilters:
    query: str = ""
    category_id: int | None = None
    visibility: str = ""
    status: str = ""


def article_list(
    user: Any, filters: ArticleFilters, *, public_only: bool = False, limit: int = LIST_LIMIT
) -> list[Article]:
    """Articles ``user`` may read matching ``filters`` (best match first for a text query, else
    newest change first), with translations, category, department and vote counts loaded."""
    articles = readable_articles(user)
    translations = readable_translations(user)
    if public_only:
        articles = articles.filter(
            visibility=Visibility.PUBLIC, translations__status=Status.PUBLISHED
        ).distinct()
        translations = translations.filter(
            status=Status.PUBLISHED, article__visibility=Visibility.PUBLIC
        )
    if filters.category_id is not None:
        articles = articles.filter(category_id__in=category_descendant_ids(filters.category_id))
    if filters.visibility:
        articles = articles.filter(visibility=filters.visibility)
    if filters.status:
        articles = articles.filter(translations__status=filters.status).distinct()
    order: list[int] | None = None
    if filters.query.strip():
        matched = search_translations(user, filters.query, public_only=public_only, limit=limit * 2)
        order = list(dict.fromkeys(t.article_id for t in matched))
        articles = articles.filter(pk__in=order)
    rows = list(
        _with_counts(articles)
        .select_related("category", "department")
        .prefetch_related(Prefetch("translations", queryset=translations))
        .order_by("-updated_at", "-pk")[:limit]
    )
    if order is not None:
        position = {pk: index for index, pk in enumerate(order)}
        rows.sort(key=lambda a: position.get(a.pk, len(position)))
    return rows


def article_detail(user: Any, pk: int, *, public_only: bool = False) -> Article | None:
    """One article with what its page shows, or None when ``user`` may not read it."""
    articles = readable_articles(user)
    translations = readable_translations(user).select_related("updated_by")
    if public_only:
        articles = articles.filter(
            visibility=Visibility.PUBLIC, translations__status=Status.PUBLISHED
        ).distinct()
        translations = translations.filter(
            status=Status.PUBLISHED, article__visibility=Visibility.PUBLIC
        )
    return (
        _with_counts(articles)
        .select_related("category", "category__parent", "department", "created_by")
        .prefetch_related(Prefetch("translations", queryset=translations))
        .filter(pk=pk)
        .first()
    )


def revisions(translation: ArticleTranslation) -> QuerySet[ArticleRevision]:
    """A translation's revisions, newest first, with their authors."""
    return translation.revisions.select_related("author").order_by("-number")


def suggestions(user: Any, query: str, *, language: str, limit: int = SUGGESTIONS) -> list[Any]:
    """Public, published articles matching what a customer typed: one translation per article,
    in the reader's language where the article has one published, best match first."""
    wanted = "zh-hans" if language.startswith("zh") else "en"
    matched = search_translations(user, query, public_only=True, any_token=True, limit=limit * 4)
    chosen: dict[int, ArticleTranslation] = {}
    for translation in matched:
        current = chosen.get(translation.article_id)
        if current is None or (current.language != wanted and translation.language == wanted):
            chosen[translation.article_id] = translation
    return list(chosen.values())[:limit]


@dataclass(frozen=True)
class Deflection:
    """Counts over suggestion visits whose window ended (``decided``) or not yet (``pending``)."""

    visits: int
    pending: int
    deflected: int
    submitted: int

    @property
    def decided(self) -> int:
        return self.deflected + self.submitted

    @property
    def rate(self) -> float | None:
        return self.deflected / self.decided if self.decided else None


def _decided_visits(now: datetime, since: datetime | None) -> Any:
    visits: Any = SuggestionVisit.objects.all()
    if since is not None:
        visits = visits.filter(first_opened_at__gte=since)
    window_end = ExpressionWrapper(
        OuterRef("last_opened_at") + Value(DEFLECTION_WINDOW), output_field=DateTimeField()
    )
    submitted = Ticket.objects.filter(
        channel=Channel.PORTAL,
        contact__user=OuterRef("user"),
        created_at__gte=OuterRef("first_opened_at"),
        created_at__lte=window_end,
    )
    return visits.annotate(
        submitted=Exists(submitted),
        pending=ExpressionWrapper(
            Q(last_opened_at__gt=now - DEFLECTION_WINDOW), output_field=BooleanField()
        ),
    )


def deflection_stats(*, now: datetime | None = None, since: datetime | None = None) -> Deflection:
    """How many suggestion visits ended without a request (see DEFLECTION_WINDOW)."""
    now = now or timezone.now()
    rows = _decided_visits(now, since).values_list("pending", "submitted")
    visits = pending = deflected = submitted = 0
    for is_pending, was_submitted in rows:
        visits += 1
        if was_submitted:
            submitted += 1
        elif is_pending:
            pending += 1
        else:
            deflected += 1
    return Deflection(visits=visits, pending=pending, deflected=deflected, submitted=submitted)


def deflections_by_article(
    article_ids: list[int], *, now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """For each article: (times opened from suggestions, visits deflected that opened it)."""
    now = now or timezone.now()
    visits = _decided_visits(now, None)
    deflected = visits.filter(submitted=False, pending=False).values("pk")
    rows = (
        Article.objects.filter(pk__in=article_ids)
        .annotate(
            opened=Count("suggestion_opens", distinct=True),
            deflected=Count(
                "suggestion_opens",
                filter=Q(suggestion_opens__visit__in=deflected),
                distinct=True,
            ),
        )
        .values_list("pk", "opened", "deflected")
    )
    return {pk: (opened, found) for pk, opened, found in rows}
