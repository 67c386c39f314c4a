"""Forms of the notification pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.notify.models import WEBHOOK_EVENTS, Webhook
from kehu.notify.services import Choice
from kehu.org.forms import VersionedForm


class PreferencesForm(forms.Form):
    """Two checkboxes per kind of event: inbox and email."""

    def __init__(self, *args: Any, choices: list[Choice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for choice in choices:
            inbox = forms.BooleanField(required=False, initial=choice.inbox, label=_("Inbox"))
            email = forms.BooleanField(required=False, initial=choice.email, label=_("Email"))
            self.fields[f"inbox:{choice.event}"] = inbox
            self.fields[f"email:{choice.event}"] = email
        self.events = [c.event for c in choices]
        self.labels = {c.event: c.label for c in choices}

    def table(self) -> list[tuple[str, Any, Any]]:
        return [(self.labels[e], self[f"inbox:{e}"], self[f"email:{e}"]) for e in self.events]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {e: (bool(data[f"inbox:{e}"]), bool(data[f"email:{e}"])) for e in self.events}


class WebhookForm(VersionedForm):
    url = forms.URLField(label=_("Address"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(e, e) for e in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
    )
    new_secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        help_text=_("Leave blank to generate one (or, when editing, to keep the current one)."),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "events", "is_active"]

    def model_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "url": data["url"],
            "events": list(data["events"]),
            "is_active": data["is_active"],
            "secret": data["new_secret"],
        }
