"""Staff pages of accounts and contacts: list, account page, edit, merge, import and export.

Customer portal users see their own account only through the portal: every page here answers
them 404, as if it did not exist.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import (
    ADD,
    CHANGE,
    VIEW,
    access_object,
    authorize,
    can,
    is_admin,
    is_staff_member,
)
from kehu.core.forms import form_page
from kehu.core.pages import FormPage, table_download, to_detail, to_url, uploaded_import
from kehu.core.services import DeletionBlocked
from kehu.customers import imports, panels, selectors, services
from kehu.customers.duplicates import find_duplicates
from kehu.customers.forms import (
    AccountFilterForm,
    AccountForm,
    ContactForm,
    CustomFieldForm,
    ImportForm,
    MergeForm,
    TeamMemberForm,
)
from kehu.customers.merge import account_merge
from kehu.customers.models import Account, AccountTeamMember, Contact, CustomField, TimelineEntry
from kehu.customers.rules import can_view_dossier

PAGE_SIZE = 50


def _staff_only(request: HttpRequest) -> None:
    """Everything here is for staff; anyone else is told it does not exist."""
    if not is_staff_member(request.user):
        raise Http404


def _account(request: HttpRequest, pk: int, action: str = VIEW) -> Account:
    _staff_only(request)
    return access_object(request.user, Account, pk, action=action)


FIELD_PAGE = FormPage(
    "customers/custom_field_form.html", done=to_url("customers:custom-field-list")
)
ACCOUNT_PAGE = FormPage("customers/account_form.html", done=to_detail("customers:account-detail"))


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    authorize(request.user, VIEW, Account)
    form = AccountFilterForm(request.GET or None)
    filters = selectors.AccountFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.AccountFilters(
            q=data["q"],
            level=data["level"],
            segment=data["segment"],
            owner_id=data["owner"].pk if data["owner"] else None,
            tag_id=data["tag"].pk if data["tag"] else None,
            region=data["region"],
            industry=data["industry"],
            active={"yes": True, "no": False}.get(data["active"]),
            sort=data["sort"],
        )
    page = Paginator(selectors.account_list(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "accounts": page.object_list,
        "query": query.urlencode(),
        "can_add": can(request.user, ADD, Account),
    }
    template = "customers/_account_rows.html" if request.htmx else "customers/account_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _timeline_kinds(request: HttpRequest) -> list[str]:
    valid = set(TimelineEntry.Kind.values)
    return [k for k in request.GET.getlist("kind") if k in valid]


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    detail = selectors.account_detail(account.pk)
    kinds = _timeline_kinds(request)
    context: dict[str, Any] = {
        "account": detail.account,
        "detail": detail,
        "can_change": can(request.user, CHANGE, account),
        "can_view_dossier": can_view_dossier(request.user, account),
        "panels": panels.rendered_for(request, detail.account),
        "timeline": selectors.timeline_page(detail.account, user=request.user, kinds=kinds),
        "timeline_kinds": TimelineEntry.Kind.choices,
        "chosen_kinds": kinds,
        "team_form": TeamMemberForm(),
        "today": timezone.localdate(),
    }
    return render(request, "customers/account_detail.html", context)


@login_required
def account_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """A page of the timeline (htmx: the "older" link and the kind filter load this)."""
    account = _account(request, pk)
    kinds = _timeline_kinds(request)
    timeline = selectors.timeline_page(
        account, user=request.user, kinds=kinds, cursor=request.GET.get("before", "")
    )
    return render(
        request,
        "customers/_timeline_rows.html",
        {"account": account, "timeline": timeline, "chosen_kinds": kinds},
    )


def _definitions() -> list[CustomField]:
    return list(CustomField.objects.all())


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    authorize(request.user, ADD, Account)
    form = AccountForm(request.POST or None, definitions=_definitions())
    candidates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        candidates = find_duplicates(
            name=form.cleaned_data["name"], name_en=form.cleaned_data["name_en"]
        )
        if candidates and not form.cleaned_data["allow_duplicate"]:
            form.add_error(
                "allow_duplicate",
                _("Similar accounts exist. Open one of them, or tick this box to create anyway."),
            )
    if not candidates:
        form.hide_create_anyway()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}

    def save() -> Account:
        return services.account_create(
            fields=form.account_fields(),
            owner=data["owner"],
            tags=services.split_tags(data["tags_text"]),
            custom_fields=form.custom_values(),
            actor=request.user,
        )

    custom = form.custom_field_names()
    return ACCOUNT_PAGE(
        request, form, save, created=True, account=None, candidates=candidates, custom=custom
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, CHANGE)
    form = AccountForm(request.POST or None, instance=account, definitions=_definitions())

    def save() -> Account:
        data = form.cleaned_data
        return services.account_update(
            Account.objects.get(pk=pk),
            expected_version=data["version"],
            fields=form.account_fields(),
            owner=data["owner"],
            owner_reason=data["owner_reason"],
            tags=services.split_tags(data["tags_text"]),
            custom_fields=form.custom_values(),
            actor=request.user,
        )

    account_now = Account.objects.get(pk=pk)
    custom = form.custom_field_names()
    return ACCOUNT_PAGE(request, form, save, account=account_now, candidates=[], custom=custom)


@login_required
@require_http_methods(["GET", "POST"])
def account_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, CHANGE)
    form = MergeForm(request.POST or None)
    if request.method == "GET":
        suggested = find_duplicates(
            name=account.name,
            name_en=account.name_en,
            emails=account.contacts.values_list("email", flat=True),
            phones=account.contacts.values_list("phone", flat=True),
            exclude_id=account.pk,
        )
        if suggested:
            form = MergeForm(initial={"other": suggested[0].account.pk})
    else:
        suggested = []
    if request.method == "POST" and form.is_valid():
        other = form.cleaned_data["other"]
        if other.pk == account.pk:
            form.add_error("other", _("Choose a different account."))
        elif not can(request.user, CHANGE, other):
            form.add_error("other", _("You may not change that account."))
        else:
            survivor, merged = (
                (account, other) if form.cleaned_data["survivor"] == "this" else (other, account)
            )
            try:
                result = account_merge(survivor=survivor, merged=merged, actor=request.user)
            except DeletionBlocked as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("%(merged)s was merged into %(survivor)s.")
                    % {"merged": result.merged_name, "survivor": survivor},
                )
                return redirect("customers:account-detail", survivor.pk)
    return render(
        request,
        "customers/account_merge.html",
        {"account": account, "form": form, "suggested": suggested},
        status=422 if form.is_bound and form.errors else 200,
    )


def _post_action(request: HttpRequest, pk: int) -> Account | HttpResponse:
    account = _account(request, pk, CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return account


@login_required
def team_add(request: HttpRequest, pk: int) -> HttpResponse:
    account = _post_action(request, pk)
    if isinstance(account, HttpResponse):
        return account
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        services.team_member_add(
            account=account, employee=form.cleaned_data["employee"], role=form.cleaned_data["role"]
        )
        messages.success(request, _("The team was updated."))
    else:
        messages.error(request, _("Choose an employee to add to the team."))
    return redirect(reverse("customers:account-detail", args=[pk]) + "#team")


@login_required
def team_remove(request: HttpRequest, pk: int) -> HttpResponse:
    account = _post_action(request, pk)
    if isinstance(account, HttpResponse):
        return account
    member_id = request.POST.get("member", "")
    member = (
        AccountTeamMember.objects.filter(account=account, pk=int(member_id)).first()
        if member_id.isdigit() and len(member_id) < 12
        else None
    )
    if member is None:
        raise Http404
    services.team_member_remove(member=member)
    messages.success(request, _("The team was updated."))
    return redirect(reverse("customers:account-detail", args=[pk]) + "#team")


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    _staff_only(request)
    authorize(request.user, ADD, Contact)
    form = ContactForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda: services.contact_create(account=account, fields=form.contact_fields()),
        template="customers/contact_form.html",
        context={"account": account, "contact": None},
        done=lambda obj: reverse("customers:account-detail", args=[pk]) + "#contacts",
        message=_("%(object)s was added."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    contact = access_object(
        request.user, Contact, pk, action=CHANGE, queryset=Contact.objects.select_related("account")
    )
    form = ContactForm(request.POST or None, instance=contact)
    return form_page(
        request,
        form,
        lambda: services.contact_update(
            Contact.objects.get(pk=pk),
            expected_version=form.cleaned_data["version"],
            fields=form.contact_fields(),
        ),
        template="customers/contact_form.html",
        context={"account": contact.account, "contact": Contact.objects.get(pk=pk)},
        done=lambda obj: (
            reverse("customers:account-detail", args=[contact.account_id]) + "#contacts"
        ),
        message=_("%(object)s was saved."),
    )


def _admin_only(request: HttpRequest) -> None:
    _staff_only(request)
    if not is_admin(request.user):
        raise PermissionDenied


@login_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    return render(request, "customers/custom_field_list.html", {"definitions": _definitions()})


@login_required
@require_http_methods(["GET", "POST"])
def custom_field_create(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = CustomFieldForm(request.POST or None)
    save = lambda: services.custom_field_create(fields=form.definition_fields())  # noqa: E731
    return FIELD_PAGE(request, form, save, created=True, definition=None)


@login_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    definition = CustomField.objects.filter(pk=pk).first()
    if definition is None:
        raise Http404
    form = CustomFieldForm(request.POST or None, instance=definition)

    def save() -> CustomField:
        version = form.cleaned_data["version"]
        fields = form.definition_fields()
        field = CustomField.objects.get(pk=pk)
        return services.custom_field_update(field, expected_version=version, fields=fields)

    return FIELD_PAGE(request, form, save, definition=CustomField.objects.get(pk=pk))


IMPORTERS = {"accounts": imports.import_accounts, "contacts": imports.import_contacts}
EXPORTERS = {"accounts": imports.account_export_rows, "contacts": imports.contact_export_rows}


def _import(request: HttpRequest, kind: str) -> HttpResponse:
    _staff_only(request)
    authorize(request.user, ADD, Account if kind == "accounts" else Contact)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = uploaded_import(request, form, partial(IMPORTERS[kind], user=request.user))
    columns = (
        imports.ACCOUNT_COLUMNS + [d.code for d in _definitions()]
        if kind == "accounts"
        else imports.CONTACT_COLUMNS
    )
    status = 422 if (result is not None and not result.ok) or form.errors else 200
    return render(
        request,
        "customers/import.html",
        {"form": form, "result": result, "kind": kind, "columns": columns},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_import(request: HttpRequest) -> HttpResponse:
    return _import(request, "accounts")


@login_required
@require_http_methods(["GET", "POST"])
def contact_import(request: HttpRequest) -> HttpResponse:
    return _import(request, "contacts")


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    _staff_only(request)
    authorize(request.user, VIEW, Account if kind == "accounts" else Contact)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    header, rows = EXPORTERS[kind]()
    return table_download(header, rows, fmt, f"kehu-{kind}")


@login_required
def account_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "accounts")


@login_required
def contact_export(request: HttpRequest) -> HttpResponse:
    return _export(request, "contacts")
