"""Writes for users, roles and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kehu.access.models import ApiToken, Role, RoleAssignment, User

# The language picked while signed out (on the sign-in page), kept in the session until sign-in.
LANGUAGE_CHOSEN_SESSION_KEY = "kehu_language_chosen"
TOKEN_PREFIX = "kehu"  # noqa: S105 — a public marker, not a secret
# Avoid a write on every API call: last_used_at only needs minute-level precision.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token; shown to its owner once and never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """Issue a personal API token; the caller must show ``secret`` once and forget it."""
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=user, name=name.strip(), prefix=prefix, digest=_digest(secret), expires_at=expires_at
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str) -> User | None:
    """The active user owning ``secret``, or None for an unknown, revoked or expired token."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    full_name: str = "",
    roles: list[tuple[str, int | None]] | None = None,
    language: str | None = None,
) -> User:
    """Create a user with roles given as (role, department id or None)."""
    user = User(username=username, email=email, full_name=full_name)
    if language:
        user.language = language
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    for role, department_id in roles or []:
        RoleAssignment.objects.create(user=user, role=role, department_id=department_id)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[tuple[str, int | None]]) -> None:
    """Replace the user's roles."""
    valid = set(Role.values)
    for role, _department in roles:
        if role not in valid:
            raise ValueError(f"unknown role {role!r}")
    user.role_assignments.all().delete()
    for role, department_id in dict.fromkeys(roles):  # drop repeats, keep order
        RoleAssignment.objects.create(user=user, role=role, department_id=department_id)
    user.__dict__.pop("_kehu_roles", None)


def user_update_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> User:
    """Remember the user's language and time zone."""
    fields = []
    if language is not None:
        user.language = language
        fields.append("language")
    if time_zone is not None:
        user.time_zone = time_zone
        fields.append("time_zone")
    user.full_clean(exclude=["password"])
    if fields:
        user.save(update_fields=fields)
    return user


def user_language_at_sign_in(*, user: User, chosen: str | None, browser: str | None) -> User:
    """Settle the language at sign-in: the one chosen on the sign-in page sticks; on a first
    sign-in the browser's language (Accept-Language) is the default; else the stored one stays."""
    known = dict(settings.LANGUAGES)
    if chosen in known:
        language = chosen
    elif user.last_login is None and browser in known:
        language = browser
    else:
        return user
    if language != user.language:
        user_update_preferences(user=user, language=language)
    return user
