"""Benchmark: relationship maps (issue 14) — the account relationship page with 500 people and
5,000 interactions, and the daily coverage check over 10,000 key accounts.

    .venv/bin/python bench/relations.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/relations.py --database postgres --requests 200
    .venv/bin/python bench/relations.py --accounts 1000       # a quick look

One process per database: it (re)creates its own database (SQLite under
``/tmp/kehu-bench-relations-sqlite``, PostgreSQL ``kehu_bench_relations`` on
postgres://postgres@127.0.0.1:5432), migrates, and generates with bulk inserts:

* one key account with ``--people`` people in a reporting tree six levels deep (every tenth a
  buying role, one coach) and ``--interactions`` interactions, each with three attendees;
* ``--accounts`` key accounts with five people each (a decision maker, an acceptor on every
  other account, a coach on every third), two interactions each and an iron triangle on half.

Then it times, in process (server time: Django's test client through the whole middleware
stack, signed in as an administrator, after 10 warm-up requests):

* ``GET /relations/accounts/<id>/`` for the big account (p50, p95, max; queries per request);
* ``GET /relations/accounts/<id>/team/`` (the triangle's dashboard) for the same account;
* ``coverage.sync_alerts`` over all watched accounts: the first run (raises every gap and
  notifies the account managers) and a second, idempotent run (nothing new), and
  ``coverage.compute_gaps`` alone.

Targets (issue 14): page p95 < 150 ms on both databases with a fixed number of queries; the
coverage alerts of 10,000 accounts computed set-at-a-time in < 5 s. Record the results in
docs/benchmarks.md with the date and machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_relations")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--interactions", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "KEHU_DATA_DIR": f"/tmp/kehu-bench-relations-{args.database}",
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


def build_big_account(people_count: int, interaction_count: int) -> Any:
    from django.utils import timezone

    from kehu.customers.models import Account, Contact
    from kehu.relations.models import BuyingRole, Interaction, Person, StageChange

    account = Account.objects.create(name="大客户 Big Account", level="key")
    contacts = Contact.objects.bulk_create(
        Contact(account=account, name=f"客户人员{n:03d}") for n in range(people_count)
    )
    stages = ["acquaintance", "meeting", "trust", "alliance"]
    people = []
    for n, contact in enumerate(contacts):
        people.append(
            Person(
                contact=contact,
                account=account,
                title=f"经理 {n}",
                department=f"部门{n % 12}",
                influence=1 + n % 5,
                stage=stages[n % 4],
                social_style=["controlling", "analytical", "advocating", "amiable"][n % 4],
                is_coach=n == 7,
                coach_influence="广" if n == 7 else "",
                coach_informed="深" if n == 7 else "",
                coach_win_win="共赢" if n == 7 else "",
            )
        )
    people = Person.objects.bulk_create(people)
    # A tree: person n reports to person (n - 1) // 5 (six levels for 500 people).
    for n, person in enumerate(people[1:], start=1):
        person.reports_to = people[(n - 1) // 5]
    Person.objects.bulk_update(people[1:], ["reports_to"], batch_size=500)
    today = timezone.localdate()
    StageChange.objects.bulk_create(
        StageChange(person=p, to_stage=p.stage, changed_on=today) for p in people
    )
    roles = ["selector", "decision_maker", "purchaser", "user", "evaluator", "acceptor"]
    BuyingRole.objects.bulk_create(
        BuyingRole(person=p, role=roles[(n // 10) % 6], cares_about="成本与稳定性")
        for n, p in enumerate(people)
        if n % 10 == 0
    )
    interactions = Interaction.objects.bulk_create(
        Interaction(
            account=account,
            kind=["meeting", "call", "visit", "event", "dinner"][n % 5],
            occurred_on=today - timedelta(days=n % 365),
            subject=f"第{n}次沟通",
            notes="讨论扩容方案",
        )
        for n in range(interaction_count)
    )
    through = Interaction.people.through
    through.objects.bulk_create(
        (
            through(interaction_id=i.pk, person_id=people[(n * 3 + k) % len(people)].pk)
            for n, i in enumerate(interactions)
            for k in range(3)
        ),
        batch_size=5000,
    )
    return account


def build_key_accounts(count: int) -> None:
    from django.utils import timezone

    from kehu.customers.models import Account, Contact
    from kehu.org.models import Department, Employee
    from kehu.relations.models import BuyingRole, Interaction, IronTriangle, Person

    department = Department.objects.create(name="大客户部", code="KAM")
    staff = Employee.objects.bulk_create(
        Employee(department=department, name=f"员工{n}", employee_no=f"B{n:04d}") for n in range(50)
    )
    accounts = Account.objects.bulk_create(
        (Account(name=f"重点客户{n:05d}", level="key", owner=staff[n % 50]) for n in range(count)),
        batch_size=2000,
    )
    contacts = Contact.objects.bulk_create(
        (Contact(account=a, name=f"联系人{a.pk}-{k}") for a in accounts for k in range(5)),
        batch_size=5000,
    )
    people = Person.objects.bulk_create(
        (
            Person(
                contact=c,
                account_id=c.account_id,
                influence=5 if n % 5 == 0 else 2,
                stage="meeting" if n % 10 == 0 else "trust",
                is_coach=n % 15 == 1,
                coach_influence="x",
                coach_informed="x",
                coach_win_win="x" if n % 30 == 1 else "",
            )
            for n, c in enumerate(contacts)
        ),
        batch_size=5000,
    )
    BuyingRole.objects.bulk_create(
        (
            BuyingRole(person=p, role="decision_maker" if n % 5 == 0 else "acceptor")
            for n, p in enumerate(people)
            if n % 5 == 0 or n % 10 == 1
        ),
        batch_size=5000,
    )
    today = timezone.localdate()
    interactions = Interaction.objects.bulk_create(
        (
            Interaction(
                account=a,
                kind="meeting",
                occurred_on=today - timedelta(days=(a.pk * 7 + k * 50) % 120),
                subject="拜访",
            )
            for a in accounts
            for k in range(2)
        ),
        batch_size=5000,
    )
    through = Interaction.people.through
    firsts = {p.account_id: p for p in people[::5]}
    through.objects.bulk_create(
        (through(interaction_id=i.pk, person_id=firsts[i.account_id].pk) for i in interactions),
        batch_size=5000,
    )
    IronTriangle.objects.bulk_create(
        (
            IronTriangle(
                account=a,
                account_manager=staff[n % 50],
                solution_manager=staff[(n + 1) % 50],
                fulfilment_manager=staff[(n + 2) % 50],
            )
            for n, a in enumerate(accounts)
            if n % 2 == 0
        ),
        batch_size=2000,
    )


def time_page(client: Any, url: str, requests: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(10):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        began = clock.perf_counter()
        response = client.get(url)
        times.append((clock.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        size = len(client.get(url).content)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "max": times[-1],
        "queries": len(queries),
        "kb": size / 1024,
    }


def run(args: argparse.Namespace) -> None:
    env = environment(args)
    os.environ.update(env)
    reset(args, env)
    src = Path(__file__).resolve().parent.parent / "src"
    sys.path.insert(0, str(src))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from kehu.access.models import User
    from kehu.relations import coverage

    began = clock.perf_counter()
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    log(f"[{args.database}] migrated in {clock.perf_counter() - began:.1f} s")
    began = clock.perf_counter()
    account = build_big_account(args.people, args.interactions)
    log(
        f"[{args.database}] account with {args.people} people and {args.interactions} "
        f"interactions built in {clock.perf_counter() - began:.1f} s"
    )
    admin = User.objects.create_superuser("bench-admin", "bench@example.com", "x")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    for label, url in (
        ("relationship page", f"/relations/accounts/{account.pk}/"),
        ("triangle dashboard", f"/relations/accounts/{account.pk}/team/"),
    ):
        result = time_page(client, url, args.requests)
        log(
            f"[{args.database}] {label}: p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
            f"max {result['max']:.0f} ms, {result['queries']} queries, {result['kb']:.0f} KB"
        )
    began = clock.perf_counter()
    build_key_accounts(args.accounts)
    log(
        f"[{args.database}] {args.accounts} key accounts built in {clock.perf_counter() - began:.1f} s"
    )
    from django.utils import timezone

    today = timezone.localdate()
    began = clock.perf_counter()
    gaps = coverage.compute_gaps(coverage.watched_accounts(), today=today)
    computed = clock.perf_counter() - began
    began = clock.perf_counter()
    first = coverage.sync_alerts(today=today)
    first_s = clock.perf_counter() - began
    began = clock.perf_counter()
    second = coverage.sync_alerts(today=today)
    second_s = clock.perf_counter() - began
    log(
        f"[{args.database}] coverage of {len(gaps)} accounts: compute {computed:.2f} s; "
        f"first sync {first_s:.2f} s ({first.raised} alerts raised, {first.notified} "
        f"notifications); second sync {second_s:.2f} s ({second.raised} raised, "
        f"{second.resolved} resolved)"
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        reset(args, env, drop_only=True)


def main() -> None:
    args = parse_args()
    if args.database == "both":
        argv = [a for a in sys.argv[1:] if not a.startswith("--database")]
        for database in ("sqlite", "postgres"):
            subprocess.run([sys.executable, __file__, "--database", database, *argv], check=True)
        return
    run(args)


if __name__ == "__main__":
    main()
