"""The ticket search index: one row of tokens per ticket (see ``kehu.desk.search``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.desk.models.tickets import Ticket


class TicketSearchDocument(models.Model):
    """A ticket's searchable text as space-separated tokens (``search.tokenize``).

    Public text (subject, public and automatic messages, tags) and internal notes are kept
    apart, so a search by someone who may not read internal notes never matches their words.
    On SQLite the FTS5 table ``desk_ticket_search_fts`` indexes these columns (kept in step by
    triggers, see migration 0006); on PostgreSQL GIN indexes over ``to_tsvector('simple', …)``.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    subject_tokens = models.TextField(blank=True)
    public_tokens = models.TextField(blank=True)
    internal_tokens = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")

    def __str__(self) -> str:
        return str(self.ticket_id)


class TicketSearchMatch(models.Model):
    """SQLite only: the FTS5 virtual table over TicketSearchDocument, for joining to tickets.

    ``query`` is the table's hidden column of the same name (``= 'expr'`` is FTS5's MATCH),
    ``rank`` its weighted bm25 score (lower is better). Never created or used on PostgreSQL.
    """

    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_match",
    )
    query = models.TextField(db_column="desk_ticket_search_fts")
    rank = models.FloatField(db_column="rank")

    class Meta:
        managed = False
        db_table = "desk_ticket_search_fts"

    def __str__(self) -> str:
        return str(self.ticket_id)
