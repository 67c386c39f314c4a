"""Full-text search over tickets: subject, conversation and tags, ranked, on SQLite and PostgreSQL.

Neither database splits Chinese into words, so Kehu tokenises text itself (``tokenize``) and
stores the tokens, separated by spaces, in ``TicketSearchDocument``: Latin and digit words whole,
runs of CJK characters as overlapping bigrams (请重新开具发票 → 请重 重新 新开 开具 具发 发票). A query
goes through the same function, so 发票 matches 请重新开具发票. The database then only splits on
spaces: SQLite's FTS5 table ranks with bm25, PostgreSQL's ``'simple'`` configuration with
``ts_rank`` over a stored, GIN-indexed vector. Internal notes are indexed in their own column
(weight C on PostgreSQL), which a search only looks at for the people who may read them
(``kehu.desk.rules.sees_internal``).

At scale (``search_page``): counts are exact up to ``COUNT_LIMIT`` (1,000); of a word matching more
tickets than that, the newest 1,000 matches are ranked, so a common word costs about what a rare
one does. bench/desk.py measures both.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import DatabaseError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Field, FloatField, Func, IntegerField, Q, QuerySet, Value
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kehu.access.models import Role
from kehu.access.permissions import is_staff_member, roles_of
from kehu.desk.models import Message, Ticket, TicketSearchDocument
from kehu.desk.rules import is_desk_staff, visible_tickets
from kehu.desk.signals import TicketEvent, of_kind

logger = logging.getLogger(__name__)

MAX_TOKEN_CHARS = (
    60  # longer "words" (hashes, base64) are cut, the same way in documents and queries
)
MAX_FIELD_CHARS = 300_000  # keeps PostgreSQL's tsvector well under its 1 MB limit
MAX_QUERY_CHARS = 500
MAX_QUERY_TOKENS = 32
FTS_TABLE = "desk_ticket_search_fts"

# Scripts written without spaces between words: Hiragana, Katakana, CJK ideographs (with the
# extensions and compatibility forms) and Hangul syllables.
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
# Letters and digits; punctuation, symbols, marks and "_" separate words (as in FTS5's unicode61).
_WORD_RUN = re.compile(r"[^\W_]+")


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Search tokens of ``text``: NFKC, lower case, Latin/digit words, CJK runs as bigrams
    (a lone CJK character as itself). Used for documents and queries alike."""
    tokens: list[str] = []
    for run in _WORD_RUN.findall(_normalise(text)):
        for cjk, group in groupby(run, key=is_cjk):
            chars = "".join(group)
            if not cjk:
                tokens.append(chars[:MAX_TOKEN_CHARS])
            elif len(chars) == 1:
                tokens.append(chars)
            else:
                tokens.extend(chars[i : i + 2] for i in range(len(chars) - 1))
    return tokens


def document_tokens(text: str) -> list[str]:
    """``tokenize`` plus every CJK character on its own, so a one-character query (票) also
    finds the words it is part of (发票)."""
    tokens = tokenize(text)
    singles = [c for c in _normalise(text) if is_cjk(c)]
    if len(singles) > 1:
        tokens.extend(singles)
    return tokens


def _join(tokens: Iterable[str]) -> str:
    joined = " ".join(tokens)
    if len(joined) > MAX_FIELD_CHARS:
        joined = joined[:MAX_FIELD_CHARS].rsplit(" ", 1)[0]
    return joined


# --- the index -----------------------------------------------------------------------------------


def _document_fields(
    ticket: Ticket, tag_names: Iterable[str], messages: Iterable[tuple[str, str]]
) -> dict[str, str]:
    public: list[str] = [*tokenize(ticket.reference)]
    internal: list[str] = []
    for name in tag_names:
        public.extend(document_tokens(name))
    for kind, body in messages:
        (internal if kind == Message.Kind.INTERNAL else public).extend(document_tokens(body))
    return {
        "subject_tokens": _join(document_tokens(ticket.subject)),
        "public_tokens": _join(public),
        "internal_tokens": _join(internal),
    }


def index_tickets(ticket_ids: Iterable[int]) -> None:
    """Bring the tickets' search documents up to date with their subjects, messages and tags."""
    wanted = sorted(set(ticket_ids))
    with transaction.atomic():
        # The row locks make indexers of one ticket take turns, so the last one to write has
        # read everything committed before it: no stale document overwrites a fresher one.
        # Locked in id order, so two indexers of overlapping sets cannot deadlock.
        found = list(Ticket.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
        if not found:
            return
        ids = [t.pk for t in found]
        tags: dict[int, list[str]] = {}
        for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "tag__name"
        ):
            tags.setdefault(ticket_id, []).append(name)
        messages: dict[int, list[tuple[str, str]]] = {}
        for ticket_id, kind, body in (
            Message.objects.filter(ticket_id__in=ids)
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "kind", "body")
        ):
            messages.setdefault(ticket_id, []).append((kind, body))
        documents = [
            TicketSearchDocument(
                ticket_id=t.pk,
                **_document_fields(t, tags.get(t.pk, []), messages.get(t.pk, [])),
            )
            for t in found
        ]
        # One upsert statement instead of a read, a savepoint and a write per ticket.
        TicketSearchDocument.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=["subject_tokens", "public_tokens", "internal_tokens", "updated_at"],
        )


def index_ticket(ticket_id: int) -> None:
    index_tickets([ticket_id])


INDEXED_EVENTS = frozenset(
    {"ticket.created", "ticket.updated", "ticket.message_added", "ticket.merged"}
)


def on_ticket_events(sender: Any, *, events: list[TicketEvent], **_: Any) -> None:
    """``ticket_events`` receiver: reindex the tickets (and merges' targets) after the change."""
    ids = []
    for happened in of_kind(events, INDEXED_EVENTS):
        ids.append(happened.ticket.pk)
        if happened.event == "ticket.merged" and happened.data.get("into"):
            ids.append(happened.data["into"])
    if not ids:
        return
    try:
        index_tickets(ids)
    except DatabaseError:
        # The change itself is committed; a missed index update is repaired by
        # ``kehu manage reindex_tickets`` and must not turn a saved reply into an error page.
        logger.exception("could not index tickets %s for search", ids)


def reindex_tickets(*, batch_size: int = 500) -> int:
    """Rebuild every ticket's search document, ``batch_size`` tickets per transaction."""
    done = 0
    last_id = 0
    while True:
        batch = list(
            Ticket.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        index_tickets(batch)
        done += len(batch)
        last_id = batch[-1]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Rebuild the FTS5 table from its content table, whatever state it was in.
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')")
    return done


# --- searching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Conditions combined (AND) with the text query; empty values do not filter."""

    statuses: Sequence[str] = ()
    ticket_type: str = ""
    priority: str = ""
    department_id: int | None = None
    assignee_id: int | None = None
    account_id: int | None = None
    tag: str = ""
    created_from: date | None = None
    created_to: date | None = None  # inclusive


# Dates outside these bounds cannot be turned into UTC instants safely.
_EARLIEST = date(1900, 1, 1)
_LATEST = date(9000, 12, 31)


def _day_start(day: date) -> datetime:
    day = min(max(day, _EARLIEST), _LATEST)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _apply_filters(tickets: QuerySet[Ticket], filters: SearchFilters) -> QuerySet[Ticket]:
    if filters.statuses:
        tickets = tickets.filter(status__in=list(filters.statuses))
    if filters.ticket_type:
        tickets = tickets.filter(ticket_type=filters.ticket_type)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.department_id is not None:
        tickets = tickets.filter(department_id=filters.department_id)
    if filters.assignee_id is not None:
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.account_id is not None:
        tickets = tickets.filter(account_id=filters.account_id)
    tag = filters.tag.replace("\x00", "").strip()
    if tag:
        tickets = tickets.filter(tags__name=tag)
    if filters.created_from is not None:
        tickets = tickets.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to is not None:
        tickets = tickets.filter(created_at__lt=_day_start(filters.created_to) + timedelta(days=1))
    return tickets


def query_tokens(query: str) -> list[str]:
    """The distinct tokens of a query, in order, within the length limits."""
    tokens = tokenize(query[:MAX_QUERY_CHARS])
    return list(dict.fromkeys(tokens))[:MAX_QUERY_TOKENS]


@dataclass(frozen=True)
class InternalScope:
    """Where a user's search may match internal-note text: everywhere, nowhere, or on the
    tickets of one department (an employee working their own department's queue)."""

    everywhere: bool = False
    department_id: int | None = None


def internal_scope(user: Any) -> InternalScope:
    """``sees_internal`` for a whole search: customers never; desk staff always; an employee on
    their own department's tickets."""
    roles = roles_of(user)
    if Role.CUSTOMER in roles and not is_staff_member(user):
        return InternalScope()
    if is_desk_staff(user):
        return InternalScope(everywhere=True)
    if Role.EMPLOYEE in roles:
        employee = getattr(user, "employee", None)
        if employee is not None:
            return InternalScope(department_id=employee.department_id)
    return InternalScope()


def _fts_expression(tokens: Sequence[str], *, internal: bool) -> str:
    # Tokens hold only letters and digits, so quoting each makes every one a plain term (never an
    # operator such as NEAR, AND, OR, NOT, * or ^); the column filter keeps notes out.
    columns = "subject_tokens public_tokens" + (" internal_tokens" if internal else "")
    terms = " ".join(f'"{t}"' for t in tokens)
    return f"{{{columns}}} : ({terms})"


def _text_search_sqlite(
    tickets: QuerySet[Ticket], tokens: Sequence[str], scope: InternalScope
) -> QuerySet[Ticket]:
    from kehu.desk.models import TicketSearchMatch

    public = _fts_expression(tokens, internal=False)
    if scope.everywhere or scope.department_id is None:
        expression = _fts_expression(tokens, internal=scope.everywhere)
        tickets = tickets.filter(search_match__query=expression)
    else:
        tickets = tickets.filter(
            Q(department_id=scope.department_id)
            | Q(pk__in=TicketSearchMatch.objects.filter(query=public).values("ticket_id")),
            search_match__query=_fts_expression(tokens, internal=True),
        )
    # bm25 is lower for better matches; the API and pages show higher-is-better.
    return tickets.annotate(rank=-F("search_match__rank"))


class _JoinedColumn(Func):
    """``column`` of the row joined through a reverse one-to-one, e.g. the search document's.

    Django trims ``search_document__ticket_id`` down to the ticket's own id and drops the join, so
    this compiles a field that keeps the join (``via``) and names ``column`` on the same alias.
    """

    def __init__(self, via: str, column: str, output_field: Field[Any, Any]) -> None:
        super().__init__(F(via), output_field=output_field)
        self.column = column

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f'{sql.rsplit(".", 1)[0]}."{self.column}"', params  # as compiled: a list for Col


def _stored_vector() -> _JoinedColumn:
    # PostgreSQL only: the generated column of migration 0009 (weights: subject A, public B,
    # internal C), GIN-indexed.
    return _JoinedColumn("search_document__updated_at", "search_vector", SearchVectorField())


def _tsquery(tokens: Sequence[str], *, internal: bool) -> SearchQuery:
    # Tokens hold only letters and digits (``tokenize``), so quoting each makes it one plain
    # term; ":AB" keeps a public-only search to the subject and public text.
    weights = "" if internal else ":AB"
    terms = " & ".join(f"'{t}'{weights}" for t in tokens)
    return SearchQuery(terms, search_type="raw", config="simple")


def _text_search_postgresql(
    tickets: QuerySet[Ticket], tokens: Sequence[str], scope: InternalScope
) -> QuerySet[Ticket]:
    internal = scope.everywhere or scope.department_id is not None
    query = _tsquery(tokens, internal=internal)
    tickets = tickets.alias(search_vector=_stored_vector()).filter(search_vector=query)
    if scope.department_id is not None and not scope.everywhere:
        tickets = tickets.filter(
            Q(department_id=scope.department_id) | Q(search_vector=_tsquery(tokens, internal=False))
        )
    return tickets.annotate(rank=SearchRank(_stored_vector(), query))


def _document_id() -> _JoinedColumn:
    """The matched index row's ticket id, on the index's own side of the join, so that a range
    on it narrows the full-text scan itself (FTS5 rowid, the document table's primary key)."""
    if connection.vendor == "postgresql":
        return _JoinedColumn("search_document__updated_at", "ticket_id", IntegerField())
    return _JoinedColumn("search_match__rank", "rowid", IntegerField())


def search_tickets(user: Any, query: str, filters: SearchFilters | None = None) -> QuerySet[Ticket]:
    """Tickets ``user`` may see matching ``query`` and ``filters``, best first, each with
    ``rank`` (higher is better; 0 without a text query)."""
    tickets = _apply_filters(visible_tickets(user), filters or SearchFilters())
    if not query.strip():
        return tickets.annotate(rank=Value(0.0, output_field=FloatField())).order_by("-id")
    tokens = query_tokens(query)
    if not tokens:
        return tickets.none().annotate(rank=Value(0.0, output_field=FloatField()))
    scope = internal_scope(user)
    if connection.vendor == "postgresql":
        ranked = _text_search_postgresql(tickets, tokens, scope)
    else:
        ranked = _text_search_sqlite(tickets, tokens, scope)
    return ranked.order_by("-rank", "-id")  # type: ignore[misc]  # "rank" is an annotation


# As Zendesk's search: counts are exact up to a thousand, and a thousand results can be paged.
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class SearchPage:
    """One page of results. ``count`` is exact up to ``COUNT_LIMIT``; beyond it ``count_capped``
    is set and only the first ``COUNT_LIMIT`` results can be paged to (as in Zendesk or Jira)."""

    tickets: list[Ticket]
    number: int
    page_size: int
    count: int
    count_capped: bool

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _newest_matches(found: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``found`` narrowed to its newest ``COUNT_LIMIT`` matches.

    Ranking reads every match, and a common word (发票) matches a tenth of a million tickets; the
    best matches among the newest ones are what a desk looks for, and finding the newest
    thousand walks the index backwards only as far as it must. Every page of one search ranks
    the same thousand, so paging neither repeats nor skips a ticket.
    """
    newest_first = (
        found.annotate(indexed_id=_document_id())
        .order_by("-indexed_id")
        .values_list("indexed_id", flat=True)
    )
    floor = list(newest_first[COUNT_LIMIT - 1 : COUNT_LIMIT])
    found = found.alias(indexed_id=_document_id())
    return found.filter(indexed_id__gte=floor[0]) if floor else found


def search_page(
    user: Any,
    query: str,
    filters: SearchFilters | None = None,
    *,
    page: int = 1,
    page_size: int = 20,
    related: Sequence[str] = (),
) -> SearchPage:
    """Page ``page`` (clamped to the pages there are) of ``search_tickets``, best first."""
    found = search_tickets(user, query, filters)
    matches = found.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    count = min(matches, COUNT_LIMIT)
    number = min(max(1, page), max(1, -(-count // page_size)))
    start = (number - 1) * page_size
    if matches > COUNT_LIMIT and query_tokens(query):
        # Up to COUNT_LIMIT matches are ranked whole; of more, the newest COUNT_LIMIT.
        found = _newest_matches(found)
    if related:
        found = found.select_related(*related)
    return SearchPage(
        tickets=list(found[start : start + page_size]),
        number=number,
        page_size=page_size,
        count=count,
        count_capped=matches > COUNT_LIMIT,
    )


# --- snippets ------------------------------------------------------------------------------------

SNIPPET_CHARS = 160


def _normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """``text`` normalised character by character, with each normalised character's index in
    ``text`` (NFKC can turn one character into several)."""
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        normal = _normalise(char)
        parts.append(normal)
        origin.extend([index] * len(normal))
    return "".join(parts), origin


def _is_latin_word_char(char: str) -> bool:
    return char.isalnum() and not is_cjk(char)


def _match_spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Where the tokens occur in ``text`` (original indices, merged, in order)."""
    normal, origin = _normalised_with_positions(text)
    spans: list[tuple[int, int]] = []
    for token in tokens:
        start = normal.find(token)
        while start != -1:
            end = start + len(token)
            whole = is_cjk(token[0]) or (
                (start == 0 or not _is_latin_word_char(normal[start - 1]))
                and (end == len(normal) or not _is_latin_word_char(normal[end]))
            )
            if whole:
                spans.append((origin[start], origin[end - 1] + 1))
            start = normal.find(token, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_end <= span_start:
            continue
        out.append(escape(text[position:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(escape(text[position:end]))
    return "".join(out)


def highlight(text: str, tokens: Sequence[str]) -> SafeString:
    """``text`` escaped for HTML with the query's matches in ``<mark>``."""
    return mark_safe(_marked(text, _match_spans(text, tokens), 0, len(text)))  # noqa: S308


def snippet(text: str, tokens: Sequence[str], size: int = SNIPPET_CHARS) -> SafeString | None:
    """A window of ``text`` around its first match, escaped, matches in ``<mark>``; None when
    nothing matches."""
    spans = _match_spans(text, tokens)
    if not spans:
        return None
    start = max(0, spans[0][0] - size // 3)
    end = min(len(text), start + size)
    start = max(0, min(start, end - size))
    body = _marked(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{body}{suffix}")  # noqa: S308


def _lead(text: str, size: int = SNIPPET_CHARS) -> SafeString:
    cut = text[:size]
    return mark_safe(escape(cut) + ("…" if len(text) > size else ""))  # noqa: S308


def snippets(user: Any, tickets: Sequence[Ticket], query: str) -> dict[int, SafeString]:
    """For each ticket, a highlighted snippet of the first message ``user`` may read that matches
    the query (or the first message's beginning); one query for all tickets."""
    if not tickets:
        return {}
    tokens = query_tokens(query)
    scope = internal_scope(user)
    departments = {t.pk: t.department_id for t in tickets}
    found: dict[int, SafeString] = {}
    first: dict[int, str] = {}
    rows = (
        Message.objects.filter(ticket__in=list(departments))
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "body")
    )
    for ticket_id, kind, body in rows:
        if ticket_id in found:
            continue
        if kind == Message.Kind.INTERNAL and not (
            scope.everywhere
            or (scope.department_id is not None and scope.department_id == departments[ticket_id])
        ):
            continue
        first.setdefault(ticket_id, body)
        if tokens:
            piece = snippet(body, tokens)
            if piece is not None:
                found[ticket_id] = piece
    for ticket_id, body in first.items():
        found.setdefault(ticket_id, _lead(body))
    return found
