"""Staff pages of the pipeline: the board, the list, an opportunity, leads, the forecast, the
conversion figures, import and export, and the account-page panel. Rules: rules.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, can, require_staff
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors, form_page
from kehu.core.tabular import write_csv, write_xlsx
from kehu.customers.models import Account
from kehu.pipeline import charts, imports, selectors, services
from kehu.pipeline.forms import (
    CompetitorForm,
    ConvertForm,
    FilterForm,
    ForecastForm,
    ImportForm,
    LeadForm,
    MoveForm,
    OpportunityForm,
    RoleForm,
)
from kehu.pipeline.models import Competitor, Lead, LeadStatus, Opportunity, Outcome
from kehu.pipeline.rules import visible_leads, visible_opportunities

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[FilterForm, selectors.Filters]:
    form = FilterForm(request.GET or None)
    filters = selectors.Filters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.Filters(
            q=data["q"],
            stage=data["stage"].pk if data["stage"] else None,
            department=data["department"].pk if data["department"] else None,
            outcome=data["outcome"],
            close_from=data["close_from"],
            close_to=data["close_to"],
        )
    return form, filters


@login_required
def board(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    form, filters = _filters(request)
    return render(
        request,
        "pipeline/board.html",
        {
            "columns": selectors.board(request.user, filters),
            "filter_form": form,
            "can_add": can(request.user, ADD, Opportunity),
        },
    )


@login_required
def opportunity_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    form, filters = _filters(request)
    found = selectors.filtered(request.user, filters).select_related(
        "account", "stage", "ar", "ar__department"
    )
    page = Paginator(found.order_by("expected_close", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pipeline/list.html",
        {
            "page": page,
            "filter_form": form,
            "query": query.urlencode(),
            "can_add": can(request.user, ADD, Opportunity),
        },
    )


@login_required
def opportunity_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require_staff(request.user)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, filters = _filters(request)
    header, rows = imports.export_rows(selectors.filtered(request.user, filters))
    if fmt == "csv":
        response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            write_xlsx(header, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="kehu-opportunities.{fmt}"'
    return response


@login_required
def opportunity_import(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, Opportunity)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(size)s bytes.") % {"size": settings.IMPORT_MAX_BYTES},
            )
        else:
            result = imports.import_opportunities(
                filename=upload.name,
                data=upload.read(),
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
    status = 422 if result is not None and not result.ok else 200
    return render(
        request,
        "pipeline/import.html",
        {"form": form, "result": result, "columns": imports.COLUMNS},
        status=status,
    )


def _opportunity(request: HttpRequest, pk: int, action: str = VIEW) -> Opportunity:
    return access_object(
        request.user, Opportunity, pk, action=action, queryset=selectors.opportunities()
    )


@login_required
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _opportunity(request, pk))


def _detail(
    request: HttpRequest, opportunity: Opportunity, status: int = 200, **forms: Any
) -> HttpResponse:
    move_to = request.GET.get("move_to")
    move_form = forms.get("move_form") or MoveForm(
        initial={
            "version": opportunity.version,
            "stage": move_to if move_to and move_to.isdigit() else opportunity.stage_id,
        }
    )
    return render(
        request,
        "pipeline/opportunity.html",
        {
            "opportunity": opportunity,
            "can_edit": can(request.user, CHANGE, opportunity),
            "move_form": move_form,
            "role_form": forms.get("role_form") or RoleForm(account_id=opportunity.account_id),
            "competitor_form": forms.get("competitor_form") or CompetitorForm(),
            "moves": opportunity.moves.select_related("from_stage", "to_stage", "moved_by"),
            "roles": opportunity.buying_roles.select_related("person__contact"),
            "competitors": opportunity.competitors.all(),
            "members": opportunity.members.all(),
            "lead": Lead.objects.filter(opportunity=opportunity).first(),
        },
        status=status,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """A stage move from the board (JSON: the card's new version, or the refusal) or the page."""
    opportunity = _opportunity(request, pk, CHANGE)
    form = MoveForm(request.POST)
    error, status = "", 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.opportunity_move(
                opportunity=opportunity,
                version=data["version"],
                to_stage=data["stage"],
                by=request.user,
                win_loss_reason=data["win_loss_reason"],
                win_loss_notes=data["win_loss_notes"],
            )
        except (StaleVersionError, services.MoveRefused) as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            apply_model_errors(form, exc)
            status = 422
    else:
        status = 422
    if status == 422 and not error:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if _wants_json(request):
        if status != 200:
            return JsonResponse({"ok": False, "message": error}, status=status)
        moved = Opportunity.objects.select_related("stage").get(pk=pk)
        return JsonResponse(
            {
                "ok": True,
                "version": moved.version,
                "stage": moved.stage_id,
                "message": _("Moved to %(stage)s.") % {"stage": moved.stage},
            }
        )
    if status == 409:
        messages.error(request, error)
        return redirect("pipeline:opportunity", pk)
    if status == 422:
        return _detail(request, opportunity, 422, move_form=form)
    messages.success(request, _("The opportunity is moved."))
    return redirect("pipeline:opportunity", pk)


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, Opportunity)
    initial: dict[str, Any] = {}
    account_id = request.GET.get("account")
    if account_id and account_id.isdigit():
        account = Account.objects.filter(pk=int(account_id)).first()
        if account is not None:
            initial = {"account": account.pk, "ar": account.owner_id}
    form = OpportunityForm(request.POST or None, initial=initial)

    def save() -> Opportunity:
        data = dict(form.cleaned_data)
        members = data.pop("members")
        return services.opportunity_create(
            by=request.user, member_ids=[m.pk for m in members], **data
        )

    return form_page(
        request,
        form,
        save,
        template="pipeline/opportunity_form.html",
        context={"opportunity": None},
        done=lambda obj: reverse("pipeline:opportunity", args=[obj.pk]),
        message=_("The opportunity “%(object)s” is opened."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk, CHANGE)
    initial = {f: getattr(opportunity, f) for f in services.OPPORTUNITY_FIELDS}
    initial.update(version=opportunity.version, members=list(opportunity.members.all()))
    form = OpportunityForm(request.POST or None, initial=initial, opportunity=opportunity)

    def save() -> Opportunity:
        data = dict(form.cleaned_data)
        members = data.pop("members")
        version = data.pop("version") or 0
        return services.opportunity_update(
            opportunity=opportunity,
            version=version,
            member_ids=[m.pk for m in members],
            **data,
        )

    return form_page(
        request,
        form,
        save,
        template="pipeline/opportunity_form.html",
        context={"opportunity": opportunity},
        done=lambda obj: reverse("pipeline:opportunity", args=[obj.pk]),
        message=_("The opportunity “%(object)s” is saved."),
    )


@login_required
@require_POST
def role_set(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk, CHANGE)
    form = RoleForm(request.POST, account_id=opportunity.account_id)
    if form.is_valid():
        data = form.cleaned_data
        if data["remove"]:
            services.role_remove(
                opportunity=opportunity, person_id=data["person"].pk, role=data["role"]
            )
        else:
            try:
                services.role_set(
                    opportunity=opportunity,
                    person=data["person"],
                    role=data["role"],
                    stance=data["stance"],
                )
            except ValidationError as exc:
                apply_model_errors(form, exc)
                return _detail(request, opportunity, 422, role_form=form)
        messages.success(request, _("The buying roles are saved."))
        return redirect("pipeline:opportunity", pk)
    return _detail(request, opportunity, 422, role_form=form)


@login_required
@require_POST
def competitor_add(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = _opportunity(request, pk, CHANGE)
    form = CompetitorForm(request.POST)
    if form.is_valid():
        try:
            services.competitor_add(opportunity=opportunity, **form.cleaned_data)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("The competitor is added."))
            return redirect("pipeline:opportunity", pk)
    return _detail(request, opportunity, 422, competitor_form=form)


@login_required
@require_POST
def competitor_remove(request: HttpRequest, pk: int) -> HttpResponse:
    competitor = access_object(
        request.user,
        Competitor,
        pk,
        action=CHANGE,
        queryset=Competitor.objects.select_related("opportunity"),
    )
    services.competitor_remove(competitor=competitor)
    messages.success(request, _("The competitor is removed."))
    return redirect("pipeline:opportunity", competitor.opportunity_id)


# --- leads -----------------------------------------------------------------------------------


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    status = request.GET.get("status", "")
    found = visible_leads(request.user).select_related("account", "owner", "opportunity")
    if status in LeadStatus.values:
        found = found.filter(status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/leads.html",
        {
            "page": page,
            "statuses": LeadStatus.choices,
            "status": status,
            "can_add": can(request.user, ADD, Lead),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, Lead)
    form = LeadForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.lead_create(by=request.user, **form.cleaned_data),
        template="pipeline/lead_form.html",
        context={"lead": None},
        done=lambda obj: reverse("pipeline:leads"),
        message=_("The lead “%(object)s” is recorded."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_object(request.user, Lead, pk, action=VIEW)
    editable = can(request.user, CHANGE, lead)
    initial = {f: getattr(lead, f) for f in services.LEAD_FIELDS}
    initial["version"] = lead.version
    form = LeadForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and not editable:
        raise PermissionDenied

    def save() -> Lead:
        data = dict(form.cleaned_data)
        version = data.pop("version") or 0
        try:
            return services.lead_update(lead=lead, version=version, **data)
        except services.MoveRefused as exc:
            raise ValidationError(str(exc)) from exc

    convert_form = ConvertForm(initial={"version": lead.version, "name": lead.title})
    return form_page(
        request,
        form,
        save,
        template="pipeline/lead_form.html",
        context={"lead": lead, "can_edit": editable, "convert_form": convert_form},
        done=lambda obj: reverse("pipeline:leads"),
        message=_("The lead “%(object)s” is saved."),
    )


@login_required
@require_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = access_object(request.user, Lead, pk, action=CHANGE)
    form = ConvertForm(request.POST)
    if form.is_valid():
        try:
            opportunity = services.lead_convert(lead=lead, by=request.user, **form.cleaned_data)
        except (StaleVersionError, services.MoveRefused) as exc:
            messages.error(request, str(exc))
            return redirect("pipeline:lead", pk)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("The lead is converted into an opportunity."))
            return redirect("pipeline:opportunity", opportunity.pk)
    errors = [str(e) for errs in form.errors.values() for e in errs]
    messages.error(request, " ".join(errors))
    return redirect("pipeline:lead", pk)


# --- figures ---------------------------------------------------------------------------------


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    form = ForecastForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or "month"
    group = data.get("group") or ""
    result = selectors.forecast(
        request.user, period=period, group=group, start=data.get("start"), end=data.get("end")
    )
    return render(
        request,
        "pipeline/forecast.html",
        {
            "form": form,
            "forecast": result,
            "charts": charts.forecast_charts(result),
        },
    )


@login_required
def conversion(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    form = ForecastForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "pipeline/conversion.html",
        {
            "form": form,
            "figures": selectors.conversion(
                request.user, start=data.get("start"), end=data.get("end")
            ),
        },
    )


def account_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The account page's pipeline panel: its open opportunities the user may see."""
    if not can(request.user, VIEW, Opportunity):
        return None
    found = list(
        visible_opportunities(request.user)
        .filter(account=account, stage__outcome=Outcome.OPEN)
        .select_related("stage", "ar")
        .order_by("expected_close", "pk")[:20]
    )
    return {
        "account": account,
        "pipeline_open": found,
        "pipeline_can_add": can(request.user, ADD, Opportunity),
    }
