"""``kehu lmtp``: an LMTP listener (RFC 2033) an MTA such as Postfix or Exim delivers to.

Each connection is one aiosmtpd session on one asyncio loop. A finished message (after DATA)
joins a queue; one committer takes **everything waiting** off the queue and stores it with
``mail.ingest.ingest_many`` in one transaction, set-at-a-time, on its own database thread.
While a batch commits the next deliveries gather, so the busier the listener, the larger its
batches (group commit), with no timer to tune. A message is acknowledged (250) only after its
batch committed. When the database does not answer, every recipient of the batch gets
``451 4.3.0`` and the MTA keeps the message and retries; a message the database refuses is
filed as rejected by ingest itself (and acknowledged: retrying would not help).

LMTP answers once per accepted recipient after DATA. A message for several of our mailboxes is
stored once (its ``dedupe_key`` is unique), in the first recipient's mailbox, and every
recipient gets the same answer. Messages above ``KEHU_LMTP_MAX_BYTES`` are refused with
``552 5.3.4`` (the limit is also announced as SIZE in the LHLO answer, so an MTA can refuse
them before sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import Envelope, Session
from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
)

from kehu.mail import ingest, parsing
from kehu.mail.models import InboundMail, Mailbox

log = logging.getLogger(__name__)

TEMPORARY = "451 4.3.0 Not stored: the help desk's database is unavailable, try again later"
MAILBOX_REFRESH_SECONDS = 30.0


@dataclass
class Delivery:
    raw: bytes
    mailbox_id: int
    parsed: parsing.ParsedMail
    done: asyncio.Future[InboundMail] = field(repr=False)


@dataclass
class Stats:
    batches: int = 0
    messages: int = 0
    failed_batches: int = 0
    # The sizes of the latest batches (a long-running listener keeps only the last 1,000).
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=1000))


def _on_db_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` on a database thread; once more on a fresh connection if the one it
    had was lost (a database restart, an idle connection closed by the server). A batch is one
    transaction, so running it again is safe: if the first commit did land, the messages'
    ``dedupe_key`` finds their records."""
    close_old_connections()  # a connection marked broken by an earlier error is replaced
    try:
        return function(*args)
    except (OperationalError, InterfaceError):
        connection.close()
        return function(*args)


class Committer:
    """Groups finished deliveries into batches and commits each batch in one transaction."""

    def __init__(self, max_batch: int = 200) -> None:
        self.max_batch = max_batch
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self.database = ThreadPoolExecutor(1, thread_name_prefix="kehu-lmtp-db")
        self.lookups = ThreadPoolExecutor(1, thread_name_prefix="kehu-lmtp-lookup")
        self.parsers = ThreadPoolExecutor(2, thread_name_prefix="kehu-lmtp-parse")
        self.stats = Stats()
        self._mailboxes: dict[str, int] = {}
        self._mailboxes_read = 0.0
        self._task: asyncio.Task[None] | None = None
        self.in_flight = 0  # messages of the batch being stored now

    # --- recipients ---------------------------------------------------------------------

    def _read_mailboxes(self) -> dict[str, int]:
        return {
            address.lower(): pk
            for pk, address in Mailbox.objects.filter(is_active=True).values_list("pk", "address")
        }

    async def mailbox_for(self, address: str) -> int | None:
        """The active mailbox of ``address``; the list is read again every 30 s and whenever
        an address is not on it. Raises DatabaseError when the database does not answer."""
        address = address.lower()
        stale = time.monotonic() - self._mailboxes_read > MAILBOX_REFRESH_SECONDS
        if stale or address not in self._mailboxes:
            loop = asyncio.get_running_loop()
            self._mailboxes = await loop.run_in_executor(
                self.lookups, _on_db_thread, self._read_mailboxes
            )
            self._mailboxes_read = time.monotonic()
        return self._mailboxes.get(address)

    # --- messages -----------------------------------------------------------------------

    async def deliver(self, raw: bytes, mailbox_id: int) -> InboundMail:
        loop = asyncio.get_running_loop()
        parsed = await loop.run_in_executor(self.parsers, parsing.parse, raw)
        done: asyncio.Future[InboundMail] = loop.create_future()
        await self.queue.put(Delivery(raw, mailbox_id, parsed, done))
        return await done

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for pool in (self.database, self.lookups):
            pool.submit(connections.close_all).result()  # leave no session behind
        for pool in (self.database, self.lookups, self.parsers):
            pool.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            self.in_flight = len(batch)
            try:
                records = await loop.run_in_executor(
                    self.database, _on_db_thread, self._store, batch
                )
            except Exception as error:  # nothing of the batch is stored: all retry later
                self.stats.failed_batches += 1
                log.warning("lmtp: a batch of %d not stored: %s", len(batch), error)
                for delivery in batch:
                    if not delivery.done.done():
                        delivery.done.set_exception(error)
                continue
            finally:
                self.in_flight = 0
            self.stats.batches += 1
            self.stats.messages += len(batch)
            self.stats.batch_sizes.append(len(batch))
            for delivery, record in zip(batch, records, strict=True):
                if not delivery.done.done():
                    delivery.done.set_result(record)

    def _store(self, batch: list[Delivery]) -> list[InboundMail]:
        mailboxes = Mailbox.objects.in_bulk({d.mailbox_id for d in batch})
        missing = {d.mailbox_id for d in batch} - set(mailboxes)
        if missing:
            raise DatabaseError(f"mailbox {sorted(missing)} is gone")
        arrivals = [ingest.Arrival(d.raw, mailboxes[d.mailbox_id], d.parsed) for d in batch]
        return ingest.ingest_many(arrivals)  # returns after the commit


class Handler:
    """aiosmtpd hooks: recipients are our active mailboxes; DATA waits for the commit."""

    def __init__(self, committer: Committer) -> None:
        self.committer = committer

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            mailbox_id = await self.committer.mailbox_for(address)
        except DatabaseError:
            return TEMPORARY
        if mailbox_id is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        mailboxes = getattr(envelope, "kehu_mailboxes", [])
        mailboxes.append(mailbox_id)
        envelope.kehu_mailboxes = mailboxes  # type: ignore[attr-defined]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        count = len(envelope.rcpt_tos)
        raw = envelope.original_content or b""
        mailboxes: list[int] = envelope.kehu_mailboxes  # type: ignore[attr-defined]
        try:
            record = await self.committer.deliver(bytes(raw), mailboxes[0])
        except Exception:
            return "\r\n".join([TEMPORARY] * count)
        answer = f"250 2.0.0 Stored as #{record.pk} ({record.outcome})"
        return "\r\n".join([answer] * count)


class KehuLMTP(LMTP):
    """aiosmtpd's LMTP, answering refusals after DATA once per recipient as RFC 2033 asks."""

    async def push(self, status: Any) -> None:
        text = status.decode() if isinstance(status, bytes) else str(status)
        envelope = self.envelope
        if (
            text.startswith(("552 ", "500 Line too long"))
            and envelope is not None
            and len(envelope.rcpt_tos) > 1
        ):
            if text.startswith("552 "):
                text = "552 5.3.4 Message too big for the help desk"
            text = "\r\n".join([text] * len(envelope.rcpt_tos))
        elif text.startswith("552 "):
            text = "552 5.3.4 Message too big for the help desk"
        await super().push(text)


class Listener:
    """The listener on one loop; ``serve`` runs until stopped (tests start it on a thread)."""

    def __init__(self, host: str, port: int, *, max_bytes: int | None = None) -> None:
        self.host, self.port = host, port
        self.max_bytes = settings.KEHU_LMTP_MAX_BYTES if max_bytes is None else max_bytes
        self.committer = Committer()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._stopped: asyncio.Event | None = None

    def _protocol(self) -> KehuLMTP:
        return KehuLMTP(
            Handler(self.committer),
            data_size_limit=self.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.KEHU_LMTP_HOSTNAME or None,
            ident="Kehu LMTP",
        )

    async def serve(self, ready: Callable[[], None] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self.committer.start()
        self._server = await self.loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        if ready is not None:
            ready()
        try:
            await self._stopped.wait()
        finally:
            self._server.close()
            await self._server.wait_closed()
            await self.committer.stop()

    def stop(self) -> None:
        """Stop accepting and finish (thread-safe)."""
        if self.loop is not None and self._stopped is not None:
            self.loop.call_soon_threadsafe(self._stopped.set)
