"""Writes to mailboxes and to held mail, for the pages and the API."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.services import object_create, object_update
from kehu.mail import ingest, parsing
from kehu.mail.models import InboundMail, Mailbox

MAILBOX_FIELDS = [
    "department",
    "address",
    "display_name",
    "is_active",
    "unknown_senders",
    "thread_by_subject",
    "sender_limit_per_hour",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_user",
    "imap_folder",
    "processed_folder",
]


def mailbox_create(*, fields: dict[str, Any]) -> Mailbox:
    return object_create(Mailbox, **fields)


def mailbox_update(*, mailbox: Mailbox, expected_version: int, fields: dict[str, Any]) -> Mailbox:
    """Change a mailbox if nobody saved it since ``expected_version``; a blank password keeps
    the stored one."""
    changes = {k: v for k, v in fields.items() if not (k == "imap_password" and not v)}
    return object_update(mailbox, expected_version=expected_version, changes=changes)


def release_held(record: InboundMail, *, actor: Any) -> InboundMail:
    """Open the ticket a held message asked for, creating its sender as a contact."""
    with transaction.atomic():
        record = InboundMail.objects.select_for_update().get(pk=record.pk)
        if record.outcome != InboundMail.Outcome.HELD:
            raise ValidationError(_("Only held messages can be released."))
        mail = parsing.parse(record.raw_bytes())
        files, dropped = ingest.attachments_within_limits(mail)
        ingest.open_ticket(record, mail, record.mailbox, files, create_contact=True)
        record.detail = _("Released by %(person)s.") % {"person": actor}
        if dropped:
            record.detail += " " + _("Attachments not taken: %(names)s") % {
                "names": "; ".join(dropped)
            }
        record.save(update_fields=["outcome", "detail", "ticket", "ticket_message"])
    return record


def discard_held(record: InboundMail, *, actor: Any) -> InboundMail:
    """Keep a held message on file as not used (spam, misdirected mail)."""
    updated = InboundMail.objects.filter(pk=record.pk, outcome=InboundMail.Outcome.HELD).update(
        outcome=InboundMail.Outcome.REJECTED,
        detail=_("Discarded by %(person)s.") % {"person": actor},
    )
    if not updated:
        raise ValidationError(_("Only held messages can be discarded."))
    record.refresh_from_db()
    return record
