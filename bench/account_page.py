"""Benchmark: an account page with 1,000 timeline items, per database.

    .venv/bin/python bench/account_page.py                    # SQLite, then PostgreSQL
    .venv/bin/python bench/account_page.py --database postgres --requests 300

One command per database: it (re)creates its own database (PostgreSQL ``kehu_bench_account``
on postgres://postgres@127.0.0.1:5432, or SQLite under ``/tmp/kehu-bench-account-sqlite``),
migrates, loads the full demo (≈220 accounts with two years of daily usage, dossiers, visits,
churn reviews), then gives one strategic demo account ``--items`` more timeline items made
through the product's own services — tickets (``desk.tickets.create_ticket``), dossier entries
(``dossier.services.entry_create``) and visits (``dossier.services.visit_create``), in the
ratio 4 : 4 : 2 — so every line has the real object behind it.

Measured over real HTTP against ``kehu serve --workers 2`` (no task worker), signed in as the
demo user ``lead`` (after-sales: sees every panel and every timeline line):

* the account page ``/customers/accounts/<id>/`` (p50, p95, max of ``--requests``);
* the timeline's second page (the "older" link the page loads with htmx);
* the same page filtered to one kind.

Target (issue 5): account page p95 < 150 ms. Results go to stdout and ``results.json`` in the
data directory; record them in docs/benchmarks.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

PASSWORD = "kehu-demo"  # kehu.org.demo.DEMO_PASSWORD


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_account")
    parser.add_argument("--items", type=int, default=1000, help="timeline items to add")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8017)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "KEHU_DATA_DIR": f"/tmp/kehu-bench-account-{args.database}",
        "SECRET_KEY": "kehu-benchmark-only-not-a-secret-0123456789abcdefghijklmnop",
        "KEHU_HTTPS": "false",
        "DJANGO_SETTINGS_MODULE": "kehu.settings",
        "LOG_LEVEL": "WARNING",
    }
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{args.postgres.rstrip('/')}/{args.db_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    return env


def reset(args: argparse.Namespace, env: dict[str, str], *, drop_only: bool = False) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            if not drop_only:
                conn.execute(f'CREATE DATABASE "{args.db_name}"')
    data_dir = Path(env["KEHU_DATA_DIR"])
    if data_dir.exists():
        shutil.rmtree(data_dir)
    if not drop_only:
        data_dir.mkdir(parents=True)


def prepare(items: int) -> dict[str, Any]:
    """Migrate, load the demo, and give one strategic account ``items`` more timeline lines."""
    from django.core.management import call_command

    began = clock.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from kehu.org.demo import build_demo

    build_demo()
    demo_s = clock.perf_counter() - began
    log(f"migrated and loaded the demo in {demo_s:.1f} s")

    from django.utils import timezone

    from kehu.access.models import User
    from kehu.customers.models import Account, TimelineEntry
    from kehu.desk import tickets
    from kehu.dossier import services as dossier
    from kehu.dossier.models import Section, Visit
    from kehu.org.models import Department

    lead = User.objects.get(username="lead")
    account = Account.objects.filter(level="strategic", contacts__isnull=False).order_by("pk")[0]
    contact = account.contacts.order_by("pk")[0]
    support = Department.objects.get(code="SUPPORT")
    began = clock.perf_counter()
    today = timezone.localdate()
    for n in range(items):
        day = today - timedelta(days=n % 700)
        if n % 10 < 4:
            tickets.create_ticket(
                tickets.NewTicket(
                    subject=f"第{n}号问题：对象存储上传变慢 upload latency",
                    body="客户反馈华东区域上传延迟升高，请排查。",
                    department=support,
                    channel="phone",
                    contact=contact,
                ),
                actor=lead,
            )
        elif n % 10 < 8:
            dossier.entry_create(
                account=account,
                actor=lead,
                section=Section.CURRENT_EVENT if n % 2 else Section.ARCHITECTURE,
                category="scale_out" if n % 2 else "",
                status="open" if n % 2 else "",
                title=f"第{n}条记录：扩容与架构调整",
                body="客户计划在**双十一**前扩容 30%，同时评估竞争对手的 CDN。",
                happened_on=day,
            )
        else:
            dossier.visit_create(
                account=account,
                actor=lead,
                kind=Visit.Kind.ROUTINE_MONTHLY,
                planned_on=day,
                purpose=f"第{n}次月度拜访",
                status=Visit.Status.DONE,
                visited_on=day,
                summary="讨论了扩容计划与账单问题。",
            )
    lines = TimelineEntry.objects.filter(account=account).count()
    log(
        f"added {items} items in {clock.perf_counter() - began:.1f} s; the account has {lines} lines"
    )
    return {"account_id": account.pk, "timeline_lines": lines, "demo_seconds": round(demo_s, 1)}


OLDER_LINK = re.compile(rb'hx-get="([^"]*timeline/\?before=[^"]*)"')


def measure(args: argparse.Namespace, env: dict[str, str], account_id: int) -> dict[str, Any]:
    from desk_http import Server, Session, time_gets

    results: dict[str, Any] = {}
    data_dir = Path(env["KEHU_DATA_DIR"])
    with Server(
        port=args.port,
        workers=args.workers,
        env={**os.environ, **env},
        log_path=data_dir / "server.log",
    ):
        session = Session(args.port)
        session.login("lead", PASSWORD)
        page = f"/customers/accounts/{account_id}/"
        status, body = session.get(page)
        if status != 200:
            raise RuntimeError(f"account page answered {status}")
        time_gets(lambda: session.get(page), 10)  # warm the workers
        results["account_page"] = time_gets(lambda: session.get(page), args.requests)
        log(f"  account page: {results['account_page']}")
        older = OLDER_LINK.search(body)
        if older:
            path = older.group(1).decode().replace("&amp;", "&")
            results["timeline_older"] = time_gets(lambda: session.get(path), args.requests)
            log(f"  timeline, next page ({path}): {results['timeline_older']}")
        filtered = f"{page}?kind=visit"
        results["filtered"] = time_gets(lambda: session.get(filtered), args.requests)
        log(f"  account page, visits only: {results['filtered']}")
    return results


def run_each_database() -> None:
    argv = [a for a in sys.argv[1:] if not a.startswith("--database")]
    if "--database" in sys.argv:
        index = sys.argv.index("--database")
        argv = sys.argv[1:index] + sys.argv[index + 2 :]
    for database in ("sqlite", "postgres"):
        subprocess.run([sys.executable, __file__, "--database", database, *argv], check=True)


def main() -> None:
    args = parse_args()
    if args.database == "both":
        run_each_database()
        return
    env = environment(args)
    os.environ.update(env)
    reset(args, env)
    import django

    django.setup()
    from desk import machine  # the machine description the other benchmarks print

    results: dict[str, Any] = {"machine": machine(), "database": args.database}
    results["data"] = prepare(args.items)
    from django.db import connection

    connection.close()
    results.update(measure(args, env, results["data"]["account_id"]))
    out = Path(env["KEHU_DATA_DIR"]) / "results.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    log(json.dumps(results, ensure_ascii=False))
    if not args.keep:
        reset(args, env, drop_only=True)


if __name__ == "__main__":
    main()
