"""``kehu manage reindex_kb``: rebuild the knowledge base's search index (after a restore or a
repair)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kehu.kb.search import reindex_all


class Command(BaseCommand):
    help = "Rebuild the full-text search document of every article translation."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all()
        self.stdout.write(f"Indexed {count} article translations.")
