"""Benchmark: swing detection over 10,000 accounts × 3 products × 730 days (21.9M usage rows).

    .venv/bin/python bench/usage.py                          # SQLite, then PostgreSQL
    .venv/bin/python bench/usage.py --database postgres --runs 7
    .venv/bin/python bench/usage.py --accounts 500 --days 120 # a quick look

One command per database: it creates its own database (SQLite under /tmp/kehu-bench-usage-sqlite,
PostgreSQL ``kehu_bench_usage`` on postgres://postgres@127.0.0.1:5432), migrates, generates the
usage (executemany in large transactions on SQLite, COPY on PostgreSQL; the table's indexes are
dropped for the load and built afterwards), then times ``kehu.usage.swings.detect`` for the last
day with two active rules — week over week ±30 % and same weekday (4 weeks) ±50 % — several
times (the alerts, timeline lines, notifications and run marker of the previous run are deleted
between runs, untimed, so every run does the full work) and prints rows, generation time,
alerts found, and the median and maximum detection time. The data is deleted at the end unless
``--keep``. Record the results in docs/benchmarks.md with the date and machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time as clock
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TABLE = "usage_usagerecord"
NOISE = [0.9 + ((i * 7919) % 2003) / 10015 for i in range(4001)]  # 0.9–1.1, deterministic
WEEKDAY = [1.0, 1.02, 1.03, 1.01, 0.98, 0.8, 0.75]
SWING_EVERY = 50  # one account in 50 drops or jumps in the last week (alerts to find)


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=5, help="timed detections")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--data-dir", help="default /tmp/kehu-bench-usage-<database>")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_usage")
    parser.add_argument("--batch", type=int, default=200_000, help="rows per load transaction")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    data_dir = Path(args.data_dir or f"/tmp/kehu-bench-usage-{args.database}")
    env = {
        "KEHU_DATA_DIR": str(data_dir),
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


def _admin_dsn(args: argparse.Namespace) -> str:
    return f"{args.postgres.rstrip('/')}/postgres"


def reset_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(_admin_dsn(args), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
    data_dir = Path(env["KEHU_DATA_DIR"])
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)


def drop_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    from django.db import connection

    connection.close()
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(_admin_dsn(args), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
    shutil.rmtree(env["KEHU_DATA_DIR"], ignore_errors=True)


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


# --- generation ---------------------------------------------------------------------------------


def setup_objects(accounts: int, products: int) -> tuple[list[int], list[int]]:
    """Accounts, products, the two rules and one after-sales user (told of every alert)."""
    from kehu.access.models import Role, RoleAssignment, User
    from kehu.customers.models import Account
    from kehu.usage.models import Product, SwingRule

    Account.objects.bulk_create(
        (
            Account(name=f"基准客户{n:05d}", name_en=f"Bench customer {n:05d}")
            for n in range(accounts)
        ),
        batch_size=2000,
    )
    codes = [("cloud-server", "云服务器"), ("object-storage", "对象存储"), ("cdn", "CDN")]
    for code, name in codes[:products]:
        Product.objects.create(code=code, name=name)
    SwingRule.objects.create(name="周环比 ±30%", baseline=SwingRule.Baseline.WEEK_OVER_WEEK)
    SwingRule.objects.create(
        name="同工作日 ±50%",
        baseline=SwingRule.Baseline.SAME_WEEKDAY,
        baseline_weeks=4,
        threshold_percent=50,
    )
    user = User.objects.create(username="bench-after-sales", email="as@bench.example")
    RoleAssignment.objects.create(user=user, role=Role.AFTER_SALES)
    return (
        list(Account.objects.order_by("pk").values_list("pk", flat=True)),
        list(Product.objects.order_by("pk").values_list("pk", flat=True)),
    )


def rows(account_ids: list[int], product_ids: list[int], first: date, days: int) -> Any:
    """(account, product, day, quantity, spend) tuples, account by account."""
    day_text = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    weekday = [WEEKDAY[(first + timedelta(days=n)).weekday()] for n in range(days)]
    swing_from = days - 7
    for account_id in account_ids:
        for p_index, product_id in enumerate(product_ids):
            base = 50 + (account_id * 37 + p_index * 101) % 950
            growth = ((account_id % 13) - 4) / 100_000
            swing = 1.0
            if account_id % SWING_EVERY == 0 and p_index == 0:
                swing = 0.4 if account_id % (2 * SWING_EVERY) else 1.9
            offset = account_id * 3 + p_index
            for n in range(days):
                value = base * (1 + growth * n) * weekday[n] * NOISE[(offset + n) % 4001]
                if n >= swing_from:
                    value *= swing
                yield account_id, product_id, day_text[n], round(value, 2), round(value * 0.8, 2)


def load_sqlite(data: Any, batch: int) -> int:
    from django.db import connection

    count = 0
    sql = (
        f"INSERT INTO {TABLE} (account_id, product_id, day, quantity, spend) VALUES (?, ?, ?, ?, ?)"
    )
    connection.ensure_connection()
    raw = connection.connection
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        # One explicit transaction per chunk (Django keeps the connection in autocommit).
        raw.execute("BEGIN")
        raw.executemany(sql, chunk)
        raw.execute("COMMIT")

    for row in data:
        chunk.append(row)
        if len(chunk) >= batch:
            flush()
            count += len(chunk)
            chunk = []
    flush()
    return count + len(chunk)


def load_postgres(data: Any, batch: int) -> int:
    from django.db import connection

    count = 0
    with connection.cursor() as cur:
        raw = cur.cursor
        buffer = io.StringIO()
        pending = 0

        def flush() -> None:
            with raw.copy(
                f"COPY {TABLE} (account_id, product_id, day, quantity, spend) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())

        for account_id, product_id, day, quantity, spend in data:
            buffer.write(f"{account_id}\t{product_id}\t{day}\t{quantity}\t{spend}\n")
            pending += 1
            if pending >= batch:
                flush()
                count += pending
                pending = 0
                buffer = io.StringIO()
        flush()
    return count + pending


def indexes(vendor: str) -> list[tuple[str, str]]:
    """(drop statement, create statement) for every index of the usage table but the key."""
    from django.db import connection

    found = []
    with connection.cursor() as cur:
        if vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [TABLE],
            )
            for name, sql in cur.fetchall():
                found.append((f'DROP INDEX "{name}"', sql))
        else:
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                [TABLE],
            )
            constraints = cur.fetchall()
            for name, definition in constraints:
                found.append(
                    (
                        f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"',
                        f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}',
                    )
                )
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT LIKE %s AND indexname <> ALL(%s)",
                [TABLE, "%_pkey", [c[0] for c in constraints]],
            )
            for name, definition in cur.fetchall():
                found.append((f'DROP INDEX "{name}"', definition))
    return found


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from kehu.usage.swings import default_day

    began = clock.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    timings = {"migrate": clock.perf_counter() - began}
    began = clock.perf_counter()
    account_ids, product_ids = setup_objects(args.accounts, args.products)
    timings["accounts"] = clock.perf_counter() - began
    vendor = connection.vendor
    index_sql = indexes(vendor)
    with connection.cursor() as cur:
        for drop, _create in index_sql:
            cur.execute(drop)
    last = default_day()
    first = last - timedelta(days=args.days - 1)
    log(f"generating {len(account_ids) * len(product_ids) * args.days:,} rows …")
    began = clock.perf_counter()
    data = rows(account_ids, product_ids, first, args.days)
    count = (load_postgres if vendor == "postgresql" else load_sqlite)(data, args.batch)
    timings["rows"] = clock.perf_counter() - began
    log(f"  {count:,} rows in {timings['rows']:.0f} s; building indexes …")
    began = clock.perf_counter()
    with connection.cursor() as cur:
        for _drop, create in index_sql:
            cur.execute(create)
    with connection.cursor() as cur:
        # As autovacuum would on a live table: statistics, and on PostgreSQL the visibility map
        # that lets the covering index answer without visiting the table.
        cur.execute(f"VACUUM ANALYZE {TABLE}" if vendor == "postgresql" else "ANALYZE")
    timings["indexes"] = clock.perf_counter() - began
    return {
        "rows": count,
        "day": last.isoformat(),
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }


# --- measuring ----------------------------------------------------------------------------------


def reset_alerts() -> None:
    from kehu.customers.models import TimelineEntry
    from kehu.notify.models import Notification
    from kehu.usage.models import DetectionRun, SwingAlert

    SwingAlert.objects.all().delete()
    TimelineEntry.objects.filter(kind=TimelineEntry.Kind.USAGE_ALERT).delete()
    Notification.objects.all().delete()
    DetectionRun.objects.all().delete()


def measure(day: date, runs: int) -> dict[str, Any]:
    from kehu.usage import swings
    from kehu.usage.models import SwingRule

    times, alerts = [], 0
    per_rule: dict[str, list[float]] = {}
    # One untimed run first: the first detection in a process also imports and loads the
    # notification and translation machinery.
    began = clock.perf_counter()
    swings.detect(day)
    warm_up = clock.perf_counter() - began
    log(f"  warm-up run: {warm_up:.2f} s")
    for run in range(runs):
        reset_alerts()
        began = clock.perf_counter()
        alerts = len(swings.detect(day))
        times.append(clock.perf_counter() - began)
        log(f"  run {run + 1}: {times[-1]:.2f} s, {alerts} alerts")
        for rule in SwingRule.objects.filter(is_active=True):
            began = clock.perf_counter()
            swings.findings(rule, day)
            per_rule.setdefault(rule.get_baseline_display(), []).append(
                clock.perf_counter() - began
            )
    return {
        "alerts": alerts,
        "warm_up_s": round(warm_up, 2),
        "runs": [round(t, 2) for t in times],
        "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2),
        "query_median_s": {k: round(statistics.median(v), 2) for k, v in per_rule.items()},
        "repeat_same_day_s": _repeat(day),
    }


def _repeat(day: date) -> float:
    """A second detection of the same day (nothing new to create)."""
    from kehu.usage import swings

    began = clock.perf_counter()
    swings.detect(day)
    return round(clock.perf_counter() - began, 2)


def run_each_database() -> None:
    argv = []
    rest = iter(sys.argv[1:])
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
    reset_database(args, env)
    import django

    django.setup()
    from django.db import connection

    results: dict[str, Any] = {"machine": machine(), "database": args.database}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT version()" if args.database == "postgres" else "SELECT sqlite_version()"
        )
        results["database_version"] = cur.fetchone()[0]
    log(json.dumps(results, ensure_ascii=False))
    try:
        meta = generate(args)
        results["generation"] = meta
        log(f"generation: {json.dumps(meta)}")
        log(f"detection for {meta['day']} with 2 rules, {args.runs} runs:")
        results["detect"] = measure(date.fromisoformat(meta["day"]), args.runs)
        log(json.dumps(results, ensure_ascii=False, indent=2))
        Path(f"/tmp/kehu-bench-usage-results-{args.database}.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=2)
        )
    finally:
        if not args.keep:
            drop_database(args, env)


if __name__ == "__main__":
    main()
