"""Reading a department mailbox over IMAP, as the scheduler does every minute.

A message is marked read (or moved to the processed folder) only after its ingest committed.
A crash in between leaves it unread, and the next poll hands it to ``ingest`` again, which
recognises it: nothing is lost and nothing is processed twice. Several workers polling the same
mailbox are therefore harmless too.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from kehu.mail import ingest
from kehu.mail.models import Mailbox

log = logging.getLogger(__name__)

FETCH_BATCH = 100  # messages fetched, stored and marked together
TIMEOUT_SECONDS = 60


@dataclass
class PollResult:
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    error: str = ""


def _connect(mailbox: Mailbox, context: ssl.SSLContext | None) -> IMAPClient:
    context = context or ssl.create_default_context()
    secure = mailbox.imap_security == Mailbox.Security.SSL
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=secure,
        ssl_context=context if secure else None,
        timeout=TIMEOUT_SECONDS,
    )
    if mailbox.imap_security == Mailbox.Security.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_user, mailbox.imap_password)
    return client


def _done(client: IMAPClient, mailbox: Mailbox, uids: list[int], can_move: bool) -> None:
    """Mark stored messages read, or move them to the processed folder, in one command."""
    if not uids:
        return
    if not mailbox.processed_folder:
        client.add_flags(uids, [b"\\Seen"])
    elif can_move:
        client.move(uids, mailbox.processed_folder)
    else:
        client.copy(uids, mailbox.processed_folder)
        client.delete_messages(uids)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)  # only ours, not what someone else marked deleted
        else:
            client.expunge()


def poll(
    mailbox: Mailbox, *, context: ssl.SSLContext | None = None, now: datetime | None = None
) -> PollResult:
    """Ingest every unread message of the mailbox's folder; never raises for a server problem
    (it is recorded on the mailbox and the next poll tries again)."""
    result = PollResult()
    try:
        client = _connect(mailbox, context)
    except (TimeoutError, OSError, IMAPClientError, ssl.SSLError) as error:
        result.error = f"connecting to {mailbox.imap_host}: {error}"
        _record(mailbox, result, now)
        return result
    try:
        if mailbox.processed_folder and not client.folder_exists(mailbox.processed_folder):
            client.create_folder(mailbox.processed_folder)
        can_move = client.has_capability("MOVE")
        client.select_folder(mailbox.imap_folder)
        uids = sorted(client.search(["UNSEEN", "UNDELETED"]))
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            # BODY.PEEK leaves \\Seen alone until the message is safely stored.
            fetched = client.fetch(batch, [b"BODY.PEEK[]"])
            stored = [
                uid for uid, data in fetched.items() if isinstance(data.get(b"BODY[]"), bytes)
            ]
            # One transaction for the batch. If it fails, nothing of it is stored and nothing
            # is marked: the next poll fetches the batch again.
            records = ingest.ingest_many(
                [ingest.Arrival(fetched[uid][b"BODY[]"], mailbox) for uid in stored], now=now
            )
            outcomes = Counter(record.outcome for record in records)
            result.fetched += len(stored)
            for outcome, count in outcomes.items():
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + count
            # Should marking fail, the next poll fetches these again and ingest recognises them.
            _done(client, mailbox, stored, can_move)
    except DatabaseError as error:
        result.error = f"storing mail: {error}"  # left unread: the next poll retries
    except (TimeoutError, OSError, IMAPClientError, ssl.SSLError) as error:
        result.error = f"reading {mailbox.imap_folder}: {error}"
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            log.debug("logout from %s failed", mailbox.imap_host)
    _record(mailbox, result, now)
    return result


def _record(mailbox: Mailbox, result: PollResult, now: datetime | None) -> None:
    if result.error:
        log.warning("polling %s: %s", mailbox.address, result.error)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=now or timezone.now(), last_poll_error=result.error[:2000]
    )


def poll_all(*, context: ssl.SSLContext | None = None) -> dict[str, int]:
    """Poll every active mailbox with an IMAP server; messages fetched per mailbox."""
    fetched = {}
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host=""):
        fetched[mailbox.address] = poll(mailbox, context=context).fetched
    return fetched
