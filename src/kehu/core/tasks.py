"""Background tasks shared by every app."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text email through the configured backend."""
    return send_mail(subject=subject, message=body, from_email=None, recipient_list=to)
