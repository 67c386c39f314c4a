"""Benchmark: the weighted pipeline forecast over 100,000 opportunities (target < 300 ms).

    .venv/bin/python bench/pipeline.py                          # SQLite, then PostgreSQL
    .venv/bin/python bench/pipeline.py --database sqlite --runs 9
    .venv/bin/python bench/pipeline.py --opportunities 5000     # a quick look

One command per database: it creates its own database (SQLite under /tmp/kehu-bench-pipeline-
sqlite, PostgreSQL ``kehu_bench_pipeline`` on postgres://postgres@127.0.0.1:5432), migrates,
generates 2,000 accounts, 20 departments with 2 teams each and 200 employees, then the
opportunities in bulk (expected close spread over 3 years around today, every stage, 10 % with a
probability override, 10 % in USD) with one stage-history row each plus a second for those past
the first stage. It then times ``kehu.pipeline.selectors.forecast`` as an administrator (who
reads the whole pipeline): per month for the coming year for the company, per quarter per
department, per month per team, and over all three years; plus the conversion figures of the
last year. Each figure is the median and maximum of ``--runs`` calls after one warm-up call.
The data is deleted at the end unless ``--keep``. Record the results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time as clock
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="timed calls per measure")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument(
        "--skip-generate", action="store_true", help="measure a database kept by --keep again"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_pipeline")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "KEHU_DATA_DIR": f"/tmp/kehu-bench-pipeline-{args.database}",
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


def reset_database(
    args: argparse.Namespace, env: dict[str, str], *, drop_only: bool = False
) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            if not drop_only:
                conn.execute(f'CREATE DATABASE "{args.db_name}"')
    data_dir = Path(env["KEHU_DATA_DIR"])
    shutil.rmtree(data_dir, ignore_errors=True)
    if not drop_only:
        data_dir.mkdir(parents=True)


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "cpu": f"{cpu} × {os.cpu_count()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def generate(count: int) -> dict[str, Any]:
    from django.utils import timezone

    from kehu.access.models import User
    from kehu.customers.models import Account
    from kehu.org.models import Department, Employee, Team
    from kehu.pipeline.defaults import ensure_default_stages
    from kehu.pipeline.models import Opportunity, Stage, StageMove

    began = clock.perf_counter()
    ensure_default_stages()
    User.objects.create_superuser("bench-admin", "bench@example.com", "x")
    departments = Department.objects.bulk_create(
        Department(code=f"D{n:02d}", name=f"销售{n}部", name_en=f"Sales {n}") for n in range(20)
    )
    teams = Team.objects.bulk_create(
        Team(department=d, name=f"{d.name}{t}组") for d in departments for t in range(2)
    )
    employees = Employee.objects.bulk_create(
        Employee(
            employee_no=f"B{n:04d}",
            name=f"销售{n}",
            department=departments[n % 20],
            team=teams[n % 40],
        )
        for n in range(200)
    )
    accounts = Account.objects.bulk_create(
        (Account(name=f"基准客户{n:05d}", owner=employees[n % 200]) for n in range(2000)),
        batch_size=2000,
    )
    stages = list(Stage.objects.all())
    today = timezone.localdate()
    now = timezone.now()
    first = stages[0]

    def make(n: int) -> Opportunity:
        stage = stages[(n * 5 + n // 11) % len(stages)]
        closed = stage.outcome != "open"
        override = n % 10 == 0 and not closed
        return Opportunity(
            account=accounts[n % 2000],
            name=f"基准商机{n:06d}",
            stage=stage,
            stage_entered_at=now,
            amount=Decimal((n * 7919) % 5_000_000) + Decimal("0.50"),
            currency="USD" if n % 10 == 3 else "CNY",
            expected_close=today + timedelta(days=(n * 37) % 1095 - 365),
            closed_at=now if closed else None,
            probability_override=35 if override else None,
            probability_reason="基准" if override else "",
            ar=employees[n % 200],
            win_loss_reason="price" if closed else "",
        )

    for start in range(0, count, 10_000):
        Opportunity.objects.bulk_create(
            [make(n) for n in range(start, min(count, start + 10_000))], batch_size=5000
        )
    ids = list(Opportunity.objects.values_list("pk", "stage_id"))
    lost = {st.pk for st in stages if st.outcome == "lost"}
    opened = now - timedelta(days=200)
    moves = [
        StageMove(
            opportunity_id=pk,
            to_stage=first,
            moved_at=opened,
            left_at=None if stage_id == first.pk else now,
            seconds_in_stage=None if stage_id == first.pk else (pk % 90) * 86400,
            went_further=stage_id != first.pk and stage_id not in lost,
        )
        for pk, stage_id in ids
    ]
    moves += [
        StageMove(opportunity_id=pk, from_stage=first, to_stage_id=stage_id, moved_at=now)
        for pk, stage_id in ids
        if stage_id != first.pk
    ]
    StageMove.objects.bulk_create(moves, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {
        "opportunities": Opportunity.objects.count(),
        "stage_moves": len(moves),
        "seconds": round(clock.perf_counter() - began, 1),
    }


def timed(call: Any, runs: int) -> dict[str, Any]:
    call()  # warm-up
    times = []
    for _ in range(runs):
        began = clock.perf_counter()
        result = call()
        times.append((clock.perf_counter() - began) * 1000)
    rows = len(getattr(result, "rows", None) or getattr(result, "stages", []))
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "rows": rows,
    }


def measure(runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kehu.access.models import User
    from kehu.pipeline import selectors

    user = User.objects.get(username="bench-admin")
    today = timezone.localdate()
    year = {"start": today.replace(day=1), "end": today.replace(day=1) + timedelta(days=365)}
    everything = {"start": today - timedelta(days=400), "end": today + timedelta(days=800)}
    calls = {
        "company, per month, next 12 months": lambda: selectors.forecast(user, **year),
        "per department, per quarter, next 12 months": lambda: selectors.forecast(
            user, period="quarter", group="department", **year
        ),
        "per team, per month, next 12 months": lambda: selectors.forecast(
            user, group="team", **year
        ),
        "company, per month, all 3 years": lambda: selectors.forecast(user, **everything),
        "conversion figures, last year": lambda: selectors.conversion(user),
    }
    results = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            call()
        results[name] = {**timed(call, runs), "queries": len(queries.captured_queries)}
        log(f"  {name}: {json.dumps(results[name])}")
    return results


def run_each_database() -> None:
    argv, rest = [], iter(sys.argv[1:])
    for arg in rest:
        if arg == "--database":
            next(rest, None)
        elif not arg.startswith("--database="):
            argv.append(arg)
    for database in ("sqlite", "postgres"):
        subprocess.run([sys.executable, __file__, "--database", database, *argv], check=True)


def main() -> None:
    args = parse_args()
    if args.database == "both":
        run_each_database()
        return
    env = environment(args)
    os.environ.update(env)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    if not args.skip_generate:
        reset_database(args, env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    results: dict[str, Any] = {"machine": machine(), "database": args.database}
    try:
        call_command("migrate", verbosity=0)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT version()" if args.database == "postgres" else "SELECT sqlite_version()"
            )
            results["database_version"] = cur.fetchone()[0]
        if not args.skip_generate:
            results["generation"] = generate(args.opportunities)
        log(json.dumps(results, ensure_ascii=False))
        results["forecast"] = measure(args.runs)
        Path(f"/tmp/kehu-bench-pipeline-results-{args.database}.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=2)
        )
    finally:
        connection.close()
        if not args.keep:
            reset_database(args, env, drop_only=True)


if __name__ == "__main__":
    main()
