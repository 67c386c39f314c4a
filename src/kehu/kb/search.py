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

from kehu.access.permissions import is_staff_member, roles_of
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
# One statement ranks every match and applies who may read what (the public condition), so the
# limit never hides a readable article behind unreadable ones.
_PUBLIC = " AND t.status = 'published' AND a.visibility = 'public'"
_FTS = (
    "SELECT f.rowid, -f.rank FROM kb_search_fts f "
    "JOIN kb_articletranslation t ON t.id = f.rowid JOIN kb_article a ON a.id = t.article_id "
    "WHERE kb_search_fts MATCH %s{public} ORDER BY f.rank, f.rowid DESC LIMIT %s"
)
_PG = (
    "SELECT d.translation_id, ts_rank(d.search_vector, q.query) "
    "FROM kb_articlesearchdocument d CROSS JOIN to_tsquery('simple', %s) AS q(query) "
    "JOIN kb_articletranslation t ON t.id = d.translation_id "
    "JOIN kb_article a ON a.id = t.article_id "
    "WHERE d.search_vector @@ q.query{public} ORDER BY 2 DESC, 1 DESC LIMIT %s"
)
_STATEMENTS = {
    (vendor, public): template.format(public=_PUBLIC if public else "")
    for vendor, template in (("sqlite", _FTS), ("postgresql", _PG))
    for public in (False, True)
}


def _ranked_ids(
    tokens: Sequence[str], *, any_token: bool, public: bool, limit: int
) -> list[tuple[int, float]]:
    """(translation id, rank) of the best matches, best first (higher rank is better)."""
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    if vendor == "postgresql":
        # Tokens hold only letters and digits, so quoting each makes it one plain term.
        expression = (" | " if any_token else " & ").join(f"'{t}'" for t in tokens)
    else:
        # FTS5: quoted tokens are plain terms, never operators.
        expression = (" OR " if any_token else " ").join(f'"{t}"' for t in tokens)
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENTS[(vendor, public)], [expression, limit])
        return [(int(pk), float(rank)) for pk, rank in cursor.fetchall()]


def search_translations(
    user: Any,
    query: str,
    *,
    public_only: bool = False,
    any_token: bool = False,
    limit: int = 200,
) -> list[ArticleTranslation]:
    """Translations ``user`` may read matching ``query``, best first, each with ``rank``, their
    article loaded; at most ``limit``.

    ``public_only`` keeps to what customers read (public and published) even for staff: the
    portal's suggestions and help centre. A search matches every token of the query, as the
    desk's does; ``any_token`` matches any of them, ranked (suggestions for a subject being
    typed: "发票开错了" should find "如何重新开具发票" although 开错 is in no article)."""
    tokens = query_tokens(query)
    if not tokens or not roles_of(user):
        return []
    public = public_only or not is_staff_member(user)
    ranked = _ranked_ids(tokens, any_token=any_token, public=public, limit=limit)
    found = (
        readable_translations(user).select_related("article").in_bulk([pk for pk, _rank in ranked])
    )
    results = []
    for pk, rank in ranked:
        translation = found.get(pk)
        if translation is not None:
            translation.rank = rank  # type: ignore[attr-defined]
            results.append(translation)
    return results


def excerpt(markdown: str, query: str) -> str:
    """A highlighted window of the text (its Markdown markup left out) around the query's
    first match; "" if none."""
    plain = html.unescape(plain_summary(markdown, limit=len(markdown) + 1))
    found = snippet(plain, query_tokens(query))
    return found or ""
