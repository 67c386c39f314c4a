"""Staff pages of churn reviews: list, open from an account, the review page and its actions,
and the churn report with its export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize, can
from kehu.churn import selectors, services
from kehu.churn.forms import (
    AttributionForm,
    EditForm,
    FilterForm,
    FollowUpDoneForm,
    FollowUpForm,
    OpenForm,
    ReportForm,
    TransitionForm,
)
from kehu.churn.models import TRANSITIONS, ChurnFollowUp, ChurnReview, ReviewStatus
from kehu.churn.rules import can_see_report
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import form_page, post_action_target, refused_form
from kehu.core.tabular import write_csv, write_xlsx
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier, can_view_dossier

PAGE_SIZE = 100


def _account(request: HttpRequest, account_id: int, *, edit: bool) -> Account:
    """The account, if the user reads its dossier (404 otherwise; 403 if they only read it)."""
    account = access_object(request.user, Account, account_id)
    if not can_view_dossier(request.user, account):
        raise Http404
    if edit and not can_edit_dossier(request.user, account):
        raise PermissionDenied
    return account


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, ChurnReview)
    form = FilterForm(request.GET or None)
    filters = selectors.ReviewFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ReviewFilters(
            q=data["q"],
            status=data["status"],
            kind=data["kind"],
            attribution=data["attribution"],
            owner_id=data["owner"].pk if data["owner"] else None,
            department_id=data["department"].pk if data["department"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    rows = list(selectors.review_list(request.user, filters)[: PAGE_SIZE + 1])
    context = {
        "form": form,
        "reviews": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "can_report": can_see_report(request.user),
    }
    template = "churn/_review_rows.html" if request.htmx else "churn/review_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def review_open(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, edit=True)
    form = OpenForm(request.POST or None)

    def save() -> ChurnReview:
        data = form.cleaned_data
        return services.review_open(
            services.NewReview(
                account=account,
                kind=data["kind"],
                noticed_on=data["noticed_on"],
                revenue_before=data["revenue_before"],
                revenue_after=data["revenue_after"],
                currency=data["currency"],
                evidence=data["evidence"],
            ),
            actor=request.user,
        )

    return form_page(
        request,
        form,
        save,
        template="churn/review_form.html",
        context={"account": account, "review": None},
        done=lambda review: reverse("churn:detail", args=[review.pk]),
        message=_("%(object)s was opened."),
    )


def _detail(
    request: HttpRequest, review: ChurnReview, status: int = 200, **forms: BaseForm
) -> HttpResponse:
    review = selectors.review_detail().get(pk=review.pk)
    can_change = can(request.user, CHANGE, review) and not review.is_closed
    context: dict[str, Any] = {
        "review": review,
        "account": review.account,
        "can_change": can_change,
        "next_statuses": [
            (s, ReviewStatus(s).label) for s in sorted(TRANSITIONS.get(review.status, ()))
        ],
    }
    if can_change:
        context.update(
            attribution_form=AttributionForm(
                review=review,
                tickets=selectors.linkable_tickets(review.account),
                incidents=selectors.linkable_incidents(review.account),
            ),
            transition_form=TransitionForm(initial={"version": review.version}),
            follow_up_form=FollowUpForm(),
        )
    context.update(forms)
    return render(request, "churn/review_detail.html", context, status=status)


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_object(request.user, ChurnReview, pk))


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = access_object(request.user, ChurnReview, pk, action=CHANGE)
    form = EditForm(request.POST or None, review=review)

    def save() -> ChurnReview:
        return services.review_update(
            review,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(),
        )

    return form_page(
        request,
        form,
        save,
        template="churn/review_form.html",
        context={"account": review.account, "review": review},
        done=lambda saved: reverse("churn:detail", args=[saved.pk]),
        message=_("%(object)s was saved."),
    )


def _action(request: HttpRequest, pk: int) -> ChurnReview | HttpResponse:
    return post_action_target(request, ChurnReview, pk)


def _refused(
    request: HttpRequest,
    review: ChurnReview,
    form: BaseForm,
    name: str,
    exc: StaleVersionError | ValidationError,
) -> HttpResponse:
    return refused_form(_detail, request, review, form, name, exc)


@login_required
def review_attribute(request: HttpRequest, pk: int) -> HttpResponse:
    review = _action(request, pk)
    if isinstance(review, HttpResponse):
        return review
    form = AttributionForm(
        request.POST,
        review=review,
        tickets=selectors.linkable_tickets(review.account),
        incidents=selectors.linkable_incidents(review.account),
    )
    if not form.is_valid():
        return _detail(request, review, 422, attribution_form=form)
    data = form.cleaned_data
    try:
        services.review_update(
            review,
            actor=request.user,
            expected_version=data["version"],
            changes={
                "attribution": data["attribution"],
                "competitor": data["competitor"],
                "attribution_notes": data["attribution_notes"],
                "tickets": list(data["tickets"]),
                "incidents": list(data["incidents"]),
                **services.cause_changes(data["cause_areas"]),
            },
        )
    except (StaleVersionError, ValidationError) as exc:
        return _refused(request, review, form, "attribution_form", exc)
    messages.success(request, _("The attribution was saved."))
    return redirect(reverse("churn:detail", args=[pk]) + "#attribution")


@login_required
def review_transition(request: HttpRequest, pk: int) -> HttpResponse:
    review = _action(request, pk)
    if isinstance(review, HttpResponse):
        return review
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _detail(request, review, 422, transition_form=form)
    data = form.cleaned_data
    try:
        moved = services.review_transition(
            review,
            actor=request.user,
            expected_version=data["version"],
            status=data["status"],
            note=data["note"],
        )
    except (StaleVersionError, ValidationError) as exc:
        return _refused(request, review, form, "transition_form", exc)
    messages.success(
        request,
        _("%(ref)s is now %(status)s.")
        % {"ref": moved.reference, "status": ReviewStatus(moved.status).label},
    )
    return redirect("churn:detail", pk)


@login_required
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _action(request, pk)
    if isinstance(review, HttpResponse):
        return review
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _detail(request, review, 422, follow_up_form=form)
    data = form.cleaned_data
    try:
        services.follow_up_add(
            review,
            actor=request.user,
            action=data["action"],
            owner=data["owner"],
            due_on=data["due_on"],
        )
    except ValidationError as exc:
        return _refused(request, review, form, "follow_up_form", exc)
    messages.success(request, _("The follow-up was added."))
    return redirect(reverse("churn:detail", args=[pk]) + "#follow-ups")


@login_required
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = access_object(
        request.user,
        ChurnFollowUp,
        pk,
        action=CHANGE,
        queryset=ChurnFollowUp.objects.select_related("review__account"),
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    review = follow_up.review
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The follow-up could not be marked done; reload the page."))
        return redirect(reverse("churn:detail", args=[review.pk]) + "#follow-ups")
    try:
        services.follow_up_complete(
            follow_up,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except StaleVersionError as exc:
        messages.error(request, str(exc))
        return _detail(request, review, 409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, review, 422)
    messages.success(request, _("The follow-up is done."))
    return redirect(reverse("churn:detail", args=[review.pk]) + "#follow-ups")


# --- the report --------------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[ReportForm, selectors.Report | None]:
    if not can_see_report(request.user):
        raise PermissionDenied
    form = ReportForm(request.GET or {"period": "month"})
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, selectors.churn_report(
        request.user,
        period=data["period"],
        date_from=data["date_from"],
        date_to=data["date_to"],
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    form, result = _report(request)
    return render(
        request,
        "churn/report.html",
        {"form": form, "report": result, "query": request.GET.urlencode()},
        status=200 if result is not None else 422,
    )


@login_required
def report_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form, result = _report(request)
    if result is None:
        return render(
            request,
            "churn/report.html",
            {"form": form, "report": None, "query": ""},
            status=422,
        )
    header, rows = selectors.report_table(result)
    if fmt == "csv":
        response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            write_xlsx(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="kehu-churn-report.{fmt}"'
    return response


# --- the account page panel --------------------------------------------------------------------


def account_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The churn panel of the account page: the review in progress or the latest one."""
    user = request.user
    if not can_view_dossier(user, account):
        return None
    review, count = selectors.account_panel(account)
    return {
        "account": account,
        "churn_review": review,
        "churn_review_count": count,
        "churn_can_open": can_edit_dossier(user, account)
        and (review is None or not review.is_active),
    }
