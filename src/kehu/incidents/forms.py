"""Forms of the incident pages: they parse input; the rules are in ``services``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.desk.models import Ticket
from kehu.desk.models.tickets import REFERENCE_PREFIX as TICKET_PREFIX
from kehu.incidents.models import IncidentSeverity, IncidentStatus, MajorIncident, TimelineEntry
from kehu.incidents.selectors import ACTIVE
from kehu.org.models import Department, Employee


class TicketReferencesField(forms.CharField):
    """Tickets named by reference or number, separated by commas or spaces: "KH-12, 13"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault(
            "help_text", _("Ticket references or numbers, separated by commas or spaces.")
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Ticket]:
        text = super().clean(value)
        words = [w for w in re.split(r"[\s,;，；]+", text or "") if w]
        numbers: list[int] = []
        wrong: list[str] = []
        for word in words:
            digits = word.upper().removeprefix(TICKET_PREFIX)
            if digits.isdigit() and len(digits) < 12:
                numbers.append(int(digits))
            else:
                wrong.append(word)
        found = {t.pk: t for t in Ticket.objects.filter(pk__in=numbers)}
        wrong += [f"{TICKET_PREFIX}{n}" for n in numbers if n not in found]
        if wrong:
            raise forms.ValidationError(
                _("No such ticket: %(refs)s.") % {"refs": ", ".join(wrong[:20])}
            )
        if self.required and not found:
            raise forms.ValidationError(_("Name at least one ticket."))
        return [found[n] for n in dict.fromkeys(numbers)]


def _people() -> Any:
    return Employee.objects.filter(is_active=True).select_related("department")


class IncidentForm(forms.ModelForm):
    """Declare (with the first tickets) or edit an incident."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tickets = TicketReferencesField(label=_("Affected tickets"), required=False)

    class Meta:
        model = MajorIncident
        fields = [
            "title",
            "severity",
            "description",
            "commander",
            "response_departments",
            "response_members",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commander"].queryset = _people()  # type: ignore[attr-defined]
        self.fields["response_members"].queryset = _people()  # type: ignore[attr-defined]
        self.fields["response_departments"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        if self.instance.pk:
            del self.fields["tickets"]  # linking happens on the incident page
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in IncidentStatus.choices if c[0] != IncidentStatus.CLOSED],
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkForm(forms.Form):
    tickets = TicketReferencesField(label=_("Link tickets"))


class UnlinkForm(forms.Form):
    ticket = forms.ModelChoiceField(queryset=Ticket.objects.all(), widget=forms.HiddenInput)


class TimelineForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (TimelineEntry.Kind.UPDATE, TimelineEntry.Kind.UPDATE.label),
            (TimelineEntry.Kind.INTERNAL, TimelineEntry.Kind.INTERNAL.label),
        ],
    )
    text = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}))
    at = forms.DateTimeField(
        label=_("When (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class NotifyForm(forms.Form):
    text = forms.CharField(
        label=_("Notice to the affected requesters"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Posted as a public reply on every linked open ticket. Sending the same notice "
            "again reaches only tickets that have not had it yet."
        ),
    )


class ReviewForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = MajorIncident
        fields = ["review_summary", "review_root_cause", "review_timeline", "review_actions"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def _post_clean(self) -> None:
        # The service validates and saves; the form must not write into the instance.
        pass


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), (ACTIVE, _("Active")), *IncidentStatus.choices],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("All")), *IncidentSeverity.choices]
    )
