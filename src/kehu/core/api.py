"""API plumbing shared by every router: auth, one error shape, cursor pagination, CRUD helpers."""

from __future__ import annotations

import re
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
from ninja.openapi.schema import OpenAPISchema
from ninja.pagination import CursorPagination
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import AnonRateThrottle, AuthRateThrottle
from ninja.types import DictStrAny
from pydantic import Field

from kehu.access.services import api_token_authenticate
from kehu.audit.context import set_actor
from kehu.core.concurrency import StaleVersionError
from kehu.core.openapi import complete
from kehu.core.services import DeletionBlocked
from kehu.core.text import clean_line

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


# Keys of request bodies that hold one-line subjects, names and file names: their values lose
# bidirectional control characters (``core.text.clean_line``), whatever schema reads them.
SINGLE_LINE_KEYS = frozenset({"subject", "name", "name_en", "title", "filename"})


def _is_single_line_key(key: Any) -> bool:
    return isinstance(key, str) and (key in SINGLE_LINE_KEYS or key.endswith("_name"))


def clean_single_lines(value: Any) -> Any:
    """``value`` (a parsed body) with the strings under one-line keys cleaned, at any depth."""
    if isinstance(value, dict):
        return {
            key: clean_line(item)
            if isinstance(item, str) and _is_single_line_key(key)
            else clean_single_lines(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [clean_single_lines(item) for item in value]
    return value


_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')
PRECONDITION_MESSAGE = (
    'If-Match must be one ETag this API sent for the resource, e.g. W/"3" (or "3").'
)


def etag_for(version: int) -> str:
    """The ETag of a resource at ``version`` (weak: the representation varies by reader)."""
    return f'W/"{version}"'


class PreconditionFailed(Exception):
    """An ``If-Match`` header that can match no ETag of this API (412)."""


class TextParser(Parser):
    """JSON and query parsing that refuses NUL characters with a 422 naming the field:
    PostgreSQL cannot store them, and no person types them. One-line subjects and names lose
    bidirectional controls. A PATCH or PUT with ``If-Match: W/"<version>"`` has that version
    as the body's ``version`` (the one optimistic-concurrency check), and a stale one answers
    412 instead of 409 (see ``install_error_handlers``)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        self._refuse_nul(data, "body")
        data = clean_single_lines(data)
        if request.method in ("PATCH", "PUT") and "HTTP_IF_MATCH" in request.META:
            data = self._apply_if_match(request, data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        parsed = super().parse_querydict(data, list_fields, request)
        self._refuse_nul(parsed, "query")
        return cast("DictStrAny", clean_single_lines(parsed))

    @staticmethod
    def _apply_if_match(request: HttpRequest, data: DictStrAny) -> DictStrAny:
        header = request.META["HTTP_IF_MATCH"].strip()
        if header == "*" or not isinstance(data, dict):
            return data  # "any current representation": the resource exists or the answer is 404
        found = _ETAG.match(header)
        if not found:
            raise PreconditionFailed(PRECONDITION_MESSAGE)
        version = int(found.group(1))
        if "version" in data and data["version"] != version:
            raise ValidationError(
                [
                    {
                        "loc": ("body", "version"),
                        "msg": "The body's version and the If-Match header name different versions.",
                    }
                ]
            )
        request.kehu_if_match = version  # type: ignore[attr-defined]
        return {**data, "version": version}

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
        if getattr(request, "kehu_if_match", None) is not None:
            # The client asked with If-Match: HTTP's answer to a failed precondition is 412.
            response = _error(
                api,
                request,
                412,
                "precondition_failed",
                str(exc),
                [{"field": "If-Match", "message": f"current version is {exc.current.version}"}],
            )
            response["ETag"] = etag_for(exc.current.version)
            return response
        return _error(
            api,
            request,
            409,
            "stale_version",
            str(exc),
            [{"field": "version", "message": f"current version is {exc.current.version}"}],
        )

    @api.exception_handler(PreconditionFailed)
    def precondition_failed(request: HttpRequest, exc: PreconditionFailed) -> HttpResponse:
        return _error(api, request, 412, "precondition_failed", str(exc))

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
        if isinstance(exc.__cause__, PreconditionFailed):  # or the If-Match header
            return precondition_failed(request, exc.__cause__)
        codes = {
            400: "bad_request",
            405: "method_not_allowed",
            412: "precondition_failed",
            429: "throttled",
        }
        return _error(api, request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


class KehuAPI(NinjaAPI):
    """The project's NinjaAPI: versioned resources answer with an ``ETag`` (reads and updates),
    and the OpenAPI schema documents what the shared plumbing makes true of every operation
    (``core.openapi.complete``)."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        version = data.get("version") if isinstance(data, dict) else None
        if (
            request.method in ("GET", "PATCH", "PUT")
            and response.status_code == 200
            and type(version) is int
            and not response.has_header("ETag")
        ):
            response["ETag"] = etag_for(version)
        return response

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: DictStrAny | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        complete(schema)
        return schema


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
