"""Feedback pages: the public survey, rating roll-ups, callbacks and complaint records."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize, can
from kehu.audit.selectors import history_rows
from kehu.core.clients import client_address
from kehu.core.forms import apply_model_errors
from kehu.core.pages import try_save
from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.priority import TicketType
from kehu.desk.rules import visible_tickets
from kehu.feedback import selectors, services
from kehu.feedback.forms import CallbackDoneForm, ComplaintForm, RollupForm, SurveyForm
from kehu.feedback.models import CallbackTask, ComplaintRecord, SatisfactionRating

# --- the public survey ---------------------------------------------------------------------


def _rate_limited(request: HttpRequest) -> bool:
    """A fixed one-minute window per client address, counted in the shared cache."""
    key = f"kehu:survey-rate:{client_address(request)}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=60)
        count = 1
    return count > settings.KEHU_SURVEY_RATE_PER_MINUTE


_UNAVAILABLE = {
    "used": (
        gettext_lazy("This survey was already answered"),
        gettext_lazy("Each survey link can be used once. Thank you for your rating."),
    ),
    "expired": (
        gettext_lazy("This survey link has expired"),
        gettext_lazy("Survey links work for a limited time after a request is resolved."),
    ),
    "voided": (
        gettext_lazy("This survey link is no longer valid"),
        gettext_lazy(
            "The request was reopened; you will get a new link when it is resolved again."
        ),
    ),
    "throttled": (
        gettext_lazy("Too many requests"),
        gettext_lazy("Please wait a minute and open the link again."),
    ),
    "unknown": (
        gettext_lazy("Survey link not found"),
        gettext_lazy("Check that the whole link from the email was opened."),
    ),
}
_STATUS = {"unknown": 404, "throttled": 429}


def _unavailable(request: HttpRequest, reason: str) -> HttpResponse:
    """The same message in English and Chinese: whoever opens a mailed link may be signed out."""
    title, text = _UNAVAILABLE[reason]
    versions: list[tuple[str, str, str]] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            version = (code, str(title), str(text))
        if all(version[1:] != seen[1:] for seen in versions):  # not yet translated: say it once
            versions.append(version)
    return render(
        request,
        "feedback/survey_unavailable.html",
        {"reason": reason, "versions": versions},
        status=_STATUS.get(reason, 410),
    )


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey behind the mailed link: no sign-in, shows only the ticket's reference and
    subject, and takes one answer."""
    if _rate_limited(request):
        return _unavailable(request, "throttled")
    try:
        invitation = services.survey_lookup(token)
    except services.SurveyUnavailable as exc:
        return _unavailable(request, exc.reason)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.user.is_authenticated:
        translation.activate(invitation.language)  # the language the invitation was written in
        request.LANGUAGE_CODE = invitation.language
    ticket = invitation.ticket
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_submit(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except services.SurveyUnavailable as exc:
            return _unavailable(request, exc.reason)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            return render(request, "feedback/survey_thanks.html", {"reference": ticket.reference})
    return render(
        request,
        "feedback/survey.html",
        {"reference": ticket.reference, "subject": ticket.subject, "form": form},
    )


# --- staff pages ---------------------------------------------------------------------------


@login_required
def ratings(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, SatisfactionRating)
    form = RollupForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    tables = [
        (_("Per agent"), selectors.rating_rollup(by="agent", start=start, end=end)),
        (
            _("Per handling department"),
            selectors.rating_rollup(by="department", start=start, end=end),
        ),
        (_("Per internal service"), selectors.rating_rollup(by="service", start=start, end=end)),
    ]
    return render(
        request,
        "feedback/ratings.html",
        {
            "form": form,
            "tables": tables,
            "total": selectors.rating_total(start=start, end=end),
        },
    )


@login_required
def callback_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, CallbackTask)
    include_done = request.GET.get("done") == "1"
    return render(
        request,
        "feedback/callback_list.html",
        {
            "callbacks": selectors.my_callbacks(request.user, include_done=include_done),
            "include_done": include_done,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def callback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    callback = access_object(
        request.user, CallbackTask, pk, queryset=selectors.visible_callbacks(request.user)
    )
    can_change = can(request.user, CHANGE, callback)
    initial = {"outcome": callback.outcome, "version": callback.version}
    form = CallbackDoneForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        authorize(request.user, CHANGE, callback)
        if form.is_valid():

            def save() -> Any:
                return services.callback_complete(
                    callback,
                    expected_version=form.cleaned_data["version"],
                    outcome=form.cleaned_data["outcome"],
                    actor=request.user,
                )

            refused = try_save(form, save)
            if refused is None:
                messages.success(request, _("The callback was recorded."))
                return redirect("feedback:callbacks")
            status = refused
    return render(
        request,
        "feedback/callback_detail.html",
        {
            "callback": callback,
            "form": form,
            "can_change": can_change,
            "history": history_rows(callback),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_edit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = access_object(
        request.user,
        Ticket,
        ticket_id,
        queryset=visible_tickets(request.user).select_related("account", "department"),
    )
    record = selectors.complaint_record_for(ticket) or ComplaintRecord(ticket=ticket)
    if ticket.ticket_type != TicketType.COMPLAINT and record.pk is None:
        raise Http404
    if not can(request.user, VIEW, record):
        raise Http404
    can_change = can(request.user, CHANGE, record)
    form = ComplaintForm(request.POST or None, instance=record)
    status = 200
    if request.method == "POST":
        authorize(request.user, CHANGE, record)
        if form.is_valid():

            def save() -> Any:
                version = form.cleaned_data.get("version")
                return services.complaint_record_save(
                    ticket, expected_version=version, fields=form.model_fields()
                )

            refused = try_save(form, save)
            if refused is None:
                messages.success(request, _("The complaint record was saved."))
                return redirect("feedback:complaint", ticket.pk)
            status = refused
    return render(
        request,
        "feedback/complaint_form.html",
        {
            "ticket": ticket,
            "record": record,
            "form": form,
            "can_change": can_change,
            "history": history_rows(record) if record.pk else [],
        },
        status=status,
    )


@login_required
def account_complaints(request: HttpRequest, account_id: int) -> HttpResponse:
    authorize(request.user, VIEW, ComplaintRecord)
    account = access_object(request.user, Account, account_id)
    return render(
        request,
        "feedback/account_complaints.html",
        {"archive": selectors.account_complaints(request.user, account)},
    )
