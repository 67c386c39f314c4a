"""API plumbing shared by every router: auth, one error shape, cursor pagination, CRUD helpers."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field as ModelField
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import CursorPagination
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AnonRateThrottle, AuthRateThrottle
from ninja.types import DictStrAny
from pydantic import Field

from kehu.access.services import api_token_authenticate
from kehu.audit.context import set_actor
from kehu.core.concurrency import StaleVersionError
from kehu.core.services import DeletionBlocked

NUL_MESSAGE = "Text must not contain NUL (\\u0000) characters."


def _nul_paths(value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = [(*path, key) for key in value if isinstance(key, str) and "\x00" in key]
        for key, item in value.items():
            found += _nul_paths(item, (*path, key))
        return found
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nul_paths(item, (*path, index))]
    return []


class TextParser(Parser):
    """JSON and query parsing that refuses NUL characters with a 422 naming the field:
    PostgreSQL cannot store them, and no person types them."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        self._refuse_nul(data, "body")
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        parsed = super().parse_querydict(data, list_fields, request)
        self._refuse_nul(parsed, "query")
        return parsed

    @staticmethod
    def _refuse_nul(data: Any, where: str) -> None:
        paths = _nul_paths(data, (where,))
        if paths:
            raise ValidationError([{"loc": path, "msg": NUL_MESSAGE} for path in paths])


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """The one error shape every endpoint returns."""

    code: str
    message: str
    errors: list[FieldError] = []


ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kehu_…`` with a personal API token."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
            set_actor(user)
        return user


class SessionAuth(APIKeyCookie):
    """The browser's signed-in session; unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


def _error(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, str]] | None = None,
) -> HttpResponse:
    return api.create_response(
        request, {"code": code, "message": message, "errors": errors or []}, status=status
    )


def _loc(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "file")]
    return ".".join(parts)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _loc(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in exc.errors
        ]
        return _error(api, request, 422, "invalid", "The request is not valid.", errors)

    @api.exception_handler(DjangoValidationError)
    def invalid_object(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": "" if f == "__all__" else f, "message": str(m)}
                for f, errs in exc.message_dict.items()
                for m in errs
            ]
        else:
            errors = [{"field": "", "message": str(m)} for m in exc.messages]
        return _error(api, request, 422, "invalid", "The request is not valid.", errors)

    @api.exception_handler(StaleVersionError)
    def stale(request: HttpRequest, exc: StaleVersionError) -> HttpResponse:
        return _error(
            api,
            request,
            409,
            "stale_version",
            str(exc),
            [{"field": "version", "message": f"current version is {exc.current.version}"}],
        )

    @api.exception_handler(DeletionBlocked)
    def blocked(request: HttpRequest, exc: DeletionBlocked) -> HttpResponse:
        return _error(api, request, 409, "in_use", str(exc))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 404, "not_found", "Not found.")

    api.exception_handler(ObjectDoesNotExist)(not_found)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 403, "forbidden", "You are not allowed to do this.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _error(api, request, 401, "unauthenticated", "Sign in or send a valid API token.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ValidationError):  # TextParser refused the body's text
            return invalid_input(request, exc.__cause__)
        codes = {400: "bad_request", 405: "method_not_allowed", 429: "throttled"}
        return _error(api, request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def throttles() -> list[Any]:
    return [AnonRateThrottle(settings.API_RATE_ANON), AuthRateThrottle(settings.API_RATE_USER)]


class OrderedCursorPagination(CursorPagination):
    """Cursor pagination whose order the client picks from an allowed list (``ordering=-name``)."""

    class Input(Schema):
        page_size: int | None = Field(None, ge=1, le=500)
        cursor: str | None = None
        ordering: str | None = Field(
            None, max_length=40, description="A field name, '-' for descending"
        )

    def __init__(self, *, orderings: tuple[str, ...] = ("id",), **kwargs: Any) -> None:
        self.orderings = orderings
        super().__init__(ordering=(orderings[0], "pk"), **kwargs)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        chosen = pagination.ordering or self.orderings[0]
        if chosen.lstrip("-") not in {o.lstrip("-") for o in self.orderings}:
            raise ValidationError(
                [
                    {
                        "loc": ("query", "ordering"),
                        "msg": f"Order by one of: {', '.join(o.lstrip('-') for o in self.orderings)}",
                    }
                ]
            )
        # A fresh paginator per request: the ordering is per request, never shared state.
        inner = CursorPagination(
            ordering=(chosen, "pk"), page_size=self.page_size, max_page_size=self.max_page_size
        )
        return inner.paginate_queryset(queryset, pagination, request, **params)


def payload_to_fields(
    model: type[Model], data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a payload into plain fields (foreign keys as ``<name>_id``) and many-to-many sets."""
    plain: dict[str, Any] = {}
    many: dict[str, Any] = {}
    for name, value in data.items():
        if name == "version":
            continue
        field = cast("ModelField[Any, Any]", model._meta.get_field(name))
        if field.many_to_many:
            ids = set(value or [])
            related = field.related_model._default_manager  # type: ignore[union-attr]
            if related.filter(pk__in=ids).count() != len(ids):
                raise DjangoValidationError({name: "One or more of these ids do not exist."})
            many[name] = sorted(ids)
        elif field.is_relation:
            plain[field.attname] = value
        elif (
            value is None
            and not field.null
            and getattr(field, "blank", False)
            and field.get_internal_type() in ("CharField", "TextField", "EmailField")
        ):
            plain[name] = ""  # an optional text field sent as null means "empty"
        else:
            plain[name] = value
    return plain, many
