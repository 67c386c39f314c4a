"""Staff pages of the dossier: an account's dossier, entries with history and diff,
attachments, visits with follow-ups, the planning list, import and export."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.permissions import CHANGE, access_object
from kehu.core.forms import form_page
from kehu.core.pages import (
    FormPage,
    import_status,
    table_download,
    to_detail,
    uploaded_import,
    versioned_update,
)
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier, can_view_dossier
from kehu.dossier import imports, selectors, services
from kehu.dossier.diff import diff_inline, diff_lines
from kehu.dossier.forms import (
    AttachmentForm,
    EntryForm,
    FollowUpForm,
    ImportForm,
    VisitDoneForm,
    VisitForm,
)
from kehu.dossier.models import DossierAttachment, DossierEntry, Section, Visit, VisitFollowUp
from kehu.dossier.rules import edits_any_dossier, reads_any_dossier

log = logging.getLogger(__name__)


def _account(user: Any, account_id: int, *, edit: bool = False) -> Account:
    """The account for its dossier: 404 to those who may not read it, 403 to readers who may
    not change it."""
    account = Account.objects.select_related("owner").filter(pk=account_id).first()
    if account is None or not can_view_dossier(user, account):
        raise Http404
    if edit and not can_edit_dossier(user, account):
        raise PermissionDenied
    return account


def _entry(request: HttpRequest, pk: int, action: str = "view") -> DossierEntry:
    return access_object(
        request.user, DossierEntry, pk, action=action, queryset=selectors.entries()
    )


def _visit(request: HttpRequest, pk: int, action: str = "view") -> Visit:
    return access_object(
        request.user, Visit, pk, action=action, queryset=selectors.visits_with_people()
    )


# --- the account's dossier ---------------------------------------------------------------------


@login_required
def account_dossier(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request.user, account_id)
    status_filter = request.GET.get("status", "")
    if status_filter not in selectors.STATUS_FILTERS:
        status_filter = ""
    dossier = selectors.account_dossier(account, status_filter=status_filter)
    return render(
        request,
        "dossier/account_dossier.html",
        {
            "account": account,
            "dossier": dossier,
            "can_edit": can_edit_dossier(request.user, account),
            "sections": Section,
        },
    )


# --- entries -----------------------------------------------------------------------------------

ENTRY_PAGE = FormPage(
    "dossier/entry_form.html",
    done=to_detail("dossier:entry-detail"),
    message=gettext_lazy("“%(object)s” was saved."),
    created=gettext_lazy("“%(object)s” was added to the dossier."),
)
VISIT_PAGE = FormPage(
    "dossier/visit_form.html",
    done=to_detail("dossier:visit-detail"),
    message=gettext_lazy("The visit “%(object)s” was saved."),
)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request.user, account_id, edit=True)
    section = request.GET.get("section") or request.POST.get("section") or ""
    if section not in Section.values:
        section = Section.BASE_NOTES
    initial = {"body": services.ARCHITECTURE_TEMPLATE} if section == Section.ARCHITECTURE else {}
    form = EntryForm(request.POST or None, section=section, initial=initial)

    def save() -> DossierEntry:
        return services.entry_create(
            account=account, actor=request.user, section=section, **form.changes()
        )

    return ENTRY_PAGE(
        request,
        form,
        save,
        created=True,
        account=account,
        entry=None,
        section=section,
        section_label=Section(section).label,
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk, CHANGE)
    form = EntryForm(request.POST or None, instance=entry, section=entry.section)

    save = versioned_update(services.entry_update, entry, form, actor=request.user)
    return ENTRY_PAGE(
        request,
        form,
        save,
        account=entry.account,
        entry=DossierEntry.objects.get(pk=pk),
        section=entry.section,
        section_label=entry.get_section_display(),
    )


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    return render(
        request,
        "dossier/entry_detail.html",
        {
            "entry": entry,
            "account": entry.account,
            "attachments": list(entry.attachments.select_related("uploaded_by")),
            "revision_count": entry.revisions.count(),
            "can_edit": can_edit_dossier(request.user, entry.account),
            "attachment_form": AttachmentForm(),
        },
    )


@login_required
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk, "delete")
    account_id = entry.account_id
    services.entry_delete(entry, actor=request.user)
    messages.success(request, _("“%(title)s” was deleted.") % {"title": entry.title})
    return redirect("dossier:account", account_id)


@login_required
def entry_history(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    revisions = list(selectors.revisions(entry))
    return render(
        request,
        "dossier/entry_history.html",
        {"entry": entry, "account": entry.account, "revisions": revisions},
    )


def _number(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@login_required
def entry_diff(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    revisions = {r.number: r for r in selectors.revisions(entry)}
    if not revisions:
        raise Http404
    newest = max(revisions)
    old_number = _number(request.GET.get("a")) or max(newest - 1, 1)
    new_number = _number(request.GET.get("b")) or newest
    if old_number not in revisions or new_number not in revisions:
        messages.error(request, _("Choose two revisions of this entry."))
        return redirect("dossier:entry-history", pk)
    old, new = revisions[old_number], revisions[new_number]
    old_title, new_title = diff_inline(old.title, new.title)
    return render(
        request,
        "dossier/entry_diff.html",
        {
            "entry": entry,
            "account": entry.account,
            "old": old,
            "new": new,
            "old_title": old_title,
            "new_title": new_title,
            "lines": diff_lines(old.body, new.body),
            "status_changed": old.status != new.status,
            "date_changed": old.happened_on != new.happened_on,
        },
    )


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk, CHANGE)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("dossier:entry-detail", pk)
    try:
        services.attachment_add(entry, actor=request.user, files=[form.cleaned_data["file"]])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The file was attached."))
    return redirect("dossier:entry-detail", pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access_object(
        request.user,
        DossierAttachment,
        pk,
        queryset=DossierAttachment.objects.select_related("entry__account"),
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        log.error("dossier attachment %s: file %s is missing", attachment.pk, attachment.file.name)
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type
        if attachment.content_type.startswith("image/")
        else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# --- visits ------------------------------------------------------------------------------------


@login_required
def planning(request: HttpRequest) -> HttpResponse:
    if not reads_any_dossier(request.user):
        raise PermissionDenied
    mine = request.GET.get("mine") == "1"
    return render(
        request,
        "dossier/planning.html",
        {"planning": selectors.planning(request.user, mine=mine), "mine": mine},
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request.user, account_id, edit=True)
    form = VisitForm(request.POST or None, account=account)

    def save() -> Visit:
        return services.visit_create(account=account, actor=request.user, **form.changes())

    return VISIT_PAGE(request, form, save, account=account, visit=None)


@login_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, CHANGE)
    form = VisitForm(request.POST or None, instance=visit, account=visit.account)

    save = versioned_update(services.visit_update, visit, form, actor=request.user)
    visit_now = Visit.objects.get(pk=pk)
    return VISIT_PAGE(request, form, save, account=visit.account, visit=visit_now)


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    return render(
        request,
        "dossier/visit_detail.html",
        {
            "visit": visit,
            "account": visit.account,
            "can_edit": can_edit_dossier(request.user, visit.account),
            "follow_up_form": FollowUpForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, CHANGE)
    form = VisitDoneForm(
        request.POST or None,
        initial={
            "version": visit.version,
            "visited_on": visit.visited_on or visit.planned_on,
            "summary": visit.summary,
        },
    )

    def save() -> Visit:
        data = form.cleaned_data
        follow_ups = (
            [
                services.NewFollowUp(
                    description=data["follow_up"],
                    owner=data["follow_up_owner"],
                    due_on=data["follow_up_due_on"],
                )
            ]
            if data["follow_up"].strip()
            else []
        )
        return services.visit_mark_done(
            visit,
            actor=request.user,
            expected_version=data["version"],
            visited_on=data["visited_on"],
            summary=data["summary"],
            follow_ups=follow_ups,
        )

    return form_page(
        request,
        form,
        save,
        template="dossier/visit_done.html",
        context={"account": visit.account, "visit": visit},
        done=lambda obj: reverse("dossier:visit-detail", args=[obj.pk]),
        message=_("The visit “%(object)s” was recorded as done."),
    )


@login_required
@require_POST
def visit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, "delete")
    account_id = visit.account_id
    services.visit_delete(visit, actor=request.user)
    messages.success(request, _("The visit was deleted."))
    return redirect("dossier:account", account_id)


@login_required
@require_POST
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk, CHANGE)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_add(visit, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The follow-up was added."))
            return redirect(reverse("dossier:visit-detail", args=[pk]) + "#follow-ups")
    return render(
        request,
        "dossier/visit_detail.html",
        {
            "visit": visit,
            "account": visit.account,
            "can_edit": True,
            "follow_up_form": form,
        },
        status=422,
    )


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = access_object(
        request.user,
        VisitFollowUp,
        pk,
        action=CHANGE,
        queryset=VisitFollowUp.objects.select_related("visit__account"),
    )
    services.follow_up_complete(
        follow_up, actor=request.user, done=request.POST.get("done", "1") != "0"
    )
    target = request.POST.get("next")
    if target == "planning":
        return redirect("dossier:visits")
    return redirect(reverse("dossier:visit-detail", args=[follow_up.visit_id]) + "#follow-ups")


# --- import and export -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    if not edits_any_dossier(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = uploaded_import(request, form, partial(imports.import_entries, user=request.user))
    context = {"form": form, "result": result, "columns": imports.COLUMNS}
    return render(request, "dossier/import.html", context, status=import_status(result))


@login_required
def export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    account_id = _number(request.GET.get("account"))
    if account_id is not None:
        account = _account(request.user, account_id)
        found = selectors.entries().filter(account=account)
        name = f"kehu-dossier-{account.pk}"
    else:
        if not reads_any_dossier(request.user):
            raise PermissionDenied
        found = selectors.readable_entries(request.user)
        name = "kehu-dossier"
    header, rows = imports.export_rows(found)
    return table_download(header, rows, fmt, name)
