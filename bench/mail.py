"""Benchmark: mail ingest rate, end to end (parse, thread, store, open or update the ticket).

    .venv/bin/python bench/mail.py                         # SQLite, 10,000 messages per path
    .venv/bin/python bench/mail.py --database postgres
    .venv/bin/python bench/mail.py --messages 1000         # a quick look

It creates its own database (SQLite under /tmp/kehu-bench-mail, or PostgreSQL
``kehu_bench_mail``), a support mailbox and 1,000 contacts, then generates mixed mail: new
requests in Chinese and English (some GBK-encoded, some with a PDF), replies threaded by
In-Reply-To, unknown senders, auto-replies, bulk mail and bounces. Each path gets its own
messages (the same message twice would only be recognised as a repeat):

* ``kehu mail-ingest`` once per message, as an MTA pipe runs it (``--per-process`` messages);
* ``kehu mail-ingest --mbox``: all ``--messages`` in one process;
* IMAP: ``--messages`` put into a real IMAP server (pymap, over TLS) first, then polled the way
  the scheduler does, every message fetched, stored and marked read.
"""

from __future__ import annotations

import argparse
import json
import mailbox as mbox_format
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time as clock
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS_ZH = ["无法登录系统", "请重新开具发票", "打印机无法连接", "数据同步延迟", "申请开通账号"]
BODIES_ZH = ["登录时提示密码错误，换了浏览器也不行。", "上月的发票抬头写错了，请重新开具。"]
SUBJECTS_EN = ["Cannot log in", "Invoice address is wrong", "VPN does not connect"]
BODIES_EN = ["The login page says my password is wrong.", "Please send a corrected invoice."]
KINDS = [
    ("new", 50),
    ("new_gbk", 5),
    ("new_pdf", 5),
    ("reply", 20),
    ("unknown", 8),
    ("auto_reply", 6),
    ("bulk", 3),
    ("bounce", 3),
]
PDF = b"%PDF-1.4\n" + b"0" * 40_000 + b"\n%%EOF\n"


def log(text: str) -> None:
    print(text, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=10_000, help="per path (mbox, IMAP)")
    parser.add_argument("--per-process", type=int, default=200, help="messages piped one by one")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--data-dir", default="/tmp/kehu-bench-mail")
    return parser.parse_args()


def environment(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "KEHU_DATA_DIR": args.data_dir,
        "SECRET_KEY": "kehu-benchmark-only-not-a-secret-0123456789abcdefghijklmnop",
        "KEHU_HTTPS": "false",
        "DJANGO_SETTINGS_MODULE": "kehu.settings",
    }
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{args.postgres.rstrip('/')}/kehu_bench_mail"
    else:
        os.environ.pop("DATABASE_URL", None)
    return env


def reset(args: argparse.Namespace) -> None:
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.postgres.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS kehu_bench_mail WITH (FORCE)")
            conn.execute("CREATE DATABASE kehu_bench_mail")
    shutil.rmtree(args.data_dir, ignore_errors=True)
    Path(args.data_dir).mkdir(parents=True)


def setup_desk() -> list[str]:
    """A support department, its mailbox (new senders become contacts), 1,000 contacts."""
    from kehu.customers.models import Account, Contact
    from kehu.mail.models import Mailbox
    from kehu.org.models import Department

    support = Department.objects.create(code="SUPPORT", name="客户服务中心", name_en="Support")
    Mailbox.objects.create(department=support, address="support@kehu.example")
    accounts = Account.objects.bulk_create(
        Account(name=f"基准客户{n:03d}", name_en=f"Bench customer {n}") for n in range(200)
    )
    Contact.objects.bulk_create(
        Contact(account=a, name=f"联系人{a.pk}-{k}", email=f"c{a.pk}-{k}@customer{a.pk}.example")
        for a in accounts
        for k in range(5)
    )
    return list(Contact.objects.values_list("email", flat=True))


def generate(count: int, contacts: list[str], seed: int, tag: str) -> list[bytes]:
    """``count`` mixed messages; replies and bounces refer to earlier ones of the same set."""
    rng = random.Random(seed)
    sent: list[tuple[str, str]] = []  # (Message-ID, sender) of new requests
    messages = []
    kinds = [k for k, _w in KINDS]
    weights = [w for _k, w in KINDS]
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        if kind in ("reply", "bounce") and not sent:
            kind = "new"
        chinese = rng.random() < 0.7
        mail = EmailMessage()
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = make_msgid(idstring=f"{tag}{n}", domain="client.example")
        mail["To"] = "support@kehu.example"
        subject = rng.choice(SUBJECTS_ZH if chinese else SUBJECTS_EN)
        body = rng.choice(BODIES_ZH if chinese else BODIES_EN)
        sender = rng.choice(contacts)
        charset = "utf-8"
        if kind == "reply":
            original, sender = rng.choice(sent)
            mail["In-Reply-To"] = mail["References"] = original
            subject = "Re: " + subject
            body = f"还是不行。\n\n> {body}" if chinese else f"Still broken.\n\n> {body}"
        elif kind == "unknown":
            sender = f"new{n}@prospect{n % 97}.example"
        elif kind == "auto_reply":
            mail["Auto-Submitted"] = "auto-replied"
            subject = "自动回复: " + subject
        elif kind == "bulk":
            sender = "newsletter@cloudweekly.example"
            mail["Precedence"] = "bulk"
            mail["List-Id"] = "<weekly.cloudweekly.example>"
        elif kind == "new_gbk":
            charset = "gbk"
            subject, body = "联系人姓名朱镕显示成问号", "客户联系人“朱镕”和“陈喆”的名字显示成问号。"
        if kind == "bounce":
            original, recipient = rng.choice(sent)
            messages.append(_bounce(n, tag, original, recipient))
            continue
        mail["From"] = sender
        mail["Subject"] = subject
        mail.set_content(body, charset=charset)
        if kind == "new_pdf":
            mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="发票.pdf")
        if kind.startswith("new"):
            sent.append((mail["Message-ID"], sender))
        messages.append(bytes(mail))
    return messages


def _bounce(n: int, tag: str, original: str, recipient: str) -> bytes:
    return (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.kehu.example\r\nTo: support@kehu.example\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{tag}{n}@mx.kehu.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original}\r\n\r\n--b--\r\n"
    ).encode()


def kehu(*arguments: str, data: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kehu.cli", *arguments],
        input=data,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    )


def measure_per_process(messages: list[bytes], env: dict[str, str]) -> dict[str, Any]:
    began = clock.perf_counter()
    for raw in messages:
        kehu("mail-ingest", data=raw, env=env)
    seconds = clock.perf_counter() - began
    return {
        "messages": len(messages),
        "seconds": round(seconds, 1),
        "per_s": round(len(messages) / seconds, 1),
    }


def measure_mbox(messages: list[bytes], env: dict[str, str], directory: Path) -> dict[str, Any]:
    path = directory / "bench.mbox"
    box = mbox_format.mbox(path)
    for raw in messages:
        box.add(raw)
    box.close()
    began = clock.perf_counter()
    done = kehu("mail-ingest", "--mbox", data=path.read_bytes(), env=env)
    seconds = clock.perf_counter() - began
    summary = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return {
        "messages": len(messages),
        "seconds": round(seconds, 1),
        "per_s": round(len(messages) / seconds, 1),
        **summary,
    }


def measure_imap(messages: list[bytes], directory: Path) -> dict[str, Any]:
    from imapclient import IMAPClient

    from kehu.mail import imap
    from kehu.mail.models import Mailbox
    from kehu.mail.tests.imap_server import running_imap_server

    with running_imap_server(directory) as server:
        began = clock.perf_counter()
        # Delivered by "the MTA" over one connection (not timed as ingest).
        with IMAPClient(
            server.host, port=server.port, ssl_context=server.ssl_context_for_clients
        ) as client:
            client.login(server.user, server.password)
            crlf = [raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for raw in messages]
            for start in range(0, len(crlf), 200):
                client.multiappend("INBOX", crlf[start : start + 200])
        appended = clock.perf_counter() - began
        Mailbox.objects.filter(address="support@kehu.example").update(
            imap_host=server.host,
            imap_port=server.port,
            imap_security=Mailbox.Security.SSL,
            imap_user=server.user,
            imap_password=server.password,
        )
        mailbox = Mailbox.objects.get(address="support@kehu.example")
        began = clock.perf_counter()
        result = imap.poll(mailbox, context=server.ssl_context_for_clients)
        seconds = clock.perf_counter() - began
    return {
        "messages": len(messages),
        "fetched": result.fetched,
        "error": result.error,
        "seconds": round(seconds, 1),
        "per_s": round(result.fetched / seconds, 1),
        "outcomes": result.outcomes,
        "append_seconds": round(appended, 1),
    }


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

    from kehu.mail.models import InboundMail

    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    contacts = setup_desk()
    results: dict[str, Any] = {
        "date": f"{datetime.now(UTC):%Y-%m-%d}",
        "database": args.database,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
    }
    connection.close()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        if args.per_process:
            log(f"piping {args.per_process} messages, one process each …")
            results["stdin_per_message"] = measure_per_process(
                generate(args.per_process, contacts, 1, "p"), env
            )
            log(f"  {results['stdin_per_message']}")
        log(f"one mbox of {args.messages} messages …")
        results["stdin_mbox"] = measure_mbox(
            generate(args.messages, contacts, 2, "m"), env, directory
        )
        log(f"  {results['stdin_mbox']}")
        log(f"IMAP: {args.messages} messages …")
        results["imap"] = measure_imap(generate(args.messages, contacts, 3, "i"), directory)
        log(f"  {results['imap']}")
    results["stored"] = InboundMail.objects.count()
    out = Path(args.data_dir) / f"results-{args.database}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"stored {results['stored']} messages; results in {out}")


if __name__ == "__main__":
    main()
