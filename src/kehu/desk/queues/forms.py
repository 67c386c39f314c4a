"""The queue's filter form, saved views and bulk actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.desk.models import Status
from kehu.desk.priority import Priority, TicketType
from kehu.desk.tickets.forms import department_choices
from kehu.org.models import Department, Employee


class QueueFilterForm(forms.Form):
    """The queue's filters; the query string is what a saved view stores."""

    q = forms.CharField(label=_("Subject or reference"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=[("open_all", _("All open")), *Status.choices],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    ticket_type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Any")), *TicketType.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any")), *Priority.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))],
        required=False,
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        choices=[("", _("Any")), ("breached", _("Breached")), ("due_today", _("Due today"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[
            ("due", _("Due first")),
            ("-id", _("Newest")),
            ("id", _("Oldest")),
            ("-updated_at", _("Recently updated")),
        ],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_choices()  # type: ignore[attr-defined]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=100)
    shared = forms.BooleanField(label=_("Share with the desk"), required=False)
    query = forms.CharField(widget=forms.HiddenInput, max_length=1000, required=False)


class BulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Tickets"))
    status = forms.ChoiceField(
        label=_("Set status"), choices=[("", "—"), *Status.choices], required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=Employee.objects.none(), required=False
    )

    def __init__(self, *args: Any, ticket_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ticket_ids]  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = Employee.objects.filter(is_active=True)  # type: ignore[attr-defined]
