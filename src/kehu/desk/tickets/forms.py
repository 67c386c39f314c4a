"""Forms of the ticket pages: intake (staff, portal, internal), updates, replies, actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import CleanLinesMixin
from kehu.customers.models import Contact
from kehu.desk.models import Category, Channel, CustomField, Message, Status, Ticket, TicketLink
from kehu.desk.priority import Impact, Priority, Severity, TicketType
from kehu.org.models import Department, Employee, Service


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the services check size and type)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def split_tags(text: str) -> list[str]:
    """Tags typed as "a, b; c" or with Chinese commas."""
    for separator in ("，", ";", "；"):
        text = text.replace(separator, ",")
    return [t.strip() for t in text.split(",") if t.strip()]


class TagsField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        tags = split_tags(super().clean(value) or "")
        if any(len(t) > 50 for t in tags):
            raise forms.ValidationError(_("A tag can be at most 50 characters long."))
        return tags


def department_choices() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True)


class StaffTicketForm(CleanLinesMixin, forms.Form):
    """A ticket logged by staff: from the web, a phone call or a visit."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Channel.WEB, Channel.PHONE, Channel.VISIT)],
    )
    contact = forms.ModelChoiceField(
        label=_("Customer contact"),
        queryset=Contact.objects.filter(is_active=True).select_related("account"),
        required=False,
    )
    requester_employee = forms.ModelChoiceField(
        label=_("or requesting employee"),
        queryset=Employee.objects.filter(is_active=True),
        required=False,
    )
    department = forms.ModelChoiceField(
        label=_("Handling department"), queryset=Department.objects.none()
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    impact = forms.ChoiceField(label=_("Impact scope"), choices=Impact.choices)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    priority = forms.ChoiceField(
        label=_("Priority override"),
        choices=[("", _("From the matrix")), *Priority.choices],
        required=False,
    )
    priority_reason = forms.CharField(
        label=_("Reason for the override"), max_length=300, required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    tags = TagsField(label=_("Tags"))
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = department_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("contact")) == bool(data.get("requester_employee")):
            raise forms.ValidationError(_("Choose a customer contact or a requesting employee."))
        return data


class PortalTicketForm(CleanLinesMixin, forms.Form):
    """What a customer fills in on the portal: plain words, no internal vocabulary."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    ticket_type = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[
            (t.value, t.label)
            for t in (
                TicketType.QUESTION,
                TicketType.SERVICE_REQUEST,
                TicketType.INCIDENT,
                TicketType.COMPLAINT,
                TicketType.NEW_REQUIREMENT,
            )
        ],
    )
    impact = forms.ChoiceField(label=_("Who is affected?"), choices=Impact.choices)
    severity = forms.ChoiceField(
        label=_("How bad is it?"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    body = forms.CharField(
        label=_("Describe your request"), widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(label=_("Attachments"))


class InternalRequestForm(CleanLinesMixin, forms.Form):
    """An employee asking another department for one of its catalogued services."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    impact = forms.ChoiceField(label=_("Who is affected?"), choices=Impact.choices)
    severity = forms.ChoiceField(
        label=_("How urgent is it?"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    body = forms.CharField(label=_("What do you need?"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"))


class TicketUpdateForm(CleanLinesMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    impact = forms.ChoiceField(label=_("Impact scope"), choices=Impact.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    priority_reason = forms.CharField(
        label=_("Reason for the override"), max_length=300, required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=Employee.objects.none(), required=False
    )
    tags = TagsField(label=_("Tags"))

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "version": ticket.version,
                "status": ticket.status,
                "ticket_type": ticket.ticket_type,
                "category": ticket.category_id,
                "impact": ticket.impact,
                "severity": ticket.severity,
                "priority": ticket.priority,
                "priority_reason": ticket.priority_reason,
                "assignee": ticket.assignee_id,
                "tags": ", ".join(t.name for t in ticket.tags.all()),
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            department=ticket.department_id, is_active=True
        )
        self.fields["assignee"].queryset = Employee.objects.filter(  # type: ignore[attr-defined]
            is_active=True, department=ticket.department_id
        ) | Employee.objects.filter(pk=ticket.assignee_id or 0)
        # The department's own fields (their values are checked again by the services).
        self.custom_fields = list(CustomField.objects.filter(department=ticket.department_id))
        for spec in self.custom_fields:
            self.fields[f"cf_{spec.key}"] = custom_form_field(spec)
            self.initial.setdefault(f"cf_{spec.key}", (ticket.custom_values or {}).get(spec.key))

    def changes(self) -> dict[str, Any]:
        """Only what differs from the ticket, so an unchanged field never overwrites anything."""
        data = self.cleaned_data
        current = {
            "status": self.ticket.status,
            "ticket_type": self.ticket.ticket_type,
            "category": self.ticket.category,
            "impact": self.ticket.impact,
            "severity": self.ticket.severity,
            "priority": self.ticket.priority,
            "priority_reason": self.ticket.priority_reason,
            "assignee": self.ticket.assignee,
        }
        changed = {k: data[k] for k, v in current.items() if data.get(k) != v}
        if self.custom_fields:
            values: dict[str, Any] = {
                spec.key: data.get(f"cf_{spec.key}")
                for spec in self.custom_fields
                if data.get(f"cf_{spec.key}") not in (None, "")
            }
            values = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
            if values != (self.ticket.custom_values or {}):
                changed["custom_values"] = values
        if "priority_reason" in changed and "priority" not in changed:
            changed["priority"] = data["priority"]
        if "priority" in changed:
            changed["priority_reason"] = data.get("priority_reason", "")
        return changed


def custom_form_field(spec: CustomField) -> forms.Field:
    """The form field for one of a department's custom ticket fields."""
    label = spec.label_en if spec.label_en and not _chinese_ui() else spec.label
    common: dict[str, Any] = {"label": label, "required": False}
    if spec.kind == CustomField.Kind.NUMBER:
        return forms.DecimalField(**common)
    if spec.kind == CustomField.Kind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    if spec.kind == CustomField.Kind.CHOICE:
        return forms.ChoiceField(**common, choices=[("", "—"), *[(o, o) for o in spec.option_list]])
    if spec.kind == CustomField.Kind.CHECKBOX:
        return forms.BooleanField(**common)
    return forms.CharField(**common, max_length=1000)


def _chinese_ui() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


class MessageForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Message.Kind.PUBLIC, _("Public reply")),
            (Message.Kind.INTERNAL, _("Internal note")),
        ],
        initial=Message.Kind.PUBLIC,
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    new_status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Keep status")), *Status.choices],
        required=False,
    )
    attachments = MultipleFileField(label=_("Attachments"))


class RequesterReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Attachments"))


class TransferForm(forms.Form):
    to_department = forms.ModelChoiceField(
        label=_("Move to department"), queryset=Department.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    directed = forms.BooleanField(
        label=_("Directed as the customer's advocate (the department judged fastest)"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_department"].queryset = department_choices()  # type: ignore[attr-defined]


class TicketReferenceField(forms.CharField):
    """A ticket typed as "KH-123" or "123"."""

    def clean(self, value: Any) -> int:
        text = (super().clean(value) or "").strip().upper().removeprefix("KH-").removeprefix("#")
        if not text.isdigit():
            raise forms.ValidationError(_("Enter a ticket reference such as KH-123."))
        return int(text)


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("Link"), choices=TicketLink.Kind.choices)
    target = TicketReferenceField(label=_("Ticket"))


class MergeForm(forms.Form):
    into = TicketReferenceField(label=_("Merge into ticket"))


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the direction was wrong"), widget=forms.Textarea(attrs={"rows": 3})
    )


def service_for_request(pk: int) -> Service | None:
    return Service.objects.filter(pk=pk, is_active=True).select_related("department").first()
