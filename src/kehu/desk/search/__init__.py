"""Ticket search: the index and query engine (``index``), the search page and the search API.

The engine's public names are re-exported here, so ``kehu.desk.search.search_tickets`` and
``tokenize``/``document_tokens`` (which the knowledge base reuses) keep one import path.
"""

from kehu.desk.search.index import (
    INDEXED_EVENTS,
    MAX_QUERY_CHARS,
    InternalScope,
    SearchFilters,
    SearchPage,
    document_tokens,
    highlight,
    index_ticket,
    index_tickets,
    internal_scope,
    is_cjk,
    on_ticket_events,
    query_tokens,
    reindex_tickets,
    search_page,
    search_tickets,
    snippet,
    snippets,
    tokenize,
)

__all__ = [
    "INDEXED_EVENTS",
    "MAX_QUERY_CHARS",
    "InternalScope",
    "SearchFilters",
    "SearchPage",
    "document_tokens",
    "highlight",
    "index_ticket",
    "index_tickets",
    "internal_scope",
    "is_cjk",
    "on_ticket_events",
    "query_tokens",
    "reindex_tickets",
    "search_page",
    "search_tickets",
    "snippet",
    "snippets",
    "tokenize",
]
