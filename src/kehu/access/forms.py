from __future__ import annotations

import zoneinfo
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from kehu.access.models import Role, department_model
from kehu.core.tasks import send_email


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = cast(forms.ChoiceField, self.fields["time_zone"])
        time_zone.choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days, empty for never)"),
        required=False,
        min_value=1,
        max_value=3650,
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    lead_of: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Department lead of"),
        queryset=None,  # the departments, set when the form is made
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lead_of = cast(forms.ModelMultipleChoiceField, self.fields["lead_of"])
        lead_of.queryset = department_model().objects.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lead_of") and Role.DEPARTMENT_LEAD not in data.get("roles", []):
            raise forms.ValidationError(_("Choose the department lead role to lead departments."))
        return data


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset mail through the task queue, so a slow mail server never blocks a page."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        send_email.enqueue(subject=subject, body=body, to=[to_email])
