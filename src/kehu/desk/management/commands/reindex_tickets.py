"""``kehu manage reindex_tickets``: rebuild the ticket search index (after an upgrade or a repair)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.desk.search.index import reindex_tickets


class Command(BaseCommand):
    help = "Rebuild the full-text search document of every ticket, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Tickets per transaction (default 500)."
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        count = reindex_tickets(batch_size=batch_size)
        self.stdout.write(f"Indexed {count} tickets.")
