"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from kehu.access.permissions import CHANGE, access_object
from kehu.core.concurrency import StaleVersionError
from kehu.core.text import clean_line

M = TypeVar("M", bound=Model)


class CleanLinesMixin:
    """Put first in the bases of a form whose one-line text inputs hold subjects or names: their
    values lose bidirectional control characters (``core.text.clean_line``) before the form's
    own checks and before a model form builds its instance. Text areas are left alone."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or self.cleaned_data  # type: ignore[misc]
        for name, field in self.fields.items():
            value = data.get(name)
            if isinstance(value, str) and isinstance(field.widget, forms.TextInput):
                data[name] = clean_line(value)
        return data


def apply_model_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[], Model],
    *,
    template: str,
    context: dict[str, Any],
    done: Callable[[Model], str],
    message: str,
) -> HttpResponse:
    """A create or edit page: on a valid POST call ``save`` (one service call), then say
    ``message`` and go to ``done(obj)``. Someone else's save since the form was opened shows the
    form again with 409, nothing saved; a service's ValidationError shows on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save()
        except StaleVersionError as exc:
            form.add_error(None, str(exc))
            return render(request, template, {**context, "form": form}, status=409)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, message % {"object": obj})
            return redirect(done(obj))
    return render(request, template, {**context, "form": form})


def post_action_target(request: HttpRequest, model: type[M], pk: int) -> M | HttpResponse:
    """The object of a POST-only action: authorised first (404/403, so a GET learns nothing
    it may not see), then the method is checked (405)."""
    obj = access_object(request.user, model, pk, action=CHANGE)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return obj


def refused_form(
    detail: Callable[..., HttpResponse],
    request: HttpRequest,
    obj: Any,
    form: forms.BaseForm,
    name: str,
    exc: StaleVersionError | ValidationError,
) -> HttpResponse:
    """Re-render an object's page with the failed action's form: 409 when someone saved the
    object in between, 422 with the errors on the form otherwise."""
    if isinstance(exc, StaleVersionError):
        form.add_error(None, str(exc))
        return detail(request, obj, 409, **{name: form})
    apply_model_errors(form, exc)
    return detail(request, obj, 422, **{name: form})
