"""Staff pages of the relationship map: the account's map, its people, stages, roles, level
and interactions, and the account-page panel. Privacy decisions: rules.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import CHANGE, access_object, is_staff_member
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors, form_page
from kehu.core.tabular import write_xlsx
from kehu.customers.forms import ImportForm
from kehu.customers.models import Account
from kehu.relations import coverage, dashboard, fire, imports, selectors, services, team
from kehu.relations.chart import chart_html
from kehu.relations.forms import (
    FireForm,
    InteractionForm,
    LevelForm,
    PersonForm,
    RoleForm,
    StageForm,
    TriangleForm,
)
from kehu.relations.models import AccountRelationship, BuyingRoleKind, GapKind, Person, Stage
from kehu.relations.rules import (
    can_edit_relations,
    can_manage_team,
    can_see_fire_speed,
    can_view_relations,
    relations_accounts,
)


def _account(request: HttpRequest, account_id: int, *, edit: bool = False) -> Account:
    """The account, if the user may see its map (404 otherwise; 403 if they only read it)."""
    account = access_object(request.user, Account, account_id)
    if not can_view_relations(request.user, account):
        raise Http404
    if edit and not can_edit_relations(request.user, account):
        raise PermissionDenied
    return account


def _person(request: HttpRequest, pk: int) -> Person:
    return access_object(
        request.user,
        Person,
        pk,
        action=CHANGE,
        queryset=Person.objects.select_related("account", "contact"),
    )


@login_required
def account_map(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    data = selectors.account_map(account, profiles=False)
    can_edit = can_edit_relations(request.user, account)
    return render(
        request,
        "relations/account_map.html",
        {
            "account": account,
            "map": data,
            "chart": chart_html(data.people, can_edit=can_edit),
            "matrix": selectors.role_matrix(data),
            "stages": Stage.choices,
            "can_edit": can_edit,
        },
    )


def _map_url(account_id: int) -> str:
    return reverse("relations:account", args=[account_id])


@login_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, edit=True)
    form = PersonForm(request.POST or None, account=account)

    def save() -> Person:
        data = dict(form.cleaned_data)
        reports_to = data.pop("reports_to")
        return services.person_create(
            account=account,
            contact=data.pop("contact"),
            by=request.user,
            reports_to_id=reports_to.pk if reports_to else None,
            **data,
        )

    return form_page(
        request,
        form,
        save,
        template="relations/person_form.html",
        context={"account": account, "person": None},
        done=lambda obj: _map_url(account.pk),
        message=_("%(object)s is on the map."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    account = person.account
    initial = {
        field: getattr(person, field)
        for field in services.PERSON_FIELDS | {"version"}
        if field != "reports_to"
    }
    initial["reports_to"] = person.reports_to_id
    form = PersonForm(request.POST or None, initial=initial, account=account, person=person)

    def save() -> Person:
        data = dict(form.cleaned_data)
        reports_to = data.pop("reports_to")
        version = data.pop("version") or 0
        return services.person_update(
            person=person,
            version=version,
            reports_to_id=reports_to.pk if reports_to else None,
            **data,
        )

    return form_page(
        request,
        form,
        save,
        template="relations/person_form.html",
        context={
            "account": account,
            "person": person,
            "stage_form": StageForm(
                initial={
                    "version": person.version,
                    "changed_on": timezone.localdate(),
                    "to_stage": person.stage,
                },
                person=person,
            ),
            "role_form": RoleForm(),
            "roles": person.roles.all(),
            "stage_changes": person.stage_changes.select_related("interaction", "recorded_by"),
        },
        done=lambda obj: _map_url(account.pk),
        message=_("%(object)s is saved."),
    )


@login_required
def stage_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StageForm(request.POST, person=person)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stage_change(
                person=person,
                version=data["version"],
                to_stage=data["to_stage"],
                by=request.user,
                changed_on=data["changed_on"],
                interaction=data["interaction"],
                reason=data["reason"],
            )
        except StaleVersionError as exc:
            messages.error(request, str(exc))
            return redirect("relations:person-edit", person.pk)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("The stage is changed."))
            return redirect("relations:person-edit", person.pk)
    return _refused(request, form, person)


def _refused(request: HttpRequest, form: Any, person: Person) -> HttpResponse:
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return render(
        request, "relations/refused.html", {"errors": errors, "person": person}, status=400
    )


@login_required
def role_set(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, form, person)
    data = form.cleaned_data
    if data["remove"]:
        services.role_remove(person=person, role=data["role"])
    else:
        services.role_set(
            person=person,
            role=data["role"],
            stance=data["stance"],
            cares_about=data["cares_about"],
        )
    messages.success(request, _("The buying roles are saved."))
    return redirect("relations:person-edit", person.pk)


@login_required
@require_http_methods(["GET", "POST"])
def level_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, edit=True)
    current = AccountRelationship.objects.filter(account=account).first()
    initial = (
        {
            "level": current.level,
            "evidence": current.evidence,
            "need_economic": current.need_economic,
            "need_business": current.need_business,
            "need_social": current.need_social,
            "version": current.version,
        }
        if current
        else {}
    )
    form = LevelForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda: services.level_set(account=account, **form.cleaned_data),
        template="relations/level_form.html",
        context={"account": account},
        done=lambda obj: _map_url(account.pk),
        message=_("The relationship level is saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def interaction_add(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, edit=True)
    form = InteractionForm(
        request.POST or None, account=account, initial={"occurred_on": timezone.localdate()}
    )

    def save() -> Any:
        data = dict(form.cleaned_data)
        people = data.pop("people")
        ours = data.pop("our_attendees")
        return services.interaction_record(
            account=account,
            by=request.user,
            people_ids=[p.pk for p in people],
            our_attendee_ids=[e.pk for e in ours],
            **data,
        )

    return form_page(
        request,
        form,
        save,
        template="relations/interaction_form.html",
        context={"account": account},
        done=lambda obj: _map_url(account.pk),
        message=_("The interaction “%(object)s” is recorded."),
    )


def account_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The relationship panel of the account page, for those who may see the map."""
    if not can_view_relations(request.user, account):
        return None
    data = selectors.account_map(account, profiles=False)
    return {
        "account": account,
        "relations_map": data,
        "relations_stages": Stage.choices,
        "relations_fire": fire.account_requests(account, open_only=True),
    }


# --- the iron triangle ---------------------------------------------------------------------------


@login_required
def team_dashboard(request: HttpRequest, account_id: int) -> HttpResponse:
    """The triangle's shared dashboard: team, tickets and SLA, complaints, usage, coverage,
    and the sections apps above plug in (relations.dashboard)."""
    account = _account(request, account_id)
    data = selectors.team_dashboard(account)
    return render(
        request,
        "relations/team_dashboard.html",
        {
            "account": account,
            "board": data,
            "sections": dashboard.rendered_for(request, account),
            "can_manage": can_manage_team(request.user, account),
            "fire": fire.account_requests(account, open_only=True),
            "can_call_fire": fire.can_call_fire(request.user, account, data.triangle),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    if not can_manage_team(request.user, account):
        raise PermissionDenied
    current = selectors.iron_triangle(account)
    initial: dict[str, Any] = {"account_manager": account.owner_id}
    if current is not None:
        initial = {
            "account_manager": current.account_manager_id,
            "solution_manager": current.solution_manager_id,
            "fulfilment_manager": current.fulfilment_manager_id,
            "members": [m.pk for m in current.members.all()],
            "version": current.version,
        }
    form = TriangleForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        lambda: team.triangle_set(account=account, by=request.user, **form.cleaned_data),
        template="relations/team_form.html",
        context={"account": account},
        done=lambda obj: reverse("relations:team", args=[account.pk]),
        message=_("The iron triangle is saved."),
    )


# --- call for fire -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def fire_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    if not fire.can_call_fire(request.user, account, selectors.iron_triangle(account)):
        raise PermissionDenied
    form = FireForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: fire.call_for_fire(account=account, by=request.user, **form.cleaned_data),
        template="relations/fire_form.html",
        context={"account": account},
        done=lambda obj: reverse("relations:fire-list"),
        message=_("Fire is called: %(object)s is in the department's queue."),
    )


@login_required
def fire_list(request: HttpRequest) -> HttpResponse:
    """The calls for fire the user raised (they follow each ticket), and for leads how fast
    each department answered."""
    if not is_staff_member(request.user):
        raise Http404
    leads = can_see_fire_speed(request.user)
    return render(
        request,
        "relations/fire_list.html",
        {
            "mine": fire.my_requests(request.user),
            "speed": fire.fire_speed() if leads else None,
        },
    )


@login_required
def coverage_list(request: HttpRequest) -> HttpResponse:
    """Every key account the user may see, by relationship coverage (the most gaps first)."""
    if not is_staff_member(request.user):
        raise Http404
    return render(
        request,
        "relations/coverage_list.html",
        {
            "rows": coverage.coverage_list(relations_accounts(request.user)),
            "gap_labels": dict(GapKind.choices),
            "roles_total": len(BuyingRoleKind.values),
        },
    )


@login_required
def reports_to(request: HttpRequest, pk: int) -> HttpResponse:
    """The org chart's drag and drop: put a person under another (or at the top), with the
    version the chart showed. JSON: 200 with the new version; 409 stale; 422 a loop or a
    manager of another account — with the message in the user's language, nothing changed."""
    person = _person(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    raw_manager = request.POST.get("reports_to", "").strip()
    raw_version = request.POST.get("version", "").strip()
    if not raw_version.isdigit() or (raw_manager and not raw_manager.isdigit()):
        return JsonResponse(
            {"error": _("Send the person's version and the manager's id.")}, status=422
        )
    try:
        saved = services.person_update(
            person=person,
            version=int(raw_version),
            reports_to_id=int(raw_manager) if raw_manager else None,
        )
    except StaleVersionError as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except ValidationError as exc:
        messages_ = [str(m) for msgs in exc.message_dict.values() for m in msgs]
        return JsonResponse({"error": " ".join(messages_)}, status=422)
    return JsonResponse(
        {"id": saved.pk, "reports_to": saved.reports_to_id, "version": saved.version}
    )


@login_required
def person_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase the person's personal profile on their request (POST; the audit log keeps that it
    was erased, by whom and when)."""
    person = _person(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.person_erase_profile(person=person, by=request.user)
    messages.success(request, _("The personal profile is erased; the audit log records it."))
    return redirect("relations:person-edit", person.pk)


@login_required
def person_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Everything held about the person, for a data-subject request (JSON or XLSX)."""
    person = _person(request, pk)
    if fmt not in ("json", "xlsx"):
        raise Http404
    data = selectors.person_export(person)
    if fmt == "xlsx":
        body = write_xlsx([_("section"), _("field"), _("value")], selectors.export_rows(data))
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.{fmt}"'
    return response


# --- import and export of the org map ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def map_import(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, edit=True)
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
            result = imports.import_map(
                account=account,
                filename=upload.name,
                data=upload.read(),
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
    status = 422 if (result is not None and not result.ok) or form.errors else 200
    return render(
        request,
        "relations/import.html",
        {"account": account, "form": form, "result": result, "columns": imports.COLUMNS},
        status=status,
    )


@login_required
def map_export(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    header, rows = imports.export_map(account)
    response = HttpResponse(
        write_xlsx(header, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="org-map-{account.pk}.xlsx"'
    return response
