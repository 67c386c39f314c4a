"""Benchmark: the service desk at 1,000,000 tickets and 10,000,000 messages, per database.

    .venv/bin/python bench/desk.py                      # SQLite, then PostgreSQL
    .venv/bin/python bench/desk.py --database postgres --redis-url redis://127.0.0.1:6379/0
    .venv/bin/python bench/desk.py --tickets 20000     # a quick look at a smaller size

With ``--redis-url`` the server keeps its cache (the rate-limit counters) on Redis, as in the
scale-out set-up; without it, in the database, as in the embedded default.

One command per database: it (re)creates its own database (PostgreSQL ``kehu_bench`` on
postgres://postgres@127.0.0.1:5432, or SQLite under ``/tmp/kehu-bench-sqlite``), migrates,
generates the data (see ``bench/desk_data.py``), then measures and prints:

* SLA sweep (``kehu.desk.sweep.sweep_due``) with nothing due, one minute's work and an hour's;
* the agent queue page ``/desk/tickets/`` over real HTTP, signed in as the demo agent: the first
  page and deep pages reached by following the page's next-page link (p95 of ``--requests``);
* search ``/api/desk/search?q=`` for a common and a rare word, Chinese and English (p95);
* ticket creation ``POST /api/desk/tickets`` with an API token, ``--concurrency`` client threads
  for ``--duration`` seconds against ``kehu serve --workers 2`` (throughput, p50, p99);
* the RSS of each gunicorn worker after all of that.

``--skip-generate`` measures an existing database again (the sweep then finds what the last run
left). The API rate limit (``KEHU_API_RATE_USER``, 1200/m by default) is raised to 1,000,000/m for
the server under test so the load is not throttled; the throttle itself still runs. Results go
to stdout and to ``results-<database>.json`` in the data directory; record them in
docs/benchmarks.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time as clock
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import desk_data  # noqa: E402  (beside this file, found through the path above)

SEARCH_WORDS = [
    ("common zh", "发票"),
    ("rare zh", "蓝牙"),
    ("common en", "invoice"),
    ("rare en", "kubernetes"),
]
PASSWORD = "kehu-demo"  # kehu.org.demo.DEMO_PASSWORD


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=["both", "sqlite", "postgres"],
        default="both",
        help="both: SQLite, then PostgreSQL, each in its own process",
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages-per-ticket", type=int, default=10)
    parser.add_argument("--skip-generate", action="store_true", help="measure the existing data")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--data-dir", help="default /tmp/kehu-bench-<database>")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench")
    parser.add_argument(
        "--redis-url",
        default="",
        help="cache (rate-limit counters) on Redis, as in the scale-out set-up, e.g. redis://127.0.0.1:6379/0",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30, help="seconds of creation load")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads creating")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--deep", default="10,100,1000", help="queue page depths to time")
    parser.add_argument("--walk-limit", type=float, default=300, help="seconds to walk pages")
    parser.add_argument("--search-budget", type=float, default=60, help="seconds per search word")
    parser.add_argument("--batch", type=int, default=5000, help="tickets per insert batch")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    data_dir = Path(args.data_dir or f"/tmp/kehu-bench-{args.database}")
    env = {
        "KEHU_DATA_DIR": str(data_dir),
        "SECRET_KEY": "kehu-benchmark-only-not-a-secret-0123456789abcdefghijklmnop",
        "KEHU_HTTPS": "false",
        "KEHU_API_RATE_USER": "1000000/m",
        "DJANGO_SETTINGS_MODULE": "kehu.settings",
        "LOG_LEVEL": "WARNING",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{args.postgres.rstrip('/')}/{args.db_name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    return env


def reset_database(args: argparse.Namespace, env: dict[str, str]) -> None:
    data_dir = Path(env["KEHU_DATA_DIR"])
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
    if data_dir.exists():
        shutil.rmtree(data_dir)
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
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "arch": platform.machine(),
        "cpu": f"{cpu} × {os.cpu_count()}",
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


# --- phases -------------------------------------------------------------------------------------


def generate(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    from django.core.management import call_command

    began = clock.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    migrate_s = clock.perf_counter() - began
    log(f"migrated in {migrate_s:.1f} s; generating {args.tickets:,} tickets …")
    began = clock.perf_counter()
    meta = desk_data.generate(
        tickets=args.tickets,
        messages_per_ticket=args.messages_per_ticket,
        dsn=env.get("DATABASE_URL", ""),
        log=log,
        batch=args.batch,
    )
    meta["timings"]["migrate"] = migrate_s
    meta["timings"]["total"] = clock.perf_counter() - began + migrate_s
    meta["timings"] = {k: round(v, 1) for k, v in meta["timings"].items()}
    meta["database_bytes"] = database_size(args, env)
    desk_data.write_meta(Path(env["KEHU_DATA_DIR"]) / "bench-meta.json", meta)
    return meta


def database_size(args: argparse.Namespace, env: dict[str, str]) -> int:
    from django.db import connection

    if args.database == "postgres":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            return int(cur.fetchone()[0])
    return sum(p.stat().st_size for p in Path(env["KEHU_DATA_DIR"]).glob("kehu.sqlite3*"))


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cur:
        for table in (
            "desk_ticket",
            "desk_message",
            "desk_slaclock",
            "desk_slaevent",
            "desk_ticketsearchdocument",
        ):
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM desk_ticket WHERE status IN "
            "('new', 'open', 'waiting_customer', 'waiting_third_party')"
        )
        counts["open tickets"] = cur.fetchone()[0]
    return counts


def sweep(t0: datetime) -> list[dict[str, Any]]:
    """``sweep_due`` at T (nothing due), T + 1 min and T + 1 h (as the scheduler would), where T
    is generation time T0 on the first run and where the last run stopped on later ones."""
    from kehu.desk.models import SlaClock
    from kehu.desk.sla.sweep import sweep_due

    # The demo tickets were made through the services at generation time, unswept: settle them.
    settled = 0
    while SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=t0).exists():
        fired = sweep_due(now=t0)
        settled += fired
        if not fired:
            break
    log(f"  (settled {settled} events of the demo tickets first)")
    results = []
    for label, now in (
        ("nothing due", t0),
        ("1 minute of work", t0 + timedelta(minutes=1)),
        ("1 hour of work", t0 + timedelta(hours=1)),
        ("again, nothing due", t0 + timedelta(hours=1)),
    ):
        due = SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now).count()
        tickets = (
            SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now)
            .values("ticket_id")
            .distinct()
            .count()
        )
        began = clock.perf_counter()
        fired = sweep_due(now=now)
        seconds = clock.perf_counter() - began
        results.append(
            {
                "case": label,
                "due_clocks": due,
                "due_tickets": tickets,
                "fired": fired,
                "seconds": round(seconds, 3),
            }
        )
        log(
            f"  sweep {label:<20} due clocks {due:>6} (tickets {tickets:>6})  fired {fired:>5}  "
            f"{seconds * 1000:9.1f} ms"
        )
    return results


def api_tokens(count: int) -> list[str]:
    from kehu.access.models import User
    from kehu.access.services import api_token_create

    agent = User.objects.get(username="agent")
    return [api_token_create(user=agent, name=f"bench {n}").secret for n in range(count)]


def creation_payloads(env: dict[str, str]):
    """Staff intake for a random contact: 80 % to SUPPORT (round robin), 20 % to OPS (least load)."""
    import random

    from kehu.customers.models import Contact
    from kehu.org.models import Department

    departments = {d.code: d.pk for d in Department.objects.filter(code__in=["SUPPORT", "OPS"])}
    contacts = list(Contact.objects.values_list("pk", flat=True))
    rng = random.Random(11)
    subjects = [
        ("无法登录系统", "登录时提示密码错误，换了浏览器也不行。"),
        ("请重新开具发票", "上月的发票抬头写错了，请重新开具发票。"),
        (
            "VPN does not connect",
            "The VPN connects but the intranet is unreachable since this morning.",
        ),
        ("打印机无法连接", "三楼的打印机无法连接，打印任务一直排队。"),
    ]

    def payload(n: int) -> dict[str, Any]:
        subject, body = subjects[n % len(subjects)]
        code = "OPS" if rng.random() < 0.2 else "SUPPORT"
        return {
            "_tag": code,
            "subject": f"{subject} #{n}",
            "body": body,
            "department_id": departments[code],
            "contact_id": rng.choice(contacts),
            "ticket_type": "incident" if code == "OPS" else "question",
            "impact": rng.choice(["individual", "group"]),
            "severity": rng.choice(["low", "medium", "high"]),
            "tags": ["bench"],
        }

    return payload


def queue_pages(args: argparse.Namespace, session: Any) -> list[dict[str, Any]]:
    from desk_http import next_page, time_gets

    depths = sorted({1, *(int(d) for d in args.deep.split(",") if d)})
    results = []
    for label, query in (
        ("open, due first", ""),
        ("closed, newest first", "status=closed&sort=-id"),
    ):
        urls: dict[int, str] = {}
        walk: list[float] = []
        path = "/desk/tickets/" + (f"?{query}" if query else "")
        began = clock.perf_counter()
        page = 1
        while True:
            if page in depths:
                urls[page] = path
            if page >= depths[-1] or clock.perf_counter() - began > args.walk_limit:
                break
            t = clock.perf_counter()
            status, body = session.get(path)
            walk.append((clock.perf_counter() - t) * 1000)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            following = next_page(body)
            if following is None:
                if page == 1:
                    log("  (no next-page link on the queue page: deep pages not measured)")
                break
            path = "/desk/tickets/?" + following
            page += 1
        log(
            f"  queue {label}: walked {page} pages in {clock.perf_counter() - began:.0f} s "
            f"(mean {sum(walk) / max(1, len(walk)):.0f} ms per page)"
        )
        for depth, url in sorted(urls.items()):
            session.get(url)  # warm
            timing = time_gets(lambda url=url: session.get(url), args.requests)
            timing.update({"queue": label, "page": depth})
            results.append(timing)
            log(
                f"  queue {label:<22} page {depth:>5}: p50 {timing['p50_ms']:7.1f} ms  "
                f"p95 {timing['p95_ms']:7.1f} ms  max {timing['max_ms']:7.1f} ms  {timing['statuses']}"
            )
    return results


def searches(
    args: argparse.Namespace, port: int, token: str, data_dir: Path
) -> list[dict[str, Any]]:
    from desk_http import request, time_gets

    results = []
    for label, word in SEARCH_WORDS:
        path = "/api/desk/search?" + urllib.parse.urlencode({"q": word})
        headers = {"Authorization": f"Bearer {token}"}
        count = None

        def fetch(path: str = path, headers: dict[str, str] = headers) -> tuple[int, bytes]:
            nonlocal count
            status, body, _h = request("GET", port, path, headers=headers, timeout=600)
            if status == 200 and count is None:
                count = json.loads(body).get("count")
            return status, body

        timing = time_gets(fetch, args.requests, budget=args.search_budget)
        timing.update({"search": label, "q": word, "matches": count})
        results.append(timing)
        log(
            f"  search {label:<10} {word:<11} {count!s:>8} matches: n {timing['n']:>3}  "
            f"p50 {timing['p50_ms']:9.1f} ms  p95 {timing['p95_ms']:9.1f} ms  "
            f"max {timing['max_ms']:9.1f} ms  {timing['statuses']}"
        )
        if set(timing["statuses"]) != {200}:
            # The worker was killed at gunicorn's 30 s timeout; its query may still run.
            cancel_stray_searches()
            timing["in_process"] = explain_search(
                word, data_dir / f"explain-{args.database}-{label.replace(' ', '-')}.txt"
            )
            log(
                f"    in-process (same queries as the API, EXPLAIN ANALYZE): {timing['in_process']}"
            )
    return results


def cancel_stray_searches() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%%tsquery%%'"
        )
    connection.close()


def explain_search(word: str, out: Path) -> dict[str, Any]:
    """The API's page query (20 best) and count, run here with EXPLAIN ANALYZE."""
    from django.db import connection

    from kehu.access.models import User
    from kehu.desk import search

    agent = User.objects.get(username="agent")
    found = search.search_tickets(agent, word, search.SearchFilters())
    page = found.only("id", "subject", "status", "department_id")[:20]
    timings: dict[str, Any] = {}
    text = []
    began = clock.perf_counter()
    if connection.vendor == "postgresql":
        plan = page.explain(analyze=True)
    else:
        plan = page.explain()
        list(page)
    timings["page_s"] = round(clock.perf_counter() - began, 2)
    if timings["page_s"] < 20:  # the count scans as much again
        began = clock.perf_counter()
        timings["count"] = found.count()
        timings["count_s"] = round(clock.perf_counter() - began, 2)
    text.append(f"-- page of q={word}: {timings}")
    text.append(f"{page.query}\n\n{plan}\n")
    out.write_text("\n".join(text), encoding="utf-8")
    timings["plan_file"] = str(out)
    return timings


def run_each_database() -> None:
    """``--database both``: this script once per database, one after the other (the machine's
    two cores serve one run at a time)."""
    argv, rest = [], iter(sys.argv[1:])
    for arg in rest:
        if arg == "--database":
            next(rest, None)  # its value
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
    if not args.skip_generate:
        reset_database(args, env)
    import django

    django.setup()
    from django.db import connection

    info = machine()
    data_dir = Path(env["KEHU_DATA_DIR"])
    results: dict[str, Any] = {"machine": info, "database": args.database}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT version()" if args.database == "postgres" else "SELECT sqlite_version()"
        )
        info["database_version"] = cur.fetchone()[0]
    log(f"{info}")
    if args.skip_generate:
        meta = json.loads((data_dir / "bench-meta.json").read_text())
    else:
        meta = generate(args, env)
    results["generation"] = meta
    log(f"generation: {json.dumps(meta, ensure_ascii=False)}")
    results["rows"] = table_counts()
    log(f"rows: {results['rows']}")
    if args.generate_only:
        return

    # Each run sweeps the next hour of generated time: the hour before was swept by the last run.
    swept_from = datetime.fromisoformat(meta.get("swept_until", meta["t0"]))
    log(f"SLA sweep from {swept_from:%Y-%m-%d %H:%M} UTC:")
    results["sweep"] = sweep(swept_from)
    meta["swept_until"] = (swept_from + timedelta(hours=1)).isoformat()
    desk_data.write_meta(data_dir / "bench-meta.json", meta)

    tokens = api_tokens(4)
    payload = creation_payloads(env)
    connection.close()
    from desk_http import Server, Session

    server_env = {**os.environ, **env}
    with Server(
        port=args.port, workers=args.workers, env=server_env, log_path=data_dir / "server.log"
    ) as server:
        results["memory_start"] = server.worker_memory()
        session = Session(args.port)
        session.login("agent", PASSWORD)
        log("queue pages:")
        results["queue"] = queue_pages(args, session)
        log("search:")
        results["search"] = searches(args, args.port, tokens[0], data_dir)
        log(f"creation: {args.concurrency} client threads for {args.duration:.0f} s …")
        from desk_http import create_load

        results["create"] = create_load(
            port=args.port,
            tokens=tokens,
            payloads=payload,
            duration=args.duration,
            concurrency=args.concurrency,
        )
        c = results["create"]
        log(
            f"  created {c['created']} in {c['seconds']} s: {c['throughput_per_s']} tickets/s, "
            f"p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, max {c['max_ms']} ms; {c['statuses']}; "
            f"{c['by_department']}"
        )
        results["memory_end"] = server.worker_memory()
        log(
            f"worker memory (KiB) at start {results['memory_start']}, after {results['memory_end']}"
        )
    out = data_dir / f"results-{args.database}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    log(f"results written to {out}")


if __name__ == "__main__":
    main()
