"""Usage pages: an account's charts, import and export, swing alerts, products and swing rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import CHANGE, IMPORT, VIEW, access_object, authorize, can
from kehu.core.concurrency import StaleVersionError
from kehu.core.pages import (
    SAVED,
    FormPage,
    import_status,
    list_page,
    table_download,
    to_url,
    uploaded_import,
)
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier
from kehu.usage import charts, imports, selectors, services
from kehu.usage.forms import (
    AcknowledgeForm,
    AlertFilterForm,
    ImportForm,
    LongTermForm,
    ProductForm,
    SwingRuleForm,
)
from kehu.usage.models import Product, SwingAlert, SwingRule, UsageRecord

PAGE_SIZE = 100


def _dossier_account(request: HttpRequest, account_id: int) -> Account:
    """The account, if the user may read its usage (404 when not even the account, else 403)."""
    account = access_object(request.user, Account, account_id, queryset=Account.objects.all())
    if not can_view_dossier(request.user, account):
        raise PermissionDenied
    return account


# --- an account's usage ------------------------------------------------------------------------


def _share_rows(points: list[selectors.Point]) -> list[tuple[Any, Decimal | None, Decimal | None]]:
    """(month, our spend, share of wallet %) per month, over every product."""
    months: dict[Any, list[selectors.Point]] = {}
    for point in points:
        months.setdefault(point.period, []).append(point)
    return [
        (
            month,
            sum((p.spend for p in group if p.spend is not None), Decimal(0)),
            selectors.share_of_wallet(group),
        )
        for month, group in sorted(months.items())
    ]


@login_required
def account_usage(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _dossier_account(request, account_id)
    form = LongTermForm(request.GET or None)
    long = form.cleaned_data["long"] if form.is_valid() and form.cleaned_data["long"] else "week"
    end = selectors.today()
    long_start, _end = selectors.window(selectors.LONG_DAYS, end)
    mid_start, _end = selectors.window(selectors.MID_DAYS, end)
    short_start, _end = selectors.window(selectors.SHORT_DAYS, end)
    long_points = selectors.series(
        account_id=account.pk, start=long_start, end=end, granularity=long
    )
    months = (
        long_points
        if long == "month"
        else selectors.series(account_id=account.pk, start=long_start, end=end, granularity="month")
    )
    daily = selectors.series(account_id=account.pk, start=mid_start, end=end)
    products = charts.products_of(months)
    name = account.display_name
    context = {
        "account": account,
        "form": form,
        "long": long,
        "products": products,
        "long_chart": charts.usage_chart(
            long_points,
            products,
            start=long_start,
            end=end,
            granularity=long,
            title=_("Usage over two years, by %(period)s")
            % {"period": _("week") if long == "week" else _("month")},
            description=_("Usage of each product by %(name)s from %(start)s to %(end)s.")
            % {"name": name, "start": long_start, "end": end},
        ),
        "mid_chart": charts.usage_chart(
            daily,
            products,
            start=mid_start,
            end=end,
            granularity="day",
            title=_("Last 90 days, by day"),
            description=_("Daily usage of each product by %(name)s from %(start)s to %(end)s.")
            % {"name": name, "start": mid_start, "end": end},
        ),
        "short_chart": charts.usage_chart(
            [p for p in daily if p.period >= short_start],
            products,
            start=short_start,
            end=end,
            granularity="day",
            title=_("Last 14 days, by day"),
            description=_("Daily usage of each product by %(name)s from %(start)s to %(end)s.")
            % {"name": name, "start": short_start, "end": end},
        ),
        "spend_chart": charts.usage_chart(
            months,
            products,
            start=long_start,
            end=end,
            granularity="month",
            value="spend",
            title=_("Spend with us, by month"),
            description=_("Monthly spend of %(name)s on each product from %(start)s to %(end)s.")
            % {"name": name, "start": long_start, "end": end},
        ),
        "share_rows": _share_rows(months),
        "share_90": selectors.share_of_wallet(daily),
        "share_year": selectors.share_of_wallet(
            [p for p in months if p.period > end - timedelta(days=365)]
        ),
        "alerts": list(selectors.account_alerts(account)[:50]),
        "can_import": can(request.user, IMPORT, UsageRecord),
    }
    return render(request, "usage/account_usage.html", context)


@login_required
def account_export(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _dossier_account(request, account_id)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    records = UsageRecord.objects.filter(account=account).order_by("product__code", "day")
    header, rows = imports.export_rows(records)
    return table_download(header, rows, fmt, f"kehu-usage-{account.pk}")


# --- import ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, IMPORT, UsageRecord)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = uploaded_import(request, form, imports.import_usage)
    return render(
        request, "usage/import.html", {"form": form, "result": result}, status=import_status(result)
    )


# --- swing alerts ------------------------------------------------------------------------------


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, SwingAlert)
    form = AlertFilterForm(request.GET or None)
    filters = selectors.AlertFilters(status=SwingAlert.Status.OPEN)
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.AlertFilters(
            status=data["status"] if "status" in request.GET else SwingAlert.Status.OPEN,
            product_id=data["product"].pk if data["product"] else None,
            rule_id=data["rule"].pk if data["rule"] else None,
        )
    else:
        form = AlertFilterForm(initial={"status": SwingAlert.Status.OPEN})
    rows = selectors.alert_list(request.user, filters)
    return list_page(
        request,
        rows,
        name="alerts",
        template="usage/alert_list.html",
        page_size=PAGE_SIZE,
        form=form,
    )


@login_required
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = SwingAlert.objects.select_related("account", "product", "rule")
    alert = access_object(request.user, SwingAlert, pk, action=CHANGE, queryset=queryset)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AcknowledgeForm(request.POST)
    error, status = "", 200
    if not form.is_valid():
        error, status = _("Write a note of at most 500 characters."), 422
    else:
        try:
            services.alert_acknowledge(
                alert=alert,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )
        except StaleVersionError as exc:
            error, status = str(exc), 409
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 409
    if status == 200:
        target = request.POST.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("usage:alerts")
    alert.refresh_from_db()
    return render(
        request, "usage/alert_refused.html", {"alert": alert, "error": error}, status=status
    )


# --- products and swing rules (administrators) --------------------------------------------------


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, CHANGE, Product)
    products = Product.objects.order_by("code")
    return render(request, "usage/product_list.html", {"products": products})


def _fields(form: Any, form_class: Any) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form_class.Meta.fields}


def _object_views(
    model: Any, form_class: Any, name: str, list_url: str, new_title: Any
) -> tuple[Callable[..., HttpResponse], Callable[..., HttpResponse]]:
    """Create and edit pages of products and swing rules."""

    def context(obj: Any) -> dict[str, Any]:
        title = new_title if obj is None else _("Edit %(name)s") % {"name": obj}
        return {"title": title, "cancel_url": reverse(list_url)}

    page = FormPage("usage/object_form.html", done=to_url(list_url), created=SAVED)
    fields = partial(_fields, form_class=form_class)
    return page.views(model, form_class, services, name, fields=fields, context=context)


product_create, product_edit = _object_views(
    Product, ProductForm, "product", "usage:products", gettext_lazy("New product")
)


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, CHANGE, SwingRule)
    return render(request, "usage/rule_list.html", {"rules": selectors.rules()})


rule_create, rule_edit = _object_views(
    SwingRule, SwingRuleForm, "rule", "usage:rules", gettext_lazy("New swing rule")
)
