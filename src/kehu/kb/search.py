"""Full-text search over articles, with the desk's Chinese-aware tokeniser and index approach.

Text goes through ``kehu.desk.search.document_tokens`` (NFKC, lower case, Latin/digit words, CJK
runs as overlapping bigrams plus single characters) and a query through ``query_tokens``, exactly
as for tickets, so 发票 finds 如何重新开具发票. One ``ArticleSearchDocument`` per translation holds
the tokens; SQLite's FTS5 table ``kb_search_fts`` ranks with bm25 (title ten times the body),
PostgreSQL with ``ts_rank`` over a stored, GIN-indexed ``search_vector`` (title A, body B), both
made by migration 0001. Who may read what is applied in the same query (``rules``), so a limit
never drops a readable article for an unreadable one.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL

from kehu.core.markdown import plain_summary
from kehu.desk.search import document_tokens, query_tokens, snippet
from kehu.kb.models import ArticleSearchDocument, ArticleTranslation
from kehu.kb.rules import readable_translations

FTS_TABLE = "kb_search_fts"
MAX_FIELD_CHARS = 300_000


def _join(tokens: Iterable[str]) -> str:
    joined = " ".join(tokens)
    if len(joined) > MAX_FIELD_CHARS:
        joined = joined[:MAX_FIELD_CHARS].rsplit(" ", 1)[0]
    return joined


def index_translations(translation_ids: Iterable[int]) -> None:
    """Bring the translations' search documents up to date with their titles and bodies.

    Called inside the saving transaction: an article is searchable exactly when it is saved
    (articles are written one at a time, so this costs one statement per save)."""
    found = list(
        ArticleTranslation.objects.filter(pk__in=set(translation_ids)).values_list(
            "pk", "title", "body"
        )
    )
    if not found:
        return
    ArticleSearchDocument.objects.bulk_create(
        [
            ArticleSearchDocument(
                translation_id=pk,
                title_tokens=_join(document_tokens(title)),
                body_tokens=_join(document_tokens(body)),
            )
            for pk, title, body in found
        ],
        update_conflicts=True,
        unique_fields=["translation"],
        update_fields=["title_tokens", "body_tokens"],
    )


def reindex_all(*, batch_size: int = 500) -> int:
    """Rebuild every translation's search document."""
    ids = list(ArticleTranslation.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        index_translations(ids[start : start + batch_size])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')")
    return len(ids)


# Only these constant statements reach the database; the user's words are bound parameters.
_PG_IDS = (
    "SELECT translation_id FROM kb_articlesearchdocument "
    "WHERE search_vector @@ to_tsquery('simple', %s)"
)
_PG_RANK = (
    "SELECT ts_rank(d.search_vector, to_tsquery('simple', %s)) "
    'FROM kb_articlesearchdocument d WHERE d.translation_id = "kb_articletranslation"."id"'
)
_FTS_IDS = "SELECT rowid FROM kb_search_fts WHERE kb_search_fts MATCH %s"
_FTS_RANK = (
    "SELECT -rank FROM kb_search_fts WHERE kb_search_fts MATCH %s "
    'AND rowid = "kb_articletranslation"."id"'
)


def _match(tokens: Sequence[str], *, any_token: bool) -> tuple[str, str, list[Any]]:
    """SQL selecting the matching translation ids, the rank (higher is better), the parameter."""
    if connection.vendor == "postgresql":
        # Tokens hold only letters and digits, so quoting each makes it one plain term.
        return _PG_IDS, _PG_RANK, [(" | " if any_token else " & ").join(f"'{t}'" for t in tokens)]
    # FTS5: quoted tokens are plain terms, never operators; bm25 is lower for better matches.
    return _FTS_IDS, _FTS_RANK, [(" OR " if any_token else " ").join(f'"{t}"' for t in tokens)]


def search_translations(
    user: Any, query: str, *, public_only: bool = False, any_token: bool = False
) -> QuerySet[ArticleTranslation]:
    """Translations ``user`` may read matching ``query``, best first, each with ``rank``.

    ``public_only`` keeps to what customers read (public and published) even for staff: the
    portal's suggestions and help centre. A search matches every token of the query, as the
    desk's does; ``any_token`` matches any of them, ranked (suggestions for a subject being
    typed: "发票开错了" should find "如何重新开具发票" although 开错 is in no article)."""
    translations = readable_translations(user)
    if public_only:
        translations = translations.filter(status="published", article__visibility="public")
    tokens = query_tokens(query)
    if not tokens:
        return translations.none()
    ids, rank, params = _match(tokens, any_token=any_token)
    return (
        translations.filter(pk__in=RawSQL(ids, params))  # noqa: S611
        .annotate(rank=RawSQL(rank, params, output_field=FloatField()))  # noqa: S611
        .order_by("-rank", "-pk")
    )


def excerpt(markdown: str, query: str) -> str:
    """A highlighted window of the text (its Markdown markup left out) around the query's
    first match; "" if none."""
    plain = html.unescape(plain_summary(markdown, limit=len(markdown) + 1))
    found = snippet(plain, query_tokens(query))
    return found or ""
