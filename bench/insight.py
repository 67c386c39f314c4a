"""Benchmark: account health for 10,000 accounts and a company's monthly perception report.

    .venv/bin/python bench/insight.py                        # SQLite
    .venv/bin/python bench/insight.py --database postgres
    .venv/bin/python bench/insight.py --accounts 1000 --tickets 10000   # a quick look

Creates its own database (SQLite under /tmp/kehu-bench-insight-sqlite, PostgreSQL
``kehu_bench_insight``), migrates, generates in bulk: accounts with one contact each, tickets over
the last 120 days (types, channels, business minutes to first response and resolution, 8 %
breached, a first-response SLA clock each), ratings for a fifth of them, six usage days per
account, major incidents affecting 20 accounts each, relationship-map people for half the
accounts. Then times ``health_services.recompute`` (every account, all factors, history and
alerts) several times, and the company's and one department's monthly report for last month:
figures, document, chart PNGs, PDF and XLSX. Prints a JSON line per measurement; record the
results in docs/benchmarks.md. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time as clock
from datetime import timedelta
from decimal import Decimal
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_insight")
    return parser.parse_args()


def setup(args: argparse.Namespace) -> Path:
    data_dir = Path(f"/tmp/kehu-bench-insight-{args.database}")
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ.update(
        {
            "KEHU_DATA_DIR": str(data_dir),
            "SECRET_KEY": "kehu-benchmark-only-not-a-secret-0123456789abcdefghijklmnop",
            "KEHU_HTTPS": "false",
            "DJANGO_SETTINGS_MODULE": "kehu.settings",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
        os.environ["DATABASE_URL"] = f"{args.postgres}/{args.db_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def generate(args: argparse.Namespace) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from kehu.customers.models import Account, AccountLevel, Contact
    from kehu.desk.models import SlaClock, Ticket
    from kehu.feedback.models import SatisfactionRating
    from kehu.incidents.models import MajorIncident
    from kehu.org.models import Department
    from kehu.relations.models import Person
    from kehu.usage.models import Product, UsageRecord

    now = timezone.now()
    today = timezone.localdate()
    # Bulk loading with historical creation times: the auto_now_add stamps are switched off.
    for model in (Ticket, Person):
        model._meta.get_field("created_at").auto_now_add = False  # type: ignore[attr-defined]
    with transaction.atomic():
        departments = [
            Department.objects.create(code=f"B{n}", name=f"基准部门{n}", name_en=f"Bench {n}")
            for n in range(8)
        ]
        Account.objects.bulk_create(
            (
                Account(
                    name=f"基准客户{n:05d}",
                    name_en=f"Bench customer {n:05d}",
                    level=AccountLevel.KEY if n % 20 == 0 else AccountLevel.STANDARD,
                )
                for n in range(args.accounts)
            ),
            batch_size=2000,
        )
        accounts = list(Account.objects.values_list("pk", flat=True))
        Contact.objects.bulk_create(
            (Contact(account_id=a, name=f"联系人{a}") for a in accounts), batch_size=2000
        )
        contacts = dict(Contact.objects.values_list("account_id", "pk"))
    types = ["question", "question", "service_request", "incident", "complaint", "defect"]
    channels = ["web", "email", "phone", "portal", "api"]
    made = 0
    while made < args.tickets:
        batch = []
        for i in range(made, min(made + 20_000, args.tickets)):
            account = accounts[(i * 7919) % len(accounts)]
            created = now - timedelta(minutes=(i * 37) % (120 * 24 * 60))
            done = i % 10 != 0
            batch.append(
                Ticket(
                    subject=f"基准工单 {i}",
                    ticket_type=types[i % len(types)],
                    channel=channels[i % len(channels)],
                    status="resolved" if done else "open",
                    department=departments[i % len(departments)],
                    account_id=account,
                    contact_id=contacts[account],
                    created_at=created,
                    updated_at=created,
                    first_response_at=created + timedelta(minutes=30),
                    first_response_minutes=5 + (i * 13) % 240,
                    resolved_at=created + timedelta(hours=6) if done else None,
                    resolution_minutes=60 + (i * 31) % 2400 if done else None,
                    sla_breached=i % 12 == 0,
                )
            )
        with transaction.atomic():
            Ticket.objects.bulk_create(batch, batch_size=5000)
        made += len(batch)
    rows = Ticket.objects.values_list(
        "pk", "created_at", "sla_breached", "department_id", "account_id"
    )
    clocks, ratings = [], []
    for pk, created, breached, department, account in rows.iterator(chunk_size=20_000):
        clocks.append(
            SlaClock(
                ticket_id=pk,
                target="first_response",
                started_at=created,
                stopped_at=created + timedelta(minutes=30),
                target_minutes=60,
                breached=breached,
            )
        )
        if pk % 5 == 0:
            ratings.append(
                SatisfactionRating(
                    ticket_id=pk,
                    score=1 + pk % 5,
                    department_id=department,
                    account_id=account,
                    created_at=created + timedelta(hours=7),
                )
            )
    from kehu.feedback.models import SurveyInvitation

    with transaction.atomic():
        SlaClock.objects.bulk_create(clocks, batch_size=5000)
        SurveyInvitation.objects.bulk_create(
            (
                SurveyInvitation(
                    ticket_id=r.ticket_id,
                    email="bench@example.com",
                    language="zh-hans",
                    digest=f"{r.ticket_id:064d}",
                    expires_at=now,
                    used_at=now,
                )
                for r in ratings
            ),
            batch_size=5000,
        )
        invitations = dict(SurveyInvitation.objects.values_list("ticket_id", "pk"))
        for r in ratings:
            r.invitation_id = invitations[r.ticket_id]
        SatisfactionRating.objects.bulk_create(ratings, batch_size=5000)
    product = Product.objects.create(code="cloud", name="云服务器")
    with transaction.atomic():
        UsageRecord.objects.bulk_create(
            (
                UsageRecord(
                    account_id=a,
                    product=product,
                    day=today - timedelta(days=d),
                    quantity=Decimal(10 + a % 7),
                    spend=Decimal(100 + (a * d) % 90),
                )
                for a in accounts
                for d in (3, 13, 23, 33, 43, 53)
            ),
            batch_size=5000,
        )
        for n in range(50):
            incident = MajorIncident.objects.create(
                title=f"基准事件{n}",
                severity=["sev1", "sev2", "sev3"][n % 3],
                declared_at=now - timedelta(days=n),
            )
            incident.affected_accounts.add(*accounts[n * 20 : n * 20 + 20])
        Person.objects.bulk_create(
            (
                Person(
                    contact_id=contacts[a],
                    account_id=a,
                    stage=["acquaintance", "meeting", "trust", "alliance"][a % 4],
                    created_at=now - timedelta(days=200),
                    updated_at=now,
                )
                for a in accounts[::2]
            ),
            batch_size=2000,
        )
    return {
        "accounts": len(accounts),
        "tickets": Ticket.objects.count(),
        "ratings": len(ratings),
        "usage_rows": UsageRecord.objects.count(),
    }


def measure(args: argparse.Namespace) -> None:
    from django.utils import timezone, translation

    from kehu.insight import export, figures, health_services, periods, presentation, reports
    from kehu.insight.models import Period, ScopeKind
    from kehu.insight.rules import INTERNAL

    times = []
    for _ in range(args.runs):
        started = clock.perf_counter()
        scored = health_services.recompute(alert=True)
        times.append(clock.perf_counter() - started)
    print(
        json.dumps(
            {
                "measure": "health recompute",
                "accounts": scored,
                "median_s": round(statistics.median(times), 2),
                "max_s": round(max(times), 2),
            }
        ),
        flush=True,
    )

    start, end = periods.last_complete(Period.MONTH, timezone.localdate())
    for kind, pk in ((ScopeKind.COMPANY, None), (ScopeKind.DEPARTMENT, None)):
        if kind == ScopeKind.DEPARTMENT:
            from kehu.org.models import Department

            pk = Department.objects.order_by("pk").values_list("pk", flat=True).first()
        scope = reports.scope_of(kind, pk)
        started = clock.perf_counter()
        data = figures.compute(scope, Period.MONTH, start, end)
        computed = clock.perf_counter()
        from kehu.insight.models import Report

        report = Report(
            pk=0,
            kind=kind,
            period=Period.MONTH,
            period_start=start,
            period_end=end,
            scope_key="bench",
            figures=data,
        )
        with translation.override("zh-hans"):
            doc = presentation.document(report, INTERNAL)
            pictures = export.chart_pictures(doc)
            pdf = export.pdf(doc, pictures)
            xlsx = export.xlsx(doc)
        finished = clock.perf_counter()
        print(
            json.dumps(
                {
                    "measure": f"{kind} monthly report",
                    "tickets_in_month": data["volume"]["total"],
                    "figures_s": round(computed - started, 2),
                    "charts_pdf_xlsx_s": round(finished - computed, 2),
                    "total_s": round(finished - started, 2),
                    "pdf_bytes": len(pdf),
                    "xlsx_bytes": len(xlsx),
                }
            ),
            flush=True,
        )


def main() -> None:
    args = parse_args()
    data_dir = setup(args)
    started = clock.perf_counter()
    counts = generate(args)
    print(
        json.dumps(
            {
                "generated": counts,
                "database": args.database,
                "seconds": round(clock.perf_counter() - started, 1),
            }
        ),
        flush=True,
    )
    measure(args)
    if not args.keep:
        from django.db import connection

        connection.close()
        if args.database == "postgres":
            import psycopg

            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
