"""Staff pages of contracts: list and search, create and edit with the five element groups,
the detail page (elements, totals, risk findings, approval trail, versions, change orders),
lifecycle and approval actions, generated documents, the approver's inbox, change orders and
version comparison. Decisions: rules.py (who), services / approvals / changes (what)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, can, require_staff
from kehu.contracts import approvals, changes, documents, selectors, services
from kehu.contracts import elements as el
from kehu.contracts.forms import (
    ChangeForm,
    DecisionForm,
    ElementsForm,
    HeaderForm,
    LineFormSet,
    MilestoneFormSet,
    TransitionForm,
    rows,
)
from kehu.contracts.models import (
    ApprovalStep,
    ChangeOrder,
    ChangeStatus,
    Contract,
    Kind,
    Status,
)
from kehu.contracts.rules import can_edit_contract
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors

PAGE_SIZE = 50


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    q = request.GET.get("q", "")[:200]
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    contracts = selectors.contract_list(request.user, q=q, status=status)
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": Status.choices,
            "can_add": can(request.user, ADD, Contract),
        },
    )


def _element_forms(
    request: HttpRequest, initial: dict[str, Any] | None = None
) -> tuple[ElementsForm, Any, Any]:
    data = request.POST if request.method == "POST" else None
    initial = initial or {}
    return (
        ElementsForm(
            data, initial={k: v for k, v in initial.items() if k not in ("lines", "milestones")}
        ),
        LineFormSet(data, prefix="lines", initial=initial.get("lines") or None),
        MilestoneFormSet(data, prefix="milestones", initial=initial.get("milestones") or None),
    )


def _elements(form: ElementsForm, lines: Any, milestones: Any) -> dict[str, Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    data["lines"] = rows(lines)
    data["milestones"] = rows(milestones)
    return data


def _show_errors(form: ElementsForm, lines: Any, milestones: Any, exc: ValidationError) -> None:
    """Put the services' element errors (``lines.2.unit_price``) on the right form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        parts = key.split(".")
        if parts[0] in ("lines", "milestones") and len(parts) == 3:
            formset = lines if parts[0] == "lines" else milestones
            kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            index = int(parts[1])
            if index < len(kept):
                kept[index].add_error(parts[2] if parts[2] in kept[index].fields else None, errors)
                continue
        form.add_error(key if key in form.fields else None, errors)


def _initial(contract: Contract) -> dict[str, Any]:
    data = el.snapshot(contract)
    data["version"] = contract.version
    return data


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, Contract)
    header = HeaderForm(request.POST or None, request.FILES or None)
    form, lines, milestones = _element_forms(
        request, {"currency": "CNY", "exchange_rate": 1, "payment_days": 30}
    )
    status = 200
    if request.method == "POST":
        valid = all([header.is_valid(), form.is_valid(), lines.is_valid(), milestones.is_valid()])
        if valid:
            upload = header.cleaned_data["document"]
            try:
                text = ""
                if upload is not None:
                    text = documents.extract_text(upload.name, upload.read())
                    upload.seek(0)
                if (
                    header.cleaned_data["kind"] == Kind.FORMAT
                    and header.cleaned_data["template"] is None
                ):
                    raise ValidationError({"template": _("A format contract needs its template.")})
                contract = services.contract_create(
                    by=request.user,
                    account=header.cleaned_data["account"],
                    contract_type=header.cleaned_data["contract_type"],
                    kind=header.cleaned_data["kind"],
                    template=header.cleaned_data["template"],
                    document=upload,
                    document_text=text,
                    elements=_elements(form, lines, milestones),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and set(exc.error_dict) & set(header.fields):
                    apply_model_errors(header, exc)
                else:
                    _show_errors(form, lines, milestones, exc)
                status = 422
            else:
                messages.success(
                    request, _("Contract %(number)s drafted.") % {"number": contract.number}
                )
                return redirect("contracts:detail", contract.pk)
        else:
            status = 422
    return render(
        request,
        "contracts/form.html",
        {
            "header": header,
            "form": form,
            "lines": lines,
            "milestones": milestones,
            "contract": None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_object(request.user, Contract, pk, CHANGE)
    if contract.status not in services.EDITABLE:
        messages.error(
            request, _("Only a draft's elements can be edited; propose a change order instead.")
        )
        return redirect("contracts:detail", pk)
    form, lines, milestones = _element_forms(request, _initial(contract))
    status = 200
    if request.method == "POST":
        if form.is_valid() and lines.is_valid() and milestones.is_valid():
            try:
                services.contract_update(
                    contract=contract,
                    version=form.cleaned_data["version"] or 0,
                    elements=_elements(form, lines, milestones),
                    by=request.user,
                )
            except StaleVersionError as exc:
                form.add_error(None, str(exc))
                status = 409
            except services.TransitionRefused as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                _show_errors(form, lines, milestones, exc)
                status = 422
            else:
                messages.success(request, _("Saved."))
                return redirect("contracts:detail", pk)
        else:
            status = 422
    return render(
        request,
        "contracts/form.html",
        {"form": form, "lines": lines, "milestones": milestones, "contract": contract},
        status=status,
    )


def _detail(request: HttpRequest, pk: int, status: int = 200, error: str = "") -> HttpResponse:
    detail = selectors.contract_detail(request.user, pk)
    contract = detail.contract
    user = request.user
    decidable = {
        step.pk
        for run in detail.runs
        for step in run.steps.all()
        if step.status == "pending"
        and any(a.user_id == user.pk for a in step.assignees.all())
        and not any(d.approver_id == user.pk for d in step.decisions.all())
    }
    editable = can_edit_contract(user, contract) and _can_change(request, contract)
    return render(
        request,
        "contracts/detail.html",
        {
            "detail": detail,
            "contract": contract,
            "groups": _groups(contract),
            "can_edit": editable,
            "next_statuses": [(s, Status(s).label) for s in services.next_statuses(contract)]
            if editable
            else [],
            "decidable": decidable,
            "decision_form": DecisionForm(),
            "error": error,
            "changeable": editable and contract.status in services.CHANGEABLE,
        },
        status=status,
    )


def _groups(contract: Contract) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """The element groups as (label, [(field label, shown value)]) for the detail page."""
    shown = []
    for label, names in el.GROUPS:
        fields = []
        for name in names:
            if name in ("lines", "milestones"):
                continue
            field = Contract._meta.get_field(name)
            value = getattr(contract, name)
            if getattr(field, "choices", None):
                value = getattr(contract, f"get_{name}_display")()
            fields.append((getattr(field, "verbose_name", name), value))
        shown.append((label, fields))
    return shown


def _can_change(request: HttpRequest, contract: Contract) -> bool:
    return can(request.user, CHANGE, contract)


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@login_required
@require_POST
def contract_transition(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_object(request.user, Contract, pk, CHANGE)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _detail(request, pk, 422, _("The request is not valid."))
    try:
        services.contract_transition(
            contract=contract,
            to=form.cleaned_data["to"],
            by=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except (services.TransitionRefused, StaleVersionError) as exc:
        return _detail(request, pk, 409, str(exc))
    messages.success(request, _("Status changed."))
    return redirect("contracts:detail", pk)


@login_required
@require_POST
def contract_submit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_object(request.user, Contract, pk, CHANGE)
    try:
        approvals.submit(
            contract=contract, by=request.user, version=int(request.POST.get("version") or 0)
        )
    except (services.TransitionRefused, StaleVersionError) as exc:
        return _detail(request, pk, 409, str(exc))
    except ValidationError as exc:
        return _detail(request, pk, 422, " ".join(exc.messages))
    messages.success(request, _("Sent for approval."))
    return redirect("contracts:detail", pk)


@login_required
@require_POST
def step_decide(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user)
    step = ApprovalStep.objects.select_related("run").filter(pk=pk).first()
    if step is None:
        raise Http404
    contract = access_object(request.user, Contract, step.run.contract_id, VIEW)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, contract.pk, 422, _("Choose approve, reject or return."))
    try:
        approvals.decide(
            step_id=step.pk,
            by=request.user,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
        )
    except approvals.ApprovalRefused as exc:
        return _detail(request, contract.pk, 409, str(exc))
    except ValidationError as exc:
        return _detail(request, contract.pk, 422, " ".join(exc.messages))
    messages.success(request, _("Your decision is recorded."))
    return redirect("contracts:detail", contract.pk)


def _document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    contract = access_object(
        request.user,
        Contract,
        pk,
        VIEW,
        queryset=Contract.objects.select_related("account", "template"),
    )
    if contract.template_id is None:
        raise Http404
    try:
        data = documents.to_docx(contract) if kind == "docx" else documents.to_pdf(contract)
    except ValidationError as exc:
        return _detail(request, pk, 422, " ".join(exc.messages))
    content_type = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if kind == "docx"
        else "application/pdf"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{contract.number}.{kind}"'
    return response


@login_required
def contract_docx(request: HttpRequest, pk: int) -> HttpResponse:
    return _document(request, pk, "docx")


@login_required
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _document(request, pk, "pdf")


@login_required
def contract_upload(request: HttpRequest, pk: int) -> FileResponse:
    contract = access_object(request.user, Contract, pk, VIEW)
    if not contract.document:
        raise Http404
    return FileResponse(contract.document.open("rb"), as_attachment=True)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    return render(request, "contracts/inbox.html", {"steps": approvals.inbox(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def change_create(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_object(request.user, Contract, pk, CHANGE)
    if contract.status not in services.CHANGEABLE:
        messages.error(request, _("This contract takes no change orders in its status."))
        return redirect("contracts:detail", pk)
    reason = ChangeForm(request.POST or None)
    form, lines, milestones = _element_forms(request, _initial(contract))
    status = 200
    if request.method == "POST":
        if all([reason.is_valid(), form.is_valid(), lines.is_valid(), milestones.is_valid()]):
            try:
                change = changes.change_create(
                    contract=contract,
                    by=request.user,
                    reason=reason.cleaned_data["reason"],
                    elements=_elements(form, lines, milestones),
                )
            except services.TransitionRefused as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                _show_errors(form, lines, milestones, exc)
                status = 422
            else:
                messages.success(request, _("Change order proposed."))
                return redirect("contracts:change-detail", change.pk)
        else:
            status = 422
    return render(
        request,
        "contracts/form.html",
        {
            "form": form,
            "lines": lines,
            "milestones": milestones,
            "contract": contract,
            "reason_form": reason,
        },
        status=status,
    )


@login_required
def change_detail(
    request: HttpRequest, pk: int, status: int = 200, error: str = ""
) -> HttpResponse:
    change = access_object(
        request.user, ChangeOrder, pk, VIEW, queryset=ChangeOrder.objects.select_related("contract")
    )
    return render(
        request,
        "contracts/change.html",
        {
            "change": change,
            "contract": change.contract,
            "rows": changes.change_diff(change),
            "can_submit": _can_change(request, change.contract)
            and change.status in (ChangeStatus.DRAFT, ChangeStatus.RETURNED),
            "error": error,
        },
        status=status,
    )


@login_required
@require_POST
def change_submit(request: HttpRequest, pk: int) -> HttpResponse:
    change = access_object(request.user, ChangeOrder, pk, CHANGE)
    try:
        changes.change_submit(
            change=change, by=request.user, version=int(request.POST.get("version") or 0)
        )
    except (services.TransitionRefused, StaleVersionError) as exc:
        return change_detail(request, pk, 409, str(exc))
    except ValidationError as exc:
        return change_detail(request, pk, 422, " ".join(exc.messages))
    messages.success(request, _("Change order sent for approval."))
    return redirect("contracts:detail", change.contract_id)


@login_required
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    contract = access_object(request.user, Contract, pk, VIEW)
    numbers = list(contract.versions.values_list("number", flat=True))
    try:
        left = int(request.GET.get("left") or (numbers[-2] if len(numbers) > 1 else 1))
        right = int(request.GET.get("right") or (numbers[-1] if numbers else 1))
    except ValueError as exc:
        raise Http404 from exc
    if not numbers:
        raise Http404
    comparison = selectors.compare_versions(contract, left, right)
    return render(
        request,
        "contracts/compare.html",
        {"contract": contract, "comparison": comparison, "numbers": numbers},
    )
