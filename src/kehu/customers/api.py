"""REST endpoints of accounts and contacts (/api/customers).

Staff only: customer portal users are told nothing exists here (404), whatever they ask.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, WithJsonSchema

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, is_staff_member
from kehu.core.api import ERRORS, ErrorOut, OrderedCursorPagination
from kehu.customers import selectors, services
from kehu.customers.duplicates import find_duplicates
from kehu.customers.merge import account_merge
from kehu.customers.models import (
    Account,
    AccountLevel,
    Contact,
    CustomField,
    Segment,
    Tag,
    TimelineEntry,
)
from kehu.org.models import Employee

router = Router(tags=["customers"])

AccountKind = Annotated[
    Account.Kind,
    WithJsonSchema({"type": "string", "enum": list(Account.Kind.values), "title": "AccountKind"}),
]
ContactChannel = Annotated[
    Contact.Channel,
    WithJsonSchema(
        {"type": "string", "enum": list(Contact.Channel.values), "title": "ContactChannel"}
    ),
]
CustomFieldKind = Annotated[
    CustomField.Kind,
    WithJsonSchema(
        {"type": "string", "enum": list(CustomField.Kind.values), "title": "CustomFieldKind"}
    ),
]
TimelineKind = Annotated[
    TimelineEntry.Kind,
    WithJsonSchema(
        {"type": "string", "enum": list(TimelineEntry.Kind.values), "title": "TimelineKind"}
    ),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text100 = Annotated[str, Field(max_length=100)]


def _staff(request: HttpRequest) -> None:
    if not is_staff_member(request.user):
        raise Http404


class AccountOut(Schema):
    id: int
    kind: AccountKind
    name: str
    name_en: str
    parent_id: int | None
    owner_id: int | None
    level: AccountLevel
    industry: str
    region: str
    is_active: bool
    credit_limit: Decimal
    credit_currency: str
    customer_since: date | None
    website: str
    tags: list[str]
    custom_fields: dict[str, Any]
    segment: str
    uses_competitors: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Account) -> list[str]:
        return [t.name for t in obj.tags.all()]


class AccountFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Name, pinyin, contact e-mail/phone")
    level: AccountLevel | None = None
    segment: Segment | None = None
    owner_id: Id | None = None
    tag: str | None = Field(None, max_length=60, description="A tag name")
    region: str | None = Field(None, max_length=100)
    industry: str | None = Field(None, max_length=100)
    active: bool | None = None


class AccountIn(Schema):
    kind: AccountKind = Account.Kind.COMPANY
    name: Name
    name_en: Annotated[str, Field(max_length=200)] = ""
    parent_id: Id | None = None
    owner_id: Id | None = None
    level: AccountLevel = AccountLevel.STANDARD
    industry: Text100 = ""
    region: Text100 = ""
    is_active: bool = True
    credit_limit: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    credit_currency: str = Field("CNY", min_length=3, max_length=3)
    customer_since: date | None = None
    website: Annotated[str, Field(max_length=200)] = ""
    uses_competitors: bool = False
    tags: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=100
    )
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    allow_duplicate: bool = Field(
        False, description="Create even if similar accounts exist (otherwise 409 lists them)"
    )


class AccountPatch(Schema):
    version: int
    kind: AccountKind | None = None
    name: Name | None = None
    name_en: Annotated[str, Field(max_length=200)] | None = None
    parent_id: Id | None = None
    owner_id: Id | None = None
    owner_reason: Annotated[str, Field(max_length=300)] = ""
    level: AccountLevel | None = None
    industry: Text100 | None = None
    region: Text100 | None = None
    is_active: bool | None = None
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    credit_currency: str | None = Field(None, min_length=3, max_length=3)
    customer_since: date | None = None
    website: Annotated[str, Field(max_length=200)] | None = None
    uses_competitors: bool | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(
        None, max_length=100
    )
    custom_fields: dict[str, Any] | None = None


class CandidateOut(Schema):
    id: int
    name: str
    name_en: str
    reasons: list[str]


class DuplicateOut(ErrorOut):
    candidates: list[CandidateOut]


class ContactOut(Schema):
    id: int
    account_id: int
    name: str
    email: str
    phone: str
    phone_key: str
    role: str
    language: str
    preferred_channel: ContactChannel
    is_active: bool
    version: int


class ContactIn(Schema):
    name: Name
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    role: Text100 = ""
    language: str = Field("zh-hans", max_length=10)
    preferred_channel: ContactChannel = Contact.Channel.EMAIL
    is_active: bool = True


class ContactPatch(Schema):
    version: int
    name: Name | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    role: Text100 | None = None
    language: str | None = Field(None, max_length=10)
    preferred_channel: ContactChannel | None = None
    is_active: bool | None = None


class CustomFieldOut(Schema):
    id: int
    code: str
    label: str
    label_en: str
    kind: CustomFieldKind
    choices: list[Any]
    required: bool
    position: int


class MergeIn(Schema):
    merged_id: Id = Field(..., description="The account folded into this one and deleted")


class MergeOut(Schema):
    survivor: AccountOut
    moved: dict[str, int]
    dropped: dict[str, int]


class TimelineOut(Schema):
    id: int
    kind: TimelineKind
    occurred_at: datetime
    title: str
    summary: str
    actor_id: int | None
    url: str
    restricted: bool

    @staticmethod
    def resolve_title(obj: TimelineEntry) -> str:
        return obj.display_title  # in the caller's language when Kehu worded it

    @staticmethod
    def resolve_summary(obj: TimelineEntry) -> str:
        return obj.display_summary


class TimelinePageOut(Schema):
    items: list[TimelineOut]
    next_cursor: str = Field(..., description="Pass as `before` for older entries; '' at the end")


def _accounts() -> Any:
    return Account.objects.prefetch_related("tags")


def _employee(employee_id: int | None, field: str = "owner_id") -> Employee | None:
    if employee_id is None:
        return None
    found = Employee.objects.filter(pk=employee_id).first()
    if found is None:
        raise ValidationError({field: "No employee has this id."})
    return found


def _parent(parent_id: int | None) -> Account | None:
    if parent_id is None:
        return None
    found = Account.objects.filter(pk=parent_id).first()
    if found is None:
        raise ValidationError({"parent_id": "No account has this id."})
    return found


@router.get("/accounts", response=list[AccountOut], summary="List accounts")
@paginate(OrderedCursorPagination, orderings=("name_pinyin", "-updated_at", "credit_limit"))
def account_list(request: HttpRequest, filters: Query[AccountFilter]) -> Any:
    _staff(request)
    authorize(request.user, VIEW, Account)
    tag_id = None
    if filters.tag:
        tag_id = Tag.objects.filter(name=filters.tag).values_list("pk", flat=True).first() or -1
    found = selectors.account_list(
        selectors.AccountFilters(
            q=filters.q or "",
            level=filters.level.value if filters.level else "",
            segment=filters.segment.value if filters.segment else "",
            owner_id=filters.owner_id,
            tag_id=tag_id,
            region=filters.region or "",
            industry=filters.industry or "",
            active=filters.active,
        )
    )
    return _accounts().filter(pk__in=found.values("pk"))


@router.get("/accounts/{int:pk}", response={200: AccountOut, **ERRORS}, summary="Read an account")
def account_get(request: HttpRequest, pk: int) -> Any:
    _staff(request)
    return access_object(request.user, Account, pk, queryset=_accounts())


_PLAIN = (
    "kind",
    "name",
    "name_en",
    "level",
    "industry",
    "region",
    "is_active",
    "credit_limit",
    "credit_currency",
    "customer_since",
    "website",
    "uses_competitors",
)


@router.post(
    "/accounts",
    response={201: AccountOut, **ERRORS, 409: DuplicateOut},
    summary="Create an account (409 with the similar accounts unless allow_duplicate)",
)
def account_create(request: HttpRequest, payload: AccountIn) -> Any:
    _staff(request)
    authorize(request.user, ADD, Account)
    if not payload.allow_duplicate:
        candidates = find_duplicates(name=payload.name, name_en=payload.name_en)
        if candidates:
            return Status(
                409,
                {
                    "code": "duplicate",
                    "message": "Similar accounts exist; send allow_duplicate: true to create "
                    "this one anyway.",
                    "errors": [],
                    "candidates": [
                        {
                            "id": c.account.pk,
                            "name": c.account.name,
                            "name_en": c.account.name_en,
                            "reasons": c.reasons,
                        }
                        for c in candidates
                    ],
                },
            )
    fields: dict[str, Any] = {name: getattr(payload, name) for name in _PLAIN}
    fields["kind"] = payload.kind.value
    fields["level"] = payload.level.value
    fields["credit_currency"] = payload.credit_currency.upper()
    fields["parent"] = _parent(payload.parent_id)
    account = services.account_create(
        fields=fields,
        owner=_employee(payload.owner_id),
        tags=services.split_tags(",".join(payload.tags)),
        custom_fields=payload.custom_fields,
        actor=request.user,
    )
    return Status(201, _accounts().get(pk=account.pk))


@router.patch(
    "/accounts/{int:pk}",
    response={200: AccountOut, **ERRORS},
    summary="Change an account (send the version you read; 409 if it moved on)",
)
def account_update(request: HttpRequest, pk: int, payload: AccountPatch) -> Any:
    _staff(request)
    account = access_object(request.user, Account, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    owner_reason = data.pop("owner_reason", "")
    extra: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name == "owner_id":
            extra["owner"] = _employee(value)
        elif name == "parent_id":
            fields["parent"] = _parent(value)
        elif name == "tags":
            extra["tags"] = services.split_tags(",".join(value or []))
        elif name == "custom_fields":
            extra["custom_fields"] = value or {}
        elif value is None and name not in ("customer_since",):
            raise ValidationError({name: "This field cannot be empty."})
        else:
            fields[name] = getattr(value, "value", value)
    services.account_update(
        account,
        expected_version=version,
        fields=fields,
        owner_reason=owner_reason,
        actor=request.user,
        **extra,
    )
    return _accounts().get(pk=pk)


@router.post(
    "/accounts/{int:pk}/merge",
    response={200: MergeOut, **ERRORS},
    summary="Fold another account into this one (it is deleted; 409 if something protects it)",
)
def account_merge_api(request: HttpRequest, pk: int, payload: MergeIn) -> Any:
    _staff(request)
    survivor = access_object(request.user, Account, pk, action=CHANGE)
    merged = access_object(request.user, Account, payload.merged_id, action=CHANGE)
    if merged.pk == survivor.pk:
        raise ValidationError({"merged_id": "An account cannot be merged into itself."})
    result = account_merge(survivor=survivor, merged=merged, actor=request.user)
    return {
        "survivor": _accounts().get(pk=pk),
        "moved": dict(result.moved),
        "dropped": dict(result.dropped),
    }


@router.get(
    "/accounts/{int:pk}/timeline",
    response={200: TimelinePageOut, **ERRORS},
    summary="The account's timeline, newest first (restricted lines only for dossier readers)",
)
def account_timeline(
    request: HttpRequest,
    pk: int,
    kind: list[TimelineKind] = Query(default_factory=list),  # noqa: B008
    before: str = Query("", max_length=80),
    page_size: int = Query(50, ge=1, le=200),
) -> Any:
    _staff(request)
    account = access_object(request.user, Account, pk)
    page = selectors.timeline_page(
        account,
        user=request.user,
        kinds=[k.value for k in kind],
        cursor=before,
        size=page_size,
    )
    return {"items": page.entries, "next_cursor": page.next_cursor}


@router.get(
    "/accounts/{int:pk}/contacts",
    response={200: list[ContactOut], **ERRORS},
    summary="The account's contacts",
)
def contact_list(request: HttpRequest, pk: int) -> Any:
    _staff(request)
    account = access_object(request.user, Account, pk)
    authorize(request.user, VIEW, Contact)
    return list(Contact.objects.filter(account=account).order_by("name", "id"))


@router.post(
    "/accounts/{int:pk}/contacts",
    response={201: ContactOut, **ERRORS},
    summary="Add a contact to the account",
)
def contact_create(request: HttpRequest, pk: int, payload: ContactIn) -> Any:
    _staff(request)
    account = access_object(request.user, Account, pk)
    authorize(request.user, ADD, Contact)
    fields = payload.dict()
    fields["preferred_channel"] = payload.preferred_channel.value
    return Status(201, services.contact_create(account=account, fields=fields))


@router.patch(
    "/contacts/{int:pk}",
    response={200: ContactOut, **ERRORS},
    summary="Change a contact (send the version you read; 409 if it moved on)",
)
def contact_update(request: HttpRequest, pk: int, payload: ContactPatch) -> Any:
    _staff(request)
    contact = access_object(request.user, Contact, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            raise ValidationError({name: "This field cannot be empty."})
        fields[name] = getattr(value, "value", value)
    return services.contact_update(contact, expected_version=version, fields=fields)


@router.get(
    "/custom-fields", response={200: list[CustomFieldOut], **ERRORS}, summary="Custom fields"
)
def custom_field_list(request: HttpRequest) -> Any:
    _staff(request)
    authorize(request.user, VIEW, Account)
    return list(CustomField.objects.all())
