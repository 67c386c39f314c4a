"""Background tasks shared by every app."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task


def automatic_mail_headers() -> dict[str, str]:
    """Headers of mail Kehu sends on its own (password resets, survey invitations): automatic
    (RFC 3834), so nobody answers it automatically, and with our ``X-Loop``, so should it come
    back to one of our mailboxes, mail ingest opens nothing from it."""
    return {
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Loop": parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "kehu@localhost",
    }


@task()
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text email through the configured backend."""
    message = EmailMessage(subject=subject, body=body, to=to, headers=automatic_mail_headers())
    return message.send()
