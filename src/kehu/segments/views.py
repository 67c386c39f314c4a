"""Staff pages of segments: the rules (administrators), recomputation, the overview, overrides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize, require_staff
from kehu.core.concurrency import StaleVersionError
from kehu.core.pages import FormPage, to_url
from kehu.customers.models import Account
from kehu.segments import selectors, services
from kehu.segments.forms import OverrideForm, RuleForm, WithdrawForm
from kehu.segments.models import SegmentRule, SegmentRun
from kehu.segments.rules import can_override


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, SegmentRule)
    return render(
        request,
        "segments/rule_list.html",
        {"rules": SegmentRule.objects.all(), "last_run": SegmentRun.objects.first()},
    )


RULE_PAGE = FormPage("segments/rule_form.html", done=to_url("segments:rule-list"))
rule_create, rule_edit = RULE_PAGE.views(SegmentRule, RuleForm, services, "rule")


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    authorize(request.user, CHANGE, SegmentRule)
    result = services.segments_recompute()
    messages.success(
        request,
        _(
            "Segments recomputed for %(accounts)s accounts: %(changed)s changed, "
            "%(overridden)s kept their override."
        )
        % {
            "accounts": result.accounts,
            "changed": result.changed,
            "overridden": result.overridden,
        },
    )
    return redirect("segments:rule-list")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    return render(
        request,
        "segments/overview.html",
        {"overview": selectors.segment_overview(), "days": selectors.RECENT_DAYS},
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("segments:overview")


def _account_for_override(request: HttpRequest, pk: int) -> Account:
    account = access_object(request.user, Account, pk)
    if not can_override(request.user, account):
        raise PermissionDenied
    return account


def _refused(
    request: HttpRequest, account: Account, error: Exception | list[str], status: int
) -> HttpResponse:
    if isinstance(error, ValidationError):
        problems = error.messages
    elif isinstance(error, list):
        problems = error
    else:
        problems = [str(error)]
    return render(
        request,
        "segments/refused.html",
        {
            "account": Account.objects.get(pk=account.pk),
            "problems": problems,
            "back": _back(request),
        },
        status=status,
    )


def _form_errors(form: OverrideForm | WithdrawForm) -> list[str]:
    problems = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        field = form.fields.get(name)
        label = field.label if field is not None and name != "version" else None
        problems.append(f"{label}: {text}" if label else text)
    return problems


@login_required
@require_POST
def override(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_for_override(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, _form_errors(form), 422)
    try:
        services.segment_override(
            account=account,
            segment=form.cleaned_data["segment"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
            by=request.user,
        )
    except StaleVersionError as exc:
        return _refused(request, account, exc, 409)
    except ValidationError as exc:
        return _refused(request, account, exc, 422)
    messages.success(
        request, _("The segment of %(account)s was overridden.") % {"account": account}
    )
    return redirect(_back(request))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_for_override(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _refused(request, account, _form_errors(form), 422)
    try:
        updated = services.segment_withdraw_override(
            account=account, expected_version=form.cleaned_data["version"], by=request.user
        )
    except StaleVersionError as exc:
        return _refused(request, account, exc, 409)
    except ValidationError as exc:
        return _refused(request, account, exc, 422)
    messages.success(
        request,
        _("The override was withdrawn; %(account)s is now %(segment)s by the rules.")
        % {"account": account, "segment": updated.get_segment_display() or "-"},
    )
    return redirect(_back(request))
