"""Forms of the dossier pages (parsing only: the rules live in the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Account, Contact
from kehu.desk.models import Ticket
from kehu.dossier.models import (
    CATEGORIES,
    DossierEntry,
    EventStatus,
    Section,
    Visit,
)
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EntryForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DossierEntry
        fields = ["title", "category", "status", "happened_on", "body"]
        widgets = {
            "happened_on": DATE,
            "body": forms.Textarea(attrs={"rows": 16}),
        }
        help_texts = {
            "body": _(
                "Markdown: # headings, **bold**, lists, links and tables. HTML is shown as text."
            ),
            "happened_on": _("The day the fact is about."),
        }

    def __init__(self, *args: Any, section: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = CATEGORIES.get(section)
        if categories is None:
            del self.fields["category"]
        else:
            self.fields["category"] = forms.ChoiceField(
                label=_("category"), choices=categories.choices, initial="other"
            )
        if section == Section.CURRENT_EVENT:
            self.fields["status"] = forms.ChoiceField(
                label=_("status"), choices=EventStatus.choices, initial=EventStatus.OPEN
            )
        else:
            del self.fields["status"]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True

    def changes(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("title", "category", "status", "happened_on", "body")
            if name in self.fields
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class VisitForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Visit
        fields = [
            "kind",
            "status",
            "planned_on",
            "visited_on",
            "purpose",
            "our_attendees",
            "customer_attendees",
            "other_attendees",
            "ticket",
            "incident",
            "summary",
        ]
        widgets = {
            "planned_on": DATE,
            "visited_on": DATE,
            "summary": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["our_attendees"].queryset = Employee.objects.filter(is_active=True).order_by(
            "name_pinyin", "id"
        )
        fields["customer_attendees"].queryset = Contact.objects.filter(account=account).order_by(
            "name", "id"
        )
        fields["ticket"].queryset = Ticket.objects.filter(account=account).order_by("-id")
        fields["incident"].queryset = MajorIncident.objects.filter(
            affected_accounts=account
        ).order_by("-declared_at")
        if self.instance.pk:
            fields["version"].initial = self.instance.version
            fields["version"].required = True

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["our_attendees"] = list(data["our_attendees"])
        data["customer_attendees"] = list(data["customer_attendees"])
        return data


class VisitDoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    visited_on = forms.DateField(label=_("visited on"), widget=DATE)
    summary = forms.CharField(
        label=_("summary (Markdown)"), widget=forms.Textarea(attrs={"rows": 10}), max_length=50000
    )
    follow_up = forms.CharField(label=_("follow-up"), max_length=500, required=False)
    follow_up_owner = forms.ModelChoiceField(
        label=_("owner"), queryset=Employee.objects.none(), required=False
    )
    follow_up_due_on = forms.DateField(label=_("due"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["follow_up_owner"]
        field.queryset = Employee.objects.filter(is_active=True).order_by("name_pinyin", "id")


class FollowUpForm(forms.Form):
    description = forms.CharField(label=_("follow-up"), max_length=500)
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=Employee.objects.none(), required=False
    )
    due_on = forms.DateField(label=_("due"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["owner"]
        field.queryset = Employee.objects.filter(is_active=True).order_by("name_pinyin", "id")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
