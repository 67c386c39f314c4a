"""Staff pages of handovers: start one (employee → accounts and new owners → confirm), the
list, a handover's checklist and the edit page of one item."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, access_object, authorize, require_staff
from kehu.core.forms import apply_model_errors, form_page
from kehu.handover import rules, selectors, services
from kehu.handover.forms import ChooseEmployeeForm, ItemForm, StartForm
from kehu.handover.models import Handover, HandoverItem
from kehu.org.models import Employee

PAGE_SIZE = 100


@login_required
def handover_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    rows = list(selectors.handover_list(request.user)[: PAGE_SIZE + 1])
    return render(
        request,
        "handover/handover_list.html",
        {
            "handovers": rows[:PAGE_SIZE],
            "more": len(rows) > PAGE_SIZE,
            "can_start": rules.can_start(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def handover_start(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, Handover)
    candidates = selectors.handover_candidates(request.user)
    chooser = ChooseEmployeeForm(
        request.GET if "employee" in request.GET else None, candidates=candidates
    )
    if not chooser.is_valid():
        return render(request, "handover/start_choose.html", {"chooser": chooser})
    employee: Employee = chooser.cleaned_data["employee"]
    accounts = list(selectors.accounts_to_hand_over(employee))
    owners = selectors.new_owner_choices(exclude=employee)
    form = StartForm(
        request.POST if request.method == "POST" else None, accounts=accounts, owners=owners
    )
    for account in accounts:
        account.chosen_owner = form.owner_for(account)  # type: ignore[attr-defined]
    context = {"employee": employee, "accounts": accounts, "owners": owners, "form": form}
    if request.method == "POST" and form.is_valid():
        if "confirm" not in request.POST:
            return render(request, "handover/start_confirm.html", context)
        try:
            handover = services.handover_start(
                from_employee=employee,
                assignments=form.assignments,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(ref)s started: %(count)s accounts have their new owners.")
                % {"ref": handover.reference, "count": len(form.assignments)},
            )
            return redirect("handover:detail", handover.pk)
    return render(
        request, "handover/start_accounts.html", context, status=422 if form.errors else 200
    )


@login_required
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = access_object(
        request.user,
        Handover,
        pk,
        queryset=Handover.objects.select_related("from_employee__department", "created_by"),
    )
    items = selectors.handover_items(request.user, handover)
    return render(
        request,
        "handover/handover_detail.html",
        {
            "handover": handover,
            "items": [(item, bool(rules.item_fields(request.user, item))) for item in items],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(
        request.user,
        HandoverItem,
        pk,
        action=CHANGE,
        queryset=HandoverItem.objects.select_related(
            "handover__from_employee", "account", "previous_owner", "new_owner"
        ),
    )
    allowed = rules.item_fields(request.user, item)
    if not allowed:
        raise Http404
    form = ItemForm(request.POST or None, instance=item, allowed=allowed)
    return form_page(
        request,
        form,
        lambda: services.handover_item_update(
            item=item,
            by=request.user,
            expected_version=form.cleaned_data["version"],
            changes=form.changes(),
            allowed=allowed,
        ),
        template="handover/item_form.html",
        context={"item": item, "handover": item.handover},
        done=lambda saved: reverse("handover:detail", args=[item.handover_id]),
        message=_("%(object)s was saved."),
    )
