"""``kehu manage detect_swings --day YYYY-MM-DD``: run swing detection for one day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.usage import swings


class Command(BaseCommand):
    help = (
        "Run every active swing rule for one day (default: yesterday). Alerts already made for "
        "that day are not made or announced again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="The day to check, YYYY-MM-DD (default: yesterday).")

    def handle(self, *args: Any, day: str | None = None, **options: Any) -> None:
        try:
            chosen = date.fromisoformat(day) if day else swings.default_day()
        except ValueError as exc:
            raise CommandError("--day must be a date written YYYY-MM-DD.") from exc
        created = swings.detect(chosen)
        self.stdout.write(f"{chosen}: {len(created)} new swing alerts.")
