"""``kehu contracts verify`` (also ``kehu manage contracts_verify``): walk every contract's
hash-chained approval trail and report any decision edited, inserted or deleted behind the
application's back. Exits with status 1 when anything is wrong (for cron and monitoring)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kehu.contracts import chain


class Command(BaseCommand):
    help = "Verify the hash chains of every contract's approval decisions."

    def handle(self, *args: Any, **options: Any) -> None:
        contracts, decisions, problems = chain.verify()
        for problem in problems:
            where = f"decision {problem.sequence}" if problem.sequence is not None else "chain"
            self.stdout.write(
                f"{problem.number} (id {problem.contract_id}) {where}: {problem.message}"
            )
        summary = f"{contracts} contracts, {decisions} decisions checked, {len(problems)} problems."
        if problems:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
