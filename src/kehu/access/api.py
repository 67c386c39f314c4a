"""REST endpoints for the signed-in user, API tokens and role administration."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from kehu.access import services
from kehu.access.models import ApiToken, Role, User, department_model
from kehu.access.permissions import ADD, DELETE, VIEW, access_object, authorize, require_admin
from kehu.core.api import ERRORS

router = Router()


class RoleOut(Schema):
    role: str
    department_id: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    language: str
    time_zone: str
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[dict[str, Any]]:
        return [
            {"role": r.role, "department_id": r.department_id} for r in obj.role_assignments.all()
        ]


class PreferencesIn(Schema):
    language: str | None = Field(None, max_length=10)
    time_zone: str | None = Field(None, max_length=64)


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["me"], summary="The signed-in user")
def me(request: HttpRequest) -> Any:
    return request.user


@router.patch(
    "/me", response={200: MeOut, **ERRORS}, tags=["me"], summary="Change language or time zone"
)
def me_update(request: HttpRequest, payload: PreferencesIn) -> Any:
    return services.user_update_preferences(user=cast(User, request.user), **payload.dict())


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret. Shown only in this response; store it now.")


@router.get(
    "/tokens", response={200: list[TokenOut], **ERRORS}, tags=["tokens"], summary="Your API tokens"
)
def token_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, ApiToken)
    return list(ApiToken.objects.filter(user=cast(User, request.user)))


@router.post(
    "/tokens",
    response={201: TokenCreatedOut, **ERRORS},
    tags=["tokens"],
    summary="Create an API token",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Any:
    authorize(request.user, ADD, ApiToken)
    issued = services.api_token_create(
        user=cast(User, request.user), name=payload.name, expires_at=payload.expires_at
    )
    token = issued.token
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": issued.secret})


@router.delete(
    "/tokens/{int:pk}",
    response={204: None, **ERRORS},
    tags=["tokens"],
    summary="Revoke an API token",
)
def token_revoke(request: HttpRequest, pk: int) -> Any:
    token = access_object(request.user, ApiToken, pk, action=DELETE)
    services.api_token_revoke(token=token)
    return Status(204, None)


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    is_active: bool
    roles: list[RoleOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[dict[str, Any]]:
        return [
            {"role": r.role, "department_id": r.department_id} for r in obj.role_assignments.all()
        ]


class RoleIn(Schema):
    role: Role
    department_id: int | None = None


@router.get(
    "/users",
    response={200: list[UserOut], **ERRORS},
    tags=["users"],
    summary="All users (administrators)",
)
def user_list(request: HttpRequest) -> Any:
    require_admin(request.user)
    return list(User.objects.prefetch_related("role_assignments").order_by("username"))


@router.put(
    "/users/{int:pk}/roles",
    response={200: UserOut, **ERRORS},
    tags=["users"],
    summary="Replace a user's roles (administrators)",
)
def user_roles(request: HttpRequest, pk: int, payload: list[RoleIn]) -> Any:
    require_admin(request.user)
    target = access_object(request.user, User, pk)
    department_ids = {r.department_id for r in payload if r.department_id is not None}
    if department_model().objects.filter(pk__in=department_ids).count() != len(department_ids):
        raise ValidationError({"department_id": "Unknown department."})
    services.user_set_roles(user=target, roles=[(r.role.value, r.department_id) for r in payload])
    return User.objects.prefetch_related("role_assignments").get(pk=pk)
