"""The email channel's periodic work, enqueued by ``kehu scheduler`` next to the desk's."""

from __future__ import annotations

from django_tasks import task

from kehu.mail import imap, outbound


@task()
def run_mail() -> dict[str, object]:
    """Poll every IMAP mailbox, then send the replies that are due (new ones and retries)."""
    return {"fetched": imap.poll_all(), "sent": outbound.send_pending()}
