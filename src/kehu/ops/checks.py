"""``kehu check --deploy``: every setting a production installation must not leave at its
default. Django's own deploy checks (DEBUG, HSTS, secure cookies …) run beside these."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register("kehu", deploy=True)
def deploy_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if settings.KEHU_SECRET_KEY_GENERATED:
        found.append(
            Error(
                "SECRET_KEY is not set: the key was generated into KEHU_DATA_DIR on this machine.",
                hint="Set SECRET_KEY or SECRET_KEY_FILE, the same on every machine.",
                id="kehu.E001",
            )
        )
    if not settings.ALLOWED_HOSTS or all(_loopback(h) for h in settings.ALLOWED_HOSTS):
        found.append(
            Error(
                "ALLOWED_HOSTS names only this machine's loopback addresses.",
                hint="Set ALLOWED_HOSTS to the names people reach Kehu at, e.g. kehu.example.com.",
                id="kehu.E002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        found.append(
            Warning(
                "DATABASE_URL is not set: the database is the embedded SQLite file.",
                hint="Fine on one machine; several machines need PostgreSQL: "
                "DATABASE_URL=postgres://kehu@db/kehu.",
                id="kehu.W003",
            )
        )
    if not settings.REDIS_URL:
        found.append(
            Warning(
                "REDIS_URL is not set: the cache and the API rate limits live in the database.",
                hint="Set REDIS_URL=redis://redis:6379/0 for several web machines.",
                id="kehu.W004",
            )
        )
    if settings.TASK_BACKEND != "redis":
        found.append(
            Warning(
                "KEHU_TASK_BACKEND is not redis: the task queue lives in the database.",
                hint="Set KEHU_TASK_BACKEND=redis (with REDIS_URL) for many task workers.",
                id="kehu.W005",
            )
        )
    if not settings.KEHU_ATTACHMENT_ROOT_SET:
        found.append(
            Warning(
                "KEHU_ATTACHMENT_ROOT is not set: attachments are kept in this machine's "
                "KEHU_DATA_DIR.",
                hint="Point KEHU_ATTACHMENT_ROOT at a directory every web and task machine "
                "shares (NFS or another shared file system).",
                id="kehu.W006",
            )
        )
    base = urlsplit(settings.KEHU_BASE_URL)
    if not settings.KEHU_BASE_URL_SET or _loopback(base.hostname or ""):
        found.append(
            Error(
                "KEHU_BASE_URL is not set: links in mail would point at this machine.",
                hint="Set KEHU_BASE_URL=https://kehu.example.com (the address people use).",
                id="kehu.E007",
            )
        )
    if not settings.EMAIL_HOST:
        found.append(
            Error(
                "EMAIL_HOST is not set: outgoing mail is only written to the log.",
                hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                "EMAIL_USE_TLS).",
                id="kehu.E008",
            )
        )
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").lower()
    if _loopback(sender):
        found.append(
            Error(
                "DEFAULT_FROM_EMAIL is not set: mail would come from an address at localhost.",
                hint="Set DEFAULT_FROM_EMAIL, e.g. Kehu <support@example.com>.",
                id="kehu.E009",
            )
        )
    if not settings.HTTPS:
        found.append(
            Error(
                "KEHU_HTTPS is false: cookies are sent over plain http.",
                hint="Serve Kehu over https (usually at the load balancer) and leave KEHU_HTTPS "
                "unset.",
                id="kehu.E010",
            )
        )
    if settings.KEHU_METRICS and not (
        settings.KEHU_METRICS_TOKEN or settings.KEHU_METRICS_ALLOWED_NETWORKS
    ):
        found.append(
            Error(
                "KEHU_METRICS is on but neither KEHU_METRICS_TOKEN nor "
                "KEHU_METRICS_ALLOWED_NETWORKS is set: nobody can scrape /metrics.",
                hint="Give Prometheus a bearer token or name its network.",
                id="kehu.E011",
            )
        )
    return found
