"""The mailbox form: everything but the password is shown; a blank password keeps it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.mail.models import Mailbox
from kehu.mail.services import MAILBOX_FIELDS
from kehu.org.forms import VersionedForm


class MailboxForm(VersionedForm):
    new_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to keep the current one."),
    )

    class Meta:
        model = Mailbox
        fields = MAILBOX_FIELDS

    def model_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in MAILBOX_FIELDS},
            "imap_password": data["new_password"],
        }
