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
from django.utils.translation import gettext_lazy
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
from kehu.core.pages import (
    FormPage,
    ObjectActions,
    list_page,
    table_download,
    to_detail,
    versioned_update,
)
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier, can_view_dossier

PAGE_SIZE = 100
REVIEW_PAGE = FormPage(
    "churn/review_form.html",
    done=to_detail("churn:detail"),
    message=gettext_lazy("%(object)s was saved."),
    created=gettext_lazy("%(object)s was opened."),
)


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
    return list_page(
        request,
        selectors.review_list(request.user, filters),
        name="reviews",
        template="churn/review_list.html",
        rows_template="churn/_review_rows.html",
        page_size=PAGE_SIZE,
        form=form,
        can_report=can_see_report(request.user),
    )


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

    return REVIEW_PAGE(request, form, save, created=True, account=account, review=None)


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

    save = versioned_update(services.review_update, review, form, actor=request.user)
    return REVIEW_PAGE(request, form, save, account=review.account, review=review)


_act = ObjectActions(ChurnReview, _detail, "churn:detail")


@login_required
def review_attribute(request: HttpRequest, pk: int) -> HttpResponse:
    def form(review: ChurnReview) -> AttributionForm:
        return AttributionForm(
            request.POST,
            review=review,
            tickets=selectors.linkable_tickets(review.account),
            incidents=selectors.linkable_incidents(review.account),
        )

    def run(review: ChurnReview, data: dict[str, Any]) -> ChurnReview:
        return services.review_update(
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

    message = lambda _saved: _("The attribution was saved.")  # noqa: E731
    return _act(request, pk, form, "attribution_form", run, anchor="#attribution", message=message)


@login_required
def review_transition(request: HttpRequest, pk: int) -> HttpResponse:
    def run(review: ChurnReview, data: dict[str, Any]) -> ChurnReview:
        return services.review_transition(
            review,
            actor=request.user,
            expected_version=data["version"],
            status=data["status"],
            note=data["note"],
        )

    def message(moved: ChurnReview) -> str:
        status = ReviewStatus(moved.status).label
        return _("%(ref)s is now %(status)s.") % {"ref": moved.reference, "status": status}

    form = lambda review: TransitionForm(request.POST)  # noqa: E731
    return _act(request, pk, form, "transition_form", run, message=message)


@login_required
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    def run(review: ChurnReview, data: dict[str, Any]) -> Any:
        fields = {name: data[name] for name in ("action", "owner", "due_on")}
        return services.follow_up_add(review, actor=request.user, **fields)

    form = lambda review: FollowUpForm(request.POST)  # noqa: E731
    message = lambda _added: _("The follow-up was added.")  # noqa: E731
    return _act(request, pk, form, "follow_up_form", run, anchor="#follow-ups", message=message)


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
    return table_download(header, rows, fmt, "kehu-churn-report")


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
