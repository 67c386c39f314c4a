"""Forms of the relationship pages; the rules themselves live in the models and services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import CleanLinesMixin
from kehu.customers.models import Account, Contact
from kehu.org.models import Department, Employee, Service
from kehu.relations.models import (
    BuyingRoleKind,
    Interaction,
    InteractionKind,
    Person,
    RelationshipLevel,
    SocialStyle,
    Stage,
    Stance,
)

DATE = forms.DateInput(attrs={"type": "date"})


class PersonForm(CleanLinesMixin, forms.Form):
    contact = forms.ModelChoiceField(label=_("contact"), queryset=Contact.objects.none())
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    department = forms.CharField(label=_("customer department"), max_length=200, required=False)
    reports_to = forms.ModelChoiceField(
        label=_("reports to"), queryset=Person.objects.none(), required=False
    )
    influence = forms.IntegerField(label=_("influence"), min_value=1, max_value=5, initial=3)
    stage = forms.ChoiceField(label=_("relationship stage"), choices=Stage.choices)
    social_style = forms.ChoiceField(
        label=_("social style"), choices=[("", "—"), *SocialStyle.choices], required=False
    )
    notes = forms.CharField(label=_("personal notes"), widget=forms.Textarea, required=False)
    is_coach = forms.BooleanField(label=_("coach"), required=False)
    coach_influence = forms.CharField(
        label=_("evidence: wide influence and network"), widget=forms.Textarea, required=False
    )
    coach_informed = forms.CharField(
        label=_("evidence: senior and well informed"), widget=forms.Textarea, required=False
    )
    coach_win_win = forms.CharField(
        label=_("evidence: wants a win-win and shares our goal"),
        widget=forms.Textarea,
        required=False,
    )
    need_company_economic = forms.CharField(
        label=_("company needs: economic"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    need_company_business = forms.CharField(
        label=_("company needs: business"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    need_company_social = forms.CharField(
        label=_("company needs: social"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    need_personal_economic = forms.CharField(
        label=_("personal needs: economic"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    need_personal_business = forms.CharField(
        label=_("personal needs: business"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    need_personal_social = forms.CharField(
        label=_("personal needs: social"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    power = forms.CharField(
        label=_("power"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    risk_orientation = forms.CharField(
        label=_("risk orientation"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    interests = forms.CharField(
        label=_("interests"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account, person: Person | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(account=account).select_related("contact")
        if person is None:
            self.fields["contact"].queryset = account.contacts.filter(  # type: ignore[attr-defined]
                is_active=True, relationship__isnull=True
            ).order_by("name")
            del self.fields["version"]
        else:
            del self.fields["contact"]
            del self.fields["stage"]  # stage changes are dated events: see StageForm
            people = people.exclude(pk=person.pk)
        self.fields["reports_to"].queryset = people  # type: ignore[attr-defined]


class StageForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("new stage"), choices=Stage.choices)
    changed_on = forms.DateField(label=_("date"), widget=DATE)
    interaction = forms.ModelChoiceField(
        label=_("caused by"), queryset=Interaction.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("reason (required when going back)"), widget=forms.Textarea, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, person: Person, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["interaction"].queryset = person.interactions.order_by(  # type: ignore[attr-defined]
            "-occurred_on"
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("buying role"), choices=BuyingRoleKind.choices)
    stance = forms.ChoiceField(label=_("stance"), choices=Stance.choices, initial=Stance.NEUTRAL)
    cares_about = forms.CharField(
        label=_("what the role cares about"), widget=forms.Textarea, required=False
    )
    remove = forms.BooleanField(label=_("remove this role"), required=False)


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("relationship level"), choices=RelationshipLevel.choices)
    evidence = forms.CharField(label=_("evidence"), widget=forms.Textarea, required=False)
    need_economic = forms.CharField(
        label=_("company needs: economic"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    need_business = forms.CharField(
        label=_("company needs: business"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    need_social = forms.CharField(
        label=_("company needs: social"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InteractionForm(CleanLinesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=InteractionKind.choices)
    occurred_on = forms.DateField(label=_("date"), widget=DATE)
    subject = forms.CharField(label=_("subject"), max_length=200)
    people = forms.ModelMultipleChoiceField(
        label=_("their attendees"), queryset=Person.objects.none(), required=False
    )
    our_attendees = forms.ModelMultipleChoiceField(
        label=_("our attendees"), queryset=Person.objects.none(), required=False
    )
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea, required=False)
    next_step = forms.CharField(label=_("next step"), max_length=300, required=False)
    next_step_due = forms.DateField(label=_("next step due"), widget=DATE, required=False)
    spin_situation = forms.CharField(
        label=_("situation questions"), widget=forms.Textarea, required=False
    )
    spin_problem = forms.CharField(
        label=_("problem questions"), widget=forms.Textarea, required=False
    )
    spin_implication = forms.CharField(
        label=_("implication questions"), widget=forms.Textarea, required=False
    )
    spin_need_payoff = forms.CharField(
        label=_("need-payoff questions"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from kehu.org.models import Employee

        self.fields["people"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            account=account
        ).select_related("contact")
        self.fields["our_attendees"].queryset = Employee.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name")


class TriangleForm(forms.Form):
    account_manager = forms.ModelChoiceField(
        label=_("account manager (AR)"), queryset=Employee.objects.none()
    )
    solution_manager = forms.ModelChoiceField(
        label=_("solution manager (SR)"), queryset=Employee.objects.none()
    )
    fulfilment_manager = forms.ModelChoiceField(
        label=_("fulfilment manager (FR)"), queryset=Employee.objects.none()
    )
    members = forms.ModelMultipleChoiceField(
        label=_("team members"), queryset=Employee.objects.none(), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        active = Employee.objects.filter(is_active=True).select_related("department")
        for name in ("account_manager", "solution_manager", "fulfilment_manager", "members"):
            self.fields[name].queryset = active  # type: ignore[attr-defined]


class FireForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("department asked"), queryset=Department.objects.none()
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.none(), required=False
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    body = forms.CharField(label=_("what you need"), widget=forms.Textarea, max_length=10_000)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        from kehu.relations.fire import back_office

        departments = back_office()
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["service"].queryset = Service.objects.filter(  # type: ignore[attr-defined]
            department__in=departments
        ).select_related("department")
