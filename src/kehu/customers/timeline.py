"""Writing an account's timeline: each app records its own facts here as they happen.

``source`` names the fact ("desk.ticket:42"); recording it again updates the same line, so
callers need not know whether they are creating or correcting an entry.

Wording of Kehu's own goes in as a ``Phrase`` (``phrase("Owner is now %(owner)s",
owner=name)``, its msgid marked with gettext_noop): the line is stored in Chinese and English
and each reader sees their language. Plain strings (a ticket's subject) are stored as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

from kehu.customers.models import TimelineEntry


@dataclass(frozen=True)
class Phrase:
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        with translation.override(language):
            text = translation.gettext(self.msgid)
            # Lazy params (choice labels) are translated too; the rest are names and numbers.
            return text % {k: str(v) for k, v in self.params.items()} if self.params else text


def phrase(msgid: str, /, **params: Any) -> Phrase:
    """Kehu's own wording; pass gettext_lazy labels (e.g. ``Status.OPEN.label``) unrendered."""
    return Phrase(msgid, {k: v if isinstance(v, Promise) else str(v) for k, v in params.items()})


def wordings(text: str | Phrase) -> tuple[str, str]:
    """(Chinese or as-given wording, English wording or '' when the same) — for callers that
    write TimelineEntry rows in bulk instead of through ``record``."""
    if isinstance(text, Phrase):
        chinese, english = text.render("zh-hans"), text.render("en")
        return chinese, "" if english == chinese else english
    return str(text), ""


def _row(
    *,
    account_id: int,
    kind: str,
    source: str,
    occurred_at: datetime,
    title: str | Phrase,
    summary: str | Phrase = "",
    actor: Any = None,
    url: str = "",
    restricted: bool = False,
) -> TimelineEntry:
    title_zh, title_en = wordings(title)
    summary_zh, summary_en = wordings(summary)
    return TimelineEntry(
        source=source,
        kind=kind,
        account_id=account_id,
        occurred_at=occurred_at,
        title=title_zh[:300],
        title_en=title_en[:300],
        summary=summary_zh[:500],
        summary_en=summary_en[:500],
        actor=actor if getattr(actor, "pk", None) else None,
        url=url[:300],
        restricted=restricted,
    )


_UPDATED = [
    "account",
    "occurred_at",
    "title",
    "title_en",
    "summary",
    "summary_en",
    "actor",
    "url",
    "restricted",
]


_UPDATED_ATTRIBUTES = [f"{f}_id" if f in ("account", "actor") else f for f in _UPDATED]


def record_many(lines: list[dict[str, Any]]) -> None:
    """``record`` for many facts in one statement (each dict holds ``record``'s arguments)."""
    TimelineEntry.objects.bulk_create(
        [_row(**line) for line in lines],
        update_conflicts=True,
        unique_fields=["source", "kind"],
        update_fields=_UPDATED,
    )


def record(
    *,
    account_id: int,
    kind: str,
    source: str,
    occurred_at: datetime,
    title: str | Phrase,
    summary: str | Phrase = "",
    actor: Any = None,
    url: str = "",
    restricted: bool = False,
) -> TimelineEntry:
    row = _row(**locals())  # exactly this function's keyword arguments
    entry, _created = TimelineEntry.objects.update_or_create(
        source=source,
        kind=kind,
        defaults={f: getattr(row, f) for f in _UPDATED_ATTRIBUTES},
    )
    return entry


def forget(*, source: str, kind: str | None = None) -> None:
    """Remove the lines of a fact that no longer exists (a deleted visit, say)."""
    entries = TimelineEntry.objects.filter(source=source)
    if kind is not None:
        entries = entries.filter(kind=kind)
    entries.delete()
