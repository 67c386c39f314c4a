"""REST endpoints of the usage app (/api/usage)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import WithJsonSchema

from kehu.access.permissions import CHANGE, IMPORT, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier
from kehu.usage import imports, selectors, services
from kehu.usage.models import Product, SwingAlert, UsageRecord

router = Router(tags=["usage"])

SwingAlertStatus = Annotated[
    SwingAlert.Status,
    WithJsonSchema(
        {"type": "string", "enum": list(SwingAlert.Status.values), "title": "SwingAlertStatus"}
    ),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Amount = Annotated[Decimal, Field(ge=0, lt=Decimal("1e14"), max_digits=18, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, lt=Decimal("1e14"), max_digits=16, decimal_places=2)]
MAX_RECORDS = 10_000


class RecordIn(Schema):
    account_id: Id
    product: str = Field(..., min_length=1, max_length=40, description="The product's code")
    day: date
    quantity: Amount
    spend: Money | None = None
    total_spend: Money | None = Field(
        None, description="The customer's whole spend on this kind of product, when known"
    )


class RecordsIn(Schema):
    records: list[RecordIn] = Field(..., min_length=1, max_length=MAX_RECORDS)


class RecordsOut(Schema):
    created: int
    updated: int = Field(..., description="Records that replaced a stored day")


class PointOut(Schema):
    product: str
    period: date
    quantity: Decimal
    spend: Decimal | None
    total_spend: Decimal | None


class SeriesFilter(Schema):
    product: str | None = Field(None, max_length=40, description="A product code; empty: all")
    start: date | None = Field(None, alias="from", description="First day (default: 90 days ago)")
    end: date | None = Field(None, alias="to", description="Last day (default: today)")
    granularity: Literal["day", "week", "month"] = "day"


class AlertOut(Schema):
    id: int
    account_id: int
    product: str
    rule_id: int
    rule_name: str
    day: date
    baseline_value: Decimal
    current_value: Decimal
    change_percent: Decimal | None
    status: SwingAlertStatus
    acknowledged_by_id: int | None
    note: str
    version: int

    @staticmethod
    def resolve_product(obj: SwingAlert) -> str:
        return obj.product.code

    @staticmethod
    def resolve_rule_name(obj: SwingAlert) -> str:
        return obj.rule.name


class AlertFilter(Schema):
    status: SwingAlertStatus | None = None
    product: str | None = Field(None, max_length=40)
    rule_id: Id | None = None
    account_id: Id | None = None


class AcknowledgeIn(Schema):
    version: int
    note: str = Field("", max_length=500)


@router.post(
    "/records",
    response={200: RecordsOut, **ERRORS},
    summary="Store a batch of daily usage records (all or nothing; a stored day is replaced)",
)
def records_store(request: HttpRequest, payload: RecordsIn) -> Any:
    authorize(request.user, IMPORT, UsageRecord)
    rows = ((index, record.dict()) for index, record in enumerate(payload.records))
    values = (
        (
            index,
            {
                "account": data["account_id"],
                "product": data["product"],
                "day": data["day"],
                "quantity": data["quantity"],
                "spend": data["spend"],
                "total_spend": data["total_spend"],
            },
        )
        for index, data in rows
    )
    result = imports.run_import(values, dry_run=False, result=imports.ImportResult())
    if not result.ok:
        raise ValidationError(
            {f"records.{e.line}.{_field(e.column)}": e.message for e in result.errors}
        )
    return {"created": result.created, "updated": result.updated}


def _field(column: str) -> str:
    return "account_id" if column == "account" else column


def _readable_account(request: HttpRequest, account_id: int) -> Account:
    account = access_object(request.user, Account, account_id)
    if not can_view_dossier(request.user, account):
        raise PermissionDenied
    return account


@router.get(
    "/accounts/{int:account_id}/series",
    response={200: list[PointOut], **ERRORS},
    summary="An account's usage per product and day, week (from Monday) or month",
)
def account_series(request: HttpRequest, account_id: int, filters: Query[SeriesFilter]) -> Any:
    account = _readable_account(request, account_id)
    end = filters.end or selectors.today()
    start = filters.start or selectors.window(selectors.MID_DAYS, end)[0]
    if start > end:
        raise ValidationError({"from": "The first day is after the last day."})
    if (end - start).days > 3660:
        raise ValidationError({"from": "Ask for at most ten years at a time."})
    products = {p.pk: p.code for p in Product.objects.all()}
    product_ids = None
    if filters.product:
        product_ids = [pk for pk, code in products.items() if code == filters.product.lower()]
        if not product_ids:
            raise ValidationError({"product": "No product has this code."})
    points = selectors.series(
        account_id=account.pk,
        start=start,
        end=end,
        granularity=filters.granularity,
        product_ids=product_ids,
    )
    return [
        {
            "product": products[p.product_id],
            "period": p.period,
            "quantity": p.quantity,
            "spend": p.spend,
            "total_spend": p.total_spend,
        }
        for p in points
    ]


@router.get("/alerts", response=list[AlertOut], summary="Swing alerts on accounts you may read")
@paginate(OrderedCursorPagination, orderings=("-day", "day", "created_at"))
def alert_list(request: HttpRequest, filters: Query[AlertFilter]) -> Any:
    authorize(request.user, VIEW, SwingAlert)
    product_id = None
    if filters.product:
        product_id = (
            Product.objects.filter(code=filters.product.lower())
            .values_list("pk", flat=True)
            .first()
        )
        if product_id is None:
            raise ValidationError({"product": "No product has this code."})
    return selectors.alert_list(
        request.user,
        selectors.AlertFilters(
            status=filters.status.value if filters.status else "",
            product_id=product_id,
            rule_id=filters.rule_id,
            account_id=filters.account_id,
        ),
    )


@router.post(
    "/alerts/{int:pk}/acknowledge",
    response={200: AlertOut, **ERRORS},
    summary="Acknowledge a swing alert (send the version you read; 409 if it moved on)",
)
def alert_acknowledge(request: HttpRequest, pk: int, payload: AcknowledgeIn) -> Any:
    queryset = SwingAlert.objects.select_related("account", "product", "rule")
    alert = access_object(request.user, SwingAlert, pk, action=CHANGE, queryset=queryset)
    services.alert_acknowledge(
        alert=alert, actor=request.user, expected_version=payload.version, note=payload.note
    )
    return queryset.get(pk=pk)
