"""Benchmark: contract documents, the contract detail page and the approver's inbox.

    .venv/bin/python bench/contracts.py                         # SQLite, then PostgreSQL
    .venv/bin/python bench/contracts.py --database sqlite --contracts 20000

One run per database in a child process: it (re)creates its own database (PostgreSQL
``kehu_bench_contracts`` on postgres://postgres@127.0.0.1:5432, or SQLite under
``/tmp/kehu-bench-contracts``), migrates, loads the organisation and the contracts demo (220
contracts in every status), then copies demo contracts in bulk up to ``--contracts`` (lines,
milestones, search documents; every 50th copy waiting in an approval step of the demo user
``finance``). In process (Django's test client, no HTTP server):

* ``.docx`` and PDF generation of a format contract with three line items and six clauses;
* the contract detail page ``/contracts/<id>/`` signed in as ``finance`` (p50, p95, max, and
  its query count);
* the approver's inbox ``/contracts/approvals/`` and ``GET /api/contracts/approvals/inbox``.

Targets (issue 15): ``.docx`` generation < 1 s; contract detail p95 < 150 ms with a fixed
number of queries; inbox p95 < 100 ms. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="kehu_bench_contracts")
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def timed(action: Any, count: int) -> dict[str, float]:
    """Wall-clock percentiles, and the median CPU time of this process (the work itself, which
    a loaded shared machine does not inflate as much)."""
    samples, cpu = [], []
    for _ in range(count):
        start, start_cpu = clock.perf_counter(), clock.process_time()
        action()
        samples.append(clock.perf_counter() - start)
        cpu.append(clock.process_time() - start_cpu)
    return {**percentiles(samples), "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1)}


def copy_contracts(target: int) -> None:
    """Bulk copies of the demo contracts until ``target`` contracts exist."""
    from django.db import transaction

    from kehu.access.models import User
    from kehu.contracts.models import (
        ApprovalAssignee,
        ApprovalRun,
        ApprovalStep,
        Contract,
        ContractLine,
        ContractSearchDocument,
        PaymentMilestone,
    )

    finance = User.objects.get(username="finance")
    models = list(Contract.objects.prefetch_related("lines", "milestones", "search_document"))
    have = Contract.objects.count()
    batch = 2000
    serial = 0
    while have < target:
        size = min(batch, target - have)
        with transaction.atomic():
            copies, sources = [], []
            for i in range(size):
                source = models[(have + i) % len(models)]
                serial += 1
                copy = Contract(
                    **{
                        f.attname: getattr(source, f.attname)
                        for f in Contract._meta.concrete_fields
                        if f.name not in ("id", "number", "chain_head", "chain_length")
                    }
                )
                copy.number = f"HT-BENCH-{have + i:07d}"
                copies.append(copy)
                sources.append(source)
            Contract.objects.bulk_create(copies, batch_size=1000)
            lines, milestones, documents, runs = [], [], [], []
            for copy, source in zip(copies, sources, strict=True):
                lines += [
                    ContractLine(
                        **{
                            f.attname: getattr(line, f.attname)
                            for f in ContractLine._meta.concrete_fields
                            if f.name not in ("id", "contract")
                        },
                        contract=copy,
                    )
                    for line in source.lines.all()
                ]
                milestones += [
                    PaymentMilestone(
                        **{
                            f.attname: getattr(m, f.attname)
                            for f in PaymentMilestone._meta.concrete_fields
                            if f.name not in ("id", "contract")
                        },
                        contract=copy,
                    )
                    for m in source.milestones.all()
                ]
                documents.append(
                    ContractSearchDocument(contract=copy, tokens=source.search_document.tokens)
                )
                if copy.number.endswith(("00", "50")):
                    runs.append(
                        ApprovalRun(
                            contract=copy, started_at=copy.created_at, amount_cny=copy.total_cny
                        )
                    )
            ContractLine.objects.bulk_create(lines, batch_size=2000)
            PaymentMilestone.objects.bulk_create(milestones, batch_size=2000)
            ContractSearchDocument.objects.bulk_create(documents, batch_size=2000)
            ApprovalRun.objects.bulk_create(runs)
            steps = ApprovalStep.objects.bulk_create(
                [
                    ApprovalStep(run=run, position=1, name="财务审核", mode="all", status="pending")
                    for run in runs
                ]
            )
            ApprovalAssignee.objects.bulk_create(
                [ApprovalAssignee(step=step, user=finance) for step in steps]
            )
        have += size
        print(f"  {have} contracts", flush=True)


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kehu.access.models import User
    from kehu.contracts import documents
    from kehu.contracts.demo import build_contracts_demo
    from kehu.contracts.models import Contract
    from kehu.org.demo import build_org_demo

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)  # as `kehu serve` does
    started = clock.perf_counter()
    build_org_demo()
    build_contracts_demo()
    demo_seconds = clock.perf_counter() - started
    copy_contracts(args.contracts)

    contract = (
        Contract.objects.filter(kind="format", status="delivering", number__startswith="HT-DEMO")
        .select_related("account", "template")
        .first()
    )
    assert contract is not None
    results: dict[str, Any] = {
        "database": connection.vendor,
        "contracts": Contract.objects.count(),
        "demo_seconds": round(demo_seconds, 1),
        "docx_lines": contract.lines.count(),
    }
    results["docx"] = timed(lambda: documents.to_docx(contract), 30)
    results["docx_bytes"] = len(documents.to_docx(contract))
    results["pdf"] = timed(lambda: documents.to_pdf(contract), 30)
    results["pdf_bytes"] = len(documents.to_pdf(contract))

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="finance"))
    detail = f"/contracts/{contract.pk}/"
    client.get(detail)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(detail).status_code == 200
    results["detail_queries"] = len(queries.captured_queries)
    results["detail"] = timed(lambda: client.get(detail), args.requests)
    inbox_size = len(client.get("/api/contracts/approvals/inbox").json())
    results["inbox_items"] = inbox_size
    results["inbox_page"] = timed(lambda: client.get("/contracts/approvals/"), args.requests)
    results["inbox_api"] = timed(
        lambda: client.get("/api/contracts/approvals/inbox"), args.requests
    )
    results["search"] = timed(lambda: client.get("/contracts/?q=驻场运维"), 20)
    return results


def main() -> None:
    args = parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args), ensure_ascii=False), flush=True)
        return
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kehu.settings",
            "SECRET_KEY": "bench-only",
            "KEHU_HTTPS": "false",
            "PYTHONPATH": str(ROOT / "src"),
        }
        if database == "postgres":
            import psycopg

            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{args.db_name}"')
            env["DATABASE_URL"] = f"{args.postgres}/{args.db_name}"
        else:
            data = Path("/tmp/kehu-bench-contracts")
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
            env["KEHU_DATA_DIR"] = str(data)
            env.pop("DATABASE_URL", None)
        command = [sys.executable, __file__, "--child", "--contracts", str(args.contracts)]
        command += ["--requests", str(args.requests)]
        print(f"== {database}", flush=True)
        output = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
        for line in output.stdout.splitlines():
            print(
                line
                if not line.startswith("RESULT ")
                else json.dumps(json.loads(line[7:]), indent=1, ensure_ascii=False)
            )


if __name__ == "__main__":
    main()
