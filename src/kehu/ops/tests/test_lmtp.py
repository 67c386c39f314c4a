"""kehu lmtp over loopback with Python's own LMTP client (smtplib.LMTP), several connections."""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from kehu.conftest import DepartmentFactory
from kehu.mail.models import InboundMail, Mailbox
from kehu.ops import lmtp

pytestmark = pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)


def wait_until(condition, what: str) -> None:
    """Wait for a state (never asserts how long it took)."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def start(listener: lmtp.Listener) -> threading.Thread:
    ready = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(listener.serve(ready.set)), daemon=True)
    thread.start()
    assert ready.wait(30)
    return thread


@pytest.fixture
def mailboxes() -> list[Mailbox]:
    department = DepartmentFactory(code="SUPPORT")
    return [
        Mailbox.objects.create(address="help@example.com", department=department),
        Mailbox.objects.create(address="billing@example.com", department=department),
    ]


@pytest.fixture
def listener(mailboxes) -> Iterator[lmtp.Listener]:
    server = lmtp.Listener("127.0.0.1", 0)
    thread = start(server)
    yield server
    server.stop()
    thread.join(30)


def message(
    n: int, *, to: str = "help@example.com", body: str = "", attachment: bytes = b""
) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Buyer {n} <buyer{n}@customer{n}.example>"
    mail["To"] = to
    mail["Subject"] = f"打印机坏了 #{n}"
    mail["Message-ID"] = f"<lmtp-{n}@customer{n}.example>"
    mail.set_content(body or f"第 {n} 台打印机无法连接。")
    if attachment:
        mail.add_attachment(attachment, maintype="application", subtype="zip", filename="logs.zip")
    return mail.as_bytes(policy=SMTP)  # CRLF lines, as an MTA sends them


def send(
    port: int, raw: bytes, to: list[str] | None = None, sender: str = "buyer@customer.example"
):
    with smtplib.LMTP("127.0.0.1", port) as client:
        return client.sendmail(sender, to or ["help@example.com"], raw)


def test_several_connections_deliver_and_each_message_is_stored_once(listener):
    failures: list[BaseException] = []

    def connection(first: int) -> None:
        try:
            with smtplib.LMTP("127.0.0.1", listener.port) as client:
                for n in range(first, first + 5):
                    assert (
                        client.sendmail("mta@example.com", ["help@example.com"], message(n)) == {}
                    )
        except BaseException as error:  # reported below, not lost on the thread
            failures.append(error)

    threads = [threading.Thread(target=connection, args=(i * 5,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert InboundMail.objects.count() == 20
    assert set(InboundMail.objects.values_list("outcome", flat=True)) == {"ticket_created"}
    assert sum(listener.committer.stats.batch_sizes) == 20
    # Delivered again (an MTA that lost our answer): recognised, not stored twice.
    assert send(listener.port, message(3)) == {}
    assert InboundMail.objects.count() == 20


def test_concurrent_deliveries_are_committed_in_one_transaction(listener):
    committer = listener.committer
    release = threading.Event()
    committer.database.submit(release.wait)  # the database thread is busy for a while
    replies: list[object] = []

    def deliver(n: int) -> None:
        replies.append(send(listener.port, message(n)))

    first = threading.Thread(target=deliver, args=(0,))
    first.start()
    wait_until(lambda: committer.in_flight == 1, "the first message is being stored")
    assert InboundMail.objects.count() == 0  # not acknowledged before its commit
    others = [threading.Thread(target=deliver, args=(n,)) for n in range(1, 6)]
    for thread in others:
        thread.start()
    wait_until(lambda: committer.queue.qsize() == 5, "five more deliveries waiting")
    release.set()
    for thread in [first, *others]:
        thread.join()
    assert replies == [{}] * 6
    assert list(committer.stats.batch_sizes) == [1, 5]
    assert InboundMail.objects.count() == 6


def test_database_unavailable_answers_451_and_the_retry_is_stored(listener, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(lmtp.ingest, "ingest_many", unavailable)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(listener.port, message(1))
    assert refused.value.smtp_code == 451
    assert b"4.3.0" in refused.value.smtp_error
    assert InboundMail.objects.count() == 0
    monkeypatch.undo()
    assert send(listener.port, message(1)) == {}  # the MTA's retry
    assert InboundMail.objects.count() == 1


def test_recipient_lookup_while_the_database_is_down_is_a_temporary_refusal(listener, monkeypatch):
    def unavailable():
        raise OperationalError("the database system is starting up")

    monkeypatch.setattr(listener.committer, "_read_mailboxes", unavailable)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(listener.port, message(1), to=["new-address@example.com"])
    assert refused.value.recipients["new-address@example.com"][0] == 451


def test_each_recipient_gets_its_answer_and_unknown_ones_are_refused(listener):
    with smtplib.LMTP("127.0.0.1", listener.port) as client:
        client.ehlo()
        client.mail("mta@example.com")
        assert client.rcpt("help@example.com")[0] == 250
        assert client.rcpt("BILLING@example.com")[0] == 250
        code, text = client.rcpt("nobody@example.com")
        assert code == 550 and b"no such mailbox" in text
        first = client.data(message(7, to="help@example.com, billing@example.com"))
        second = client.getreply()
    assert first[0] == second[0] == 250
    record = InboundMail.objects.get()
    assert f"#{record.pk}".encode() in first[1]
    assert record.mailbox.address == "help@example.com"


def test_a_30_mb_message_is_stored_as_a_file(listener, tmp_path, settings):
    settings.KEHU_ATTACHMENT_ROOT = tmp_path
    raw = message(30, attachment=bytes(range(256)) * (23 * 1024 * 1024 // 256))
    assert len(raw) > 30 * 1024 * 1024
    assert send(listener.port, raw) == {}
    record = InboundMail.objects.get()
    assert record.raw_file  # above KEHU_MAIL_RAW_FILE_BYTES: a file, not a column
    assert record.raw_bytes() == raw
    assert record.outcome == "ticket_created"
    # The 23 MB attachment is above the desk's attachment limit: refused, and said so.
    assert [r["name"] for r in record.refused_attachments] == ["logs.zip"]


def test_a_message_over_the_limit_is_refused_per_recipient(mailboxes):
    server = lmtp.Listener("127.0.0.1", 0, max_bytes=1024 * 1024)
    thread = start(server)
    try:
        with smtplib.LMTP("127.0.0.1", server.port) as client:
            client.ehlo()
            assert client.has_extn("size")
            client.mail("mta@example.com")
            client.rcpt("help@example.com")
            client.rcpt("billing@example.com")
            first = client.data(message(1, body=("x" * 70 + "\n") * 30_000))
            second = client.getreply()
            assert first[0] == second[0] == 552
            assert b"5.3.4" in first[1]
            # The session goes on: a small message after the big one is stored.
            assert client.sendmail("mta@example.com", ["help@example.com"], message(2)) == {}
    finally:
        server.stop()
        thread.join(30)
    assert InboundMail.objects.count() == 1


def test_a_malformed_message_is_answered_and_kept(listener):
    raw = b"\x00\xff\xfe this is not a mail\r\nno: [headers\r\n\r\n\xc3\x28 broken utf-8 \x00\r\n"
    assert send(listener.port, raw) == {}
    record = InboundMail.objects.get()
    # Filed, never answered: without a sender there is no one to answer.
    assert record.outcome in ("held", "rejected", "auto_reply")
    assert record.ticket is None
    assert bytes(record.raw_bytes())


@pytest.mark.postgresql
def test_a_database_restart_between_deliveries_loses_nothing(listener):
    """The server drops every session (as a restart does): the next delivery is stored on a
    new connection, the MTA sees no error."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (began,) = cursor.fetchone()
    assert send(listener.port, message(1)) == {}
    # Only the sessions the listener opened: other threads of this test process (a live
    # server's, say) keep theirs.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_start >= %s",
            [began],
        )
        assert cursor.fetchall(), "the listener held no session to drop"
    assert send(listener.port, message(2)) == {}
    assert InboundMail.objects.count() == 2
