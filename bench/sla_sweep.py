"""Benchmark: an hour of SLA backlog swept at once (warnings, escalations and their notifications).

    .venv/bin/python bench/sla_sweep.py                       # SQLite
    .venv/bin/python bench/sla_sweep.py --database postgres
    .venv/bin/python bench/sla_sweep.py --tickets 100         # a quick look

Each run (re)creates its own database (SQLite under ``/tmp/kehu-bench-sweep``, PostgreSQL
``kehu_bench_sweep`` on postgres://postgres@127.0.0.1:5432), migrates, and opens ``--tickets``
tickets through ``desk.tickets.create_tickets`` in one support department (a head, 20 agents by
round robin, a 24/7 calendar, first response 60 min, resolution 240 min, warnings at 75 %, an
escalation chain assignee → team lead → department head), with two active webhooks subscribed to
every event. Then, as a scheduler that was down for an hour would, ``sweep_due`` runs at
creation + 61 min until nothing is due: every ticket's first-response clock is due (its warning
and its first escalation fire, each with its inbox rows, texts and webhook deliveries). The time
of each pass and the total are printed with the number of queries.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=850, help="one due clock each")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--data-dir", default="/tmp/kehu-bench-sweep")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "KEHU_DATA_DIR": args.data_dir,
        "SECRET_KEY": "kehu-benchmark-only-not-a-secret-0123456789abcdefghijklmnop",
        "KEHU_HTTPS": "false",
        "DJANGO_SETTINGS_MODULE": "kehu.settings",
        "LOG_LEVEL": "WARNING",
    }
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{args.postgres.rstrip('/')}/kehu_bench_sweep"
    else:
        os.environ.pop("DATABASE_URL", None)
    return env


def reset(args: argparse.Namespace) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kehu_bench_sweep WITH (FORCE)")
            conn.execute("CREATE DATABASE kehu_bench_sweep")
    shutil.rmtree(args.data_dir, ignore_errors=True)
    Path(args.data_dir).mkdir(parents=True)


def setup(count: int) -> datetime:
    """The department, policy, webhooks and ``count`` open tickets; returns when they opened."""
    from kehu.access.models import Role, RoleAssignment, User
    from kehu.customers.models import Account, Contact
    from kehu.desk import tickets
    from kehu.desk.sla import services
    from kehu.desk.sla.services import EscalationSpec, IntervalSpec, TargetSpec
    from kehu.notify.models import Webhook
    from kehu.org.models import Department, Employee, Team

    support = Department.objects.create(code="SUPPORT", name="客户服务中心", name_en="Support")
    team = Team.objects.create(name="一线", name_en="First line", department=support)

    def employee(n: int, name: str, **fields: object) -> Employee:
        user = User.objects.create_user(username=f"staff{n}", email=f"staff{n}@kehu.example")
        RoleAssignment.objects.create(user=user, role=Role.AGENT, department=support)
        return Employee.objects.create(
            user=user, employee_no=f"E{n:05d}", name=name, department=support, **fields
        )

    support.head = employee(0, "部门负责人")
    support.save()
    team.lead = employee(1, "组长", team=team)
    team.save()
    for n in range(20):
        employee(2 + n, f"坐席{n:02d}", team=team)
    calendar = services.calendar_create(
        fields={"name": "24/7", "time_zone": "UTC"},
        intervals=[IntervalSpec(d, time(0), time(0)) for d in range(7)],
        days=[],
    )
    services.sla_policy_save(
        policy=None,
        expected_version=None,
        fields={"name": "Standard", "calendar": calendar},
        departments=[],
        services=[],
        targets=[TargetSpec(p, 60, None, 240) for p in ("urgent", "high", "normal", "low")],
        escalation=[
            EscalationSpec(level=1, after_minutes=0, recipient="assignee"),
            EscalationSpec(level=2, after_minutes=30, recipient="team_lead"),
            EscalationSpec(level=3, after_minutes=90, recipient="department_head"),
        ],
    )
    for n in range(2):
        Webhook.objects.create(
            name=f"hook {n}",
            url=f"https://hooks{n}.example/kehu",
            secret="bench-secret-0123456789",  # noqa: S106 (a benchmark's own webhook)
            events=["sla.warning", "sla.escalation", "ticket.created"],
        )
    accounts = Account.objects.bulk_create(
        Account(name=f"基准客户{n:03d}", name_en=f"Bench customer {n}") for n in range(50)
    )
    contacts = Contact.objects.bulk_create(
        Contact(account=a, name=f"联系人{a.pk}", email=f"c{a.pk}@customer{a.pk}.example")
        for a in accounts
    )
    opened = datetime.now(UTC)
    for start in range(0, count, 200):
        tickets.create_tickets(
            [
                tickets.NewTicket(
                    subject=f"打印机无法连接 {n}",
                    body="请帮忙看看",
                    department=support,
                    channel="web",
                    contact=contacts[n % len(contacts)],
                )
                for n in range(start, min(count, start + 200))
            ],
            actor=None,
        )
    return opened


def main() -> None:
    args = parse_args()
    env = environment(args)
    os.environ.update(env)
    reset(args)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.desk.models import SlaClock, SlaEvent
    from kehu.desk.sla.sweep import sweep_due
    from kehu.notify.models import Notification, WebhookDelivery

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    began = clock.perf_counter()
    opened = setup(args.tickets)
    log(f"{args.tickets} tickets opened in {clock.perf_counter() - began:.1f} s")
    later = datetime.now(UTC) + timedelta(minutes=61)
    inbox_before = Notification.objects.count()
    hooks_before = WebhookDelivery.objects.count()
    due = SlaClock.objects.filter(stopped_at__isnull=True, next_check_at__lte=later).count()
    total = 0.0
    fired_total = queries_total = passes = 0
    while True:
        with CaptureQueriesContext(connection) as queries:
            began = clock.perf_counter()
            if os.environ.get("KEHU_BENCH_PROFILE"):
                import cProfile

                with cProfile.Profile() as profile:
                    fired = sweep_due(now=later)
                if fired:  # the pass that did the work, not the last empty one
                    profile.dump_stats(os.environ["KEHU_BENCH_PROFILE"])
            else:
                fired = sweep_due(now=later)
            seconds = clock.perf_counter() - began
        if not fired:
            break
        passes += 1
        total += seconds
        fired_total += fired
        queries_total += len(queries)
        log(
            f"  pass {passes}: fired {fired:>5} in {seconds * 1000:8.1f} ms, {len(queries)} queries"
        )
    log(
        f"{args.database} ({platform.python_version()}, {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d}): {due} due clocks, {fired_total} events "
        f"({SlaEvent.objects.count()} stored), "
        f"{Notification.objects.count() - inbox_before} inbox rows, "
        f"{WebhookDelivery.objects.count() - hooks_before} webhook deliveries: "
        f"{total:.2f} s in {passes} pass(es), {queries_total} queries; "
        f"load average {os.getloadavg()[0]:.1f}; tickets opened {opened:%H:%M} UTC"
    )


if __name__ == "__main__":
    main()
