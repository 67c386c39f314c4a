"""Forms of the churn pages: they parse input; the rules are in ``services``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.churn.models import Attribution, CauseArea, ChurnReview, ReviewKind, ReviewStatus
from kehu.churn.selectors import ACTIVE, PERIODS, UNATTRIBUTED
from kehu.desk.models import Ticket
from kehu.incidents.models import MajorIncident
from kehu.org.models import Department, Employee

DATE = forms.DateInput(attrs={"type": "date"})


def _people() -> Any:
    return Employee.objects.filter(is_active=True).select_related("department")


class OpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("The account is"), choices=ReviewKind.choices)
    noticed_on = forms.DateField(label=_("Noticed on"), widget=DATE, required=False)
    revenue_before = forms.DecimalField(
        label=_("Yearly revenue before"),
        help_text=_("What the account brought in a year before it churned."),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    revenue_after = forms.DecimalField(
        label=_("Yearly revenue after"),
        help_text=_("For a shrinking account: what it brings now. Empty for a lost one."),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="CNY")
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: what shows the account is lost or shrinking."),
    )


class EditForm(OpenForm):
    """The review's record: what happened, who met, what was decided."""

    review_held_on = forms.DateField(label=_("Review held on"), widget=DATE, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=Employee.objects.none(), required=False
    )
    customer_attendees = forms.CharField(
        label=_("Attendees on the customer's side"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    decision = forms.CharField(
        label=_("Decision"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, review: ChurnReview, **kwargs: Any) -> None:
        if not args or args[0] is None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": review.kind,
                    "noticed_on": review.noticed_on,
                    "revenue_before": review.revenue_before,
                    "revenue_after": review.revenue_after,
                    "currency": review.currency,
                    "evidence": review.evidence,
                    "review_held_on": review.review_held_on,
                    "attendees": [e.pk for e in review.attendees.all()],
                    "customer_attendees": review.customer_attendees,
                    "decision": review.decision,
                    "version": review.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _people()  # type: ignore[attr-defined]
        self.fields["noticed_on"].required = True

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = (
            "kind",
            "noticed_on",
            "revenue_before",
            "revenue_after",
            "currency",
            "evidence",
            "review_held_on",
            "customer_attendees",
            "decision",
        )
        changes = {name: data[name] for name in names}
        changes["attendees"] = list(data["attendees"])
        return changes


class AttributionForm(forms.Form):
    attribution = forms.ChoiceField(
        label=_("Attribution"),
        choices=[("", _("Not attributed yet")), *Attribution.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    competitor = forms.CharField(
        label=_("Competitor"),
        max_length=200,
        required=False,
        help_text=_("For commercial churn: who the volume went to."),
    )
    cause_areas = forms.MultipleChoiceField(
        label=_("Cause areas"),
        choices=CauseArea.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For service-capability churn: where after-sales traces it to."),
    )
    tickets = forms.ModelMultipleChoiceField(
        label=_("Tickets behind it"), queryset=Ticket.objects.none(), required=False
    )
    incidents = forms.ModelMultipleChoiceField(
        label=_("Major incidents behind it"),
        queryset=MajorIncident.objects.none(),
        required=False,
    )
    attribution_notes = forms.CharField(
        label=_("Attribution notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, review: ChurnReview, tickets: Any, incidents: Any, **kwargs: Any
    ) -> None:
        if not args or args[0] is None:
            kwargs.setdefault(
                "initial",
                {
                    "attribution": review.attribution,
                    "competitor": review.competitor,
                    "cause_areas": review.cause_areas,
                    "tickets": [t.pk for t in review.tickets.all()],
                    "incidents": [i.pk for i in review.incidents.all()],
                    "attribution_notes": review.attribution_notes,
                    "version": review.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = tickets  # type: ignore[attr-defined]
        self.fields["incidents"].queryset = incidents  # type: ignore[attr-defined]
        self.fields["tickets"].label_from_instance = lambda t: f"{t.reference} {t.subject}"  # type: ignore[attr-defined]
        self.fields["incidents"].label_from_instance = lambda i: f"{i.reference} {i.title}"  # type: ignore[attr-defined]


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"), choices=ReviewStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class FollowUpForm(forms.Form):
    action = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Employee.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class FollowUpDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), (ACTIVE, _("In progress")), *ReviewStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *ReviewKind.choices]
    )
    attribution = forms.ChoiceField(
        label=_("Attribution"),
        required=False,
        choices=[("", _("All")), (UNATTRIBUTED, _("Not attributed yet")), *Attribution.choices],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner at the review"), queryset=Employee.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    date_from = forms.DateField(label=_("Noticed from"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("Noticed until"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Employee.objects.all()  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.all()  # type: ignore[attr-defined]


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
    )
    date_from = forms.DateField(label=_("Noticed from"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("Noticed until"), widget=DATE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end comes before the start."))
        if data.get("period") not in PERIODS:
            data["period"] = "month"
        return data
