"""Benchmark: ``kehu lmtp`` — messages per second an MTA can deliver over LMTP.

    .venv/bin/python bench/lmtp.py                        # SQLite, 2,000 messages, 20 connections
    .venv/bin/python bench/lmtp.py --database postgres
    .venv/bin/python bench/lmtp.py --messages 500 --connections 4

Same data as ``bench/mail.py`` (its database and mailbox set-up, 1,000 contacts, the same mix of
new requests, replies, unknown senders, auto-replies, bulk mail and bounces; it reuses that
script's PostgreSQL database name ``kehu_bench_mail``). ``kehu lmtp`` runs as its own process;
``--connections`` (20, Postfix's default concurrency) client threads each open one LMTP session (Python's ``smtplib.LMTP``, as an
MTA keeps its connections open) and deliver their share of the messages one after another, each
waiting for its 250 as an MTA does. The rate is messages acknowledged per second of wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time as clock
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mail as mail_bench

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=20, help="Postfix's default is 20")
    parser.add_argument(
        "--compare-mbox",
        action="store_true",
        help="first pipe as many other messages as one mbox (kehu mail-ingest --mbox, 100 per "
        "transaction): the same machine's batch rate, for comparison on a busy machine",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--data-dir", default="/tmp/kehu-bench-lmtp")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _attempt in range(600):
        if process.poll() is not None:
            raise SystemExit("kehu lmtp exited before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            clock.sleep(0.1)
    raise SystemExit("kehu lmtp did not listen")


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def main() -> None:
    args = parse_args()
    env = mail_bench.environment(args)
    os.environ.update(env)
    mail_bench.reset(args)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kehu.mail.models import InboundMail

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    contacts = mail_bench.setup_desk()
    messages = [crlf(m) for m in mail_bench.generate(args.messages, contacts, 4, "l")]
    connection.close()
    mbox = None
    if args.compare_mbox:
        with tempfile.TemporaryDirectory() as scratch:
            others = mail_bench.generate(args.messages, contacts, 5, "c")
            mbox = mail_bench.measure_mbox(others, env, Path(scratch))
        print(f"mbox: {mbox}", flush=True)
    before = InboundMail.objects.count()
    connection.close()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kehu.cli", "lmtp", "--port", str(port)],
        env={**os.environ, **env},
    )
    try:
        wait_for(port, server)
        shares = [messages[i :: args.connections] for i in range(args.connections)]
        refused: list[object] = []

        def deliver(share: list[bytes]) -> None:
            with smtplib.LMTP("127.0.0.1", port) as client:
                for raw in share:
                    try:
                        client.sendmail("mta@kehu.example", ["support@kehu.example"], raw)
                    except smtplib.SMTPException as error:
                        refused.append(error)

        threads = [threading.Thread(target=deliver, args=(share,)) for share in shares]
        began = clock.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = clock.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=60)
    stored = InboundMail.objects.count() - before
    results = {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "database": args.database,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "messages": len(messages),
        "connections": args.connections,
        "seconds": round(seconds, 1),
        "per_s": round(len(messages) / seconds, 1),
        "refused": len(refused),
        "stored": stored,
        "load_average": [round(n, 1) for n in os.getloadavg()],
    }
    if mbox is not None:
        results["mbox_per_s"] = mbox["per_s"]
    print(json.dumps(results, indent=2))
    if refused or stored != len(messages):
        raise SystemExit(f"{len(refused)} refused, {stored} of {len(messages)} stored")


if __name__ == "__main__":
    main()
