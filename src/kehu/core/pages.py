"""View helpers shared by every app's pages, so a new app writes only what is its own.

- ``list_page``: the first rows of a filtered list, with "more" and an htmx rows-only variant;
  ``filters_from`` turns a valid filter form into the selector's filters.
- ``table_download``: a table as a CSV or XLSX download; ``uploaded_import``: the upload step of
  an import page (size limit, dry run), ``import_status`` its answer's status.
- ``FormPage``: the fixed parts of a create/edit page pair (template, where a save goes, the
  message), around ``kehu.core.forms.form_page`` (409 on a stale version, errors on the form).
- ``try_save``: a save whose refusal shows on the form (409 for a stale version).
- ``delete_page``: ask, then delete.
- ``said_action``: a small POST action whose outcome is only said in a message.
- ``object_action``: a POST-only action on an object's page (a status change, a link, a note):
  authorised, validated, 409/422 shown on the object's page, else a message and a redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, access_object, authorize
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors, form_page, post_action_target, refused_form
from kehu.core.services import DeletionBlocked, object_delete
from kehu.core.tabular import write_csv, write_xlsx

M = TypeVar("M", bound=Model)
F = TypeVar("F")

SAVED = gettext_lazy("%(object)s was saved.")
CREATED = gettext_lazy("%(object)s was created.")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


# --- lists -------------------------------------------------------------------------------------


def filters_from(form: forms.Form, build: Callable[[dict[str, Any]], F], default: F) -> F:
    """``build(cleaned_data)`` when the filter form is valid, else ``default``."""
    return build(form.cleaned_data) if form.is_valid() else default


def list_page(
    request: HttpRequest,
    rows: Any,
    *,
    name: str,
    template: str,
    rows_template: str | None = None,
    page_size: int = 100,
    **context: Any,
) -> HttpResponse:
    """The first ``page_size`` of ``rows`` as ``name``, with ``more`` saying whether there are
    more; an htmx request (the filter form's live update) gets ``rows_template`` only."""
    found = list(rows[: page_size + 1])
    context[name] = found[:page_size]
    context["more"] = len(found) > page_size
    htmx = getattr(request, "htmx", False)
    return render(request, rows_template if rows_template and htmx else template, context)


# --- downloads and imports ---------------------------------------------------------------------


def table_download(header: Sequence[str], rows: Any, fmt: str, filename: str) -> HttpResponse:
    """The table as ``filename.csv`` or ``filename.xlsx`` (another format: 404)."""
    if fmt == "csv":
        response = HttpResponse(write_csv(header, rows), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(write_xlsx(header, rows), content_type=XLSX)
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def uploaded_import(request: HttpRequest, form: forms.Form, run: Callable[..., Any]) -> Any:
    """On a valid POST of an import form (``file``, ``dry_run``): what the importer
    ``run(filename=, data=, dry_run=)`` returns, or None (a GET, an invalid form, or a file over
    ``IMPORT_MAX_BYTES``, which is said on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    upload = form.cleaned_data["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        form.add_error(
            "file",
            _("The file is larger than %(size)s bytes.") % {"size": settings.IMPORT_MAX_BYTES},
        )
        return None
    return run(filename=upload.name, data=upload.read(), dry_run=form.cleaned_data["dry_run"])


def import_status(result: Any) -> int:
    """422 for an import that was refused (nothing saved), else 200."""
    return 422 if result is not None and not result.ok else 200


# --- create and edit pages ---------------------------------------------------------------------


def to_detail(url_name: str) -> Callable[[Model], str]:
    """Where a save goes: the saved object's page (a URL name taking its pk)."""
    return lambda obj: reverse(url_name, args=[obj.pk])


def to_url(url_name: str) -> Callable[[Model], str]:
    """Where a save goes: a fixed page (a URL name without arguments)."""
    return lambda obj: reverse(url_name)


@dataclass(frozen=True)
class FormPage:
    """The parts a create page and its edit page share: the template, where a save goes and what
    is said after it (lazy, with ``%(object)s``; ``created`` after a create)."""

    template: str
    done: Callable[[Any], str]
    message: Any = SAVED
    created: Any = CREATED

    def __call__(
        self,
        request: HttpRequest,
        form: forms.BaseForm,
        save: Callable[[], Any],
        *,
        created: bool = False,
        **context: Any,
    ) -> HttpResponse:
        message = self.created if created else self.message
        return form_page(
            request,
            form,
            save,
            template=self.template,
            context=context,
            done=self.done,
            message=str(message),
        )

    def views(
        self,
        model: type[M],
        form_class: Callable[..., Any],
        services: Any,
        name: str,
        *,
        actor: bool = False,
        fields: Callable[[Any], dict[str, Any]] = lambda form: form.model_fields(),
        context: Callable[[M | None], dict[str, Any]] | None = None,
    ) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
        """The create and edit views of ``model`` through ``form_class``, saving with the app's
        ``services.<name>_create`` and ``services.<name>_update``.

        Create (``ADD`` on the model) calls ``<name>_create(fields=fields(form))``, edit
        (``CHANGE`` on the object) ``<name>_update(<name>=obj, expected_version=,
        fields=fields(form))``; with ``actor`` create gets ``actor=request.user`` too. The template gets the form, the object as
        ``name`` (None on create) and ``context(obj)``. The edit form works on its own copy, so a
        refused save leaves no edits on the object."""

        create = getattr(services, f"{name}_create")
        update = getattr(services, f"{name}_update")

        def extra(obj: M | None) -> dict[str, Any]:
            return {name: obj, **(context(obj) if context else {})}

        @login_required
        @require_http_methods(["GET", "POST"])
        def create_view(request: HttpRequest) -> HttpResponse:
            authorize(request.user, ADD, model)
            form = form_class(request.POST or None)
            by = {"actor": request.user} if actor else {}

            def save() -> Any:
                return create(fields=fields(form), **by)

            return self(request, form, save, created=True, **extra(None))

        @login_required
        @require_http_methods(["GET", "POST"])
        def edit_view(request: HttpRequest, pk: int) -> HttpResponse:
            obj = access_object(request.user, model, pk, action=CHANGE)
            form = form_class(request.POST or None, instance=model._default_manager.get(pk=pk))

            def save() -> Any:
                version = form.cleaned_data["version"] or 0
                return update(**{name: obj}, expected_version=version, fields=fields(form))

            return self(request, form, save, **extra(obj))

        return create_view, edit_view


def try_save(form: forms.BaseForm, save: Callable[[], Any], *, invalid: int = 200) -> int | None:
    """Run ``save``: None when it saved, else the status to show the form with, the refusal on
    it: 409 when someone saved since the form was opened, ``invalid`` for a ValidationError."""
    try:
        save()
    except StaleVersionError as exc:
        form.add_error(None, str(exc))
        return 409
    except ValidationError as exc:
        apply_model_errors(form, exc)
        return invalid
    return None


def versioned_update(
    update: Callable[..., Any], obj: Model, form: forms.BaseForm, **kwargs: Any
) -> Callable[[], Any]:
    """The ``save`` of an edit page whose form has ``changes()``: ``update(obj,
    expected_version=<the version the form was opened at>, changes=form.changes(), **kwargs)``."""

    def save() -> Any:
        version = form.cleaned_data["version"]
        return update(obj, expected_version=version, changes=form.changes(), **kwargs)  # type: ignore[attr-defined]

    return save


def delete_page(request: HttpRequest, obj: Model, *, done: str, cancel_url: str) -> HttpResponse:
    """Ask, then delete ``obj`` on POST (``object_delete``) and go to ``done``; a deletion other
    data blocks is said and the browser goes back to ``cancel_url``."""
    if request.method == "POST":
        try:
            object_delete(obj)
        except DeletionBlocked as exc:
            messages.error(request, str(exc))
            return redirect(cancel_url)
        messages.success(request, _("%(object)s was deleted.") % {"object": obj})
        return redirect(done)
    context = {"object": obj, "cancel_url": cancel_url}
    return render(request, "desk/confirm_delete.html", context)


# --- actions on an object's page ---------------------------------------------------------------


def said_action(
    request: HttpRequest,
    form: forms.BaseForm,
    run: Callable[[dict[str, Any]], Any],
    *,
    done: str,
    invalid: str,
    success: str | None = None,
) -> HttpResponse:
    """A small POST action whose outcome is said in a message, then back to ``done``:
    ``run(cleaned_data)``, and ``success``; a refusal's reasons, or ``invalid`` for a form that
    does not validate, as an error."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if success is not None:
                messages.success(request, success)
    else:
        messages.error(request, invalid)
    return redirect(done)


def object_action(
    request: HttpRequest,
    model: type[M],
    pk: int,
    *,
    form: Callable[[M], forms.BaseForm],
    name: str,
    detail: Callable[..., HttpResponse],
    run: Callable[[M, dict[str, Any]], Any],
    done: Callable[[Any], str] | str,
    message: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """A POST-only action on one object (``post_action_target``: 404/403, then 405). An invalid
    form shows the object's page (``detail``) with the form as ``name`` and 422; the service
    ``run(obj, cleaned_data)`` refusing shows it with 409 (stale version) or 422; else
    ``message(result)`` is said and the browser goes to ``done`` (a URL, or made from the object)."""
    obj = post_action_target(request, model, pk)
    if isinstance(obj, HttpResponse):
        return obj
    bound = form(obj)
    if not bound.is_valid():
        return detail(request, obj, 422, **{name: bound})
    try:
        result = run(obj, bound.cleaned_data)
    except (StaleVersionError, ValidationError) as exc:
        return refused_form(detail, request, obj, bound, name, exc)
    if message is not None:
        messages.success(request, message(result))
    return redirect(done if isinstance(done, str) else done(obj))


@dataclass(frozen=True)
class ObjectActions:
    """``object_action`` for the actions of one kind of object's page: ``detail`` renders the
    page, ``url_name`` (taking the pk) is where a done action goes, plus an ``anchor``."""

    model: type[Model]
    detail: Callable[..., HttpResponse]
    url_name: str

    def __call__(
        self,
        request: HttpRequest,
        pk: int,
        form: Callable[[Any], forms.BaseForm],
        name: str,
        run: Callable[[Any, dict[str, Any]], Any],
        *,
        anchor: str = "",
        message: Callable[[Any], str] | None = None,
    ) -> HttpResponse:
        return object_action(
            request,
            self.model,
            pk,
            form=form,
            name=name,
            detail=self.detail,
            run=run,
            done=reverse(self.url_name, args=[pk]) + anchor,
            message=message,
        )
