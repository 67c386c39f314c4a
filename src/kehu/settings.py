"""Kehu settings, read from the environment (see docs/architecture.md, "Configuration")."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kehu.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("KEHU_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    if os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"):
        return env_str("SECRET_KEY")
    generated = DATA_DIR / "secret_key"  # written once by `kehu` on first start
    if generated.exists():
        return generated.read_text(encoding="utf-8").strip()
    raise ImproperlyConfigured(
        "Set SECRET_KEY or SECRET_KEY_FILE (or run `kehu up`, which generates one in KEHU_DATA_DIR)."
    )


SECRET_KEY = _secret_key()
# `kehu check --deploy` asks for the explicit settings a multi-machine installation needs.
KEHU_SECRET_KEY_GENERATED = not (os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "ninja",  # the API docs page from local static files, not a CDN (CSP allows 'self' only)
    "axes",
    "auditlog",
    "django_tasks",
    "django_tasks_db",
    "kehu.core",
    "kehu.access",
    "kehu.audit",
    "kehu.org",
    "kehu.customers",
    "kehu.desk",
    "kehu.feedback",
    "kehu.notify",
    "kehu.incidents",
    "kehu.mail",
    "kehu.usage",
    "kehu.dossier",
    "kehu.churn",
    "kehu.handover",
    "kehu.segments",
    "kehu.compass",
    "kehu.relations",
    "kehu.kb",
    "kehu.ops",
    "kehu.pipeline",
    "kehu.contracts",
    "kehu.insight",
]

MIDDLEWARE = [
    "kehu.ops.metrics.RequestMetricsMiddleware",  # outermost: times the whole answer
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.access.middleware.UserPreferencesMiddleware",
    "kehu.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"
AUTH_USER_MODEL = "access.User"
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_INCLUDE_ALL_MODELS = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.core.context_processors.navigation",
                "kehu.desk.context_processors.desk",
                "kehu.notify.context_processors.unread",
            ],
        },
    }
]

# --- Database: embedded SQLite unless DATABASE_URL names another server -------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES: dict[str, Any] = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kehu.sqlite3",
            "OPTIONS": {
                # Several web workers and the task worker share the file: WAL lets readers run
                # beside one writer, IMMEDIATE takes the write lock at BEGIN so two writers queue
                # on busy_timeout instead of failing mid-transaction with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits and the task queue --------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every process on the machine, unlike the per-process local-memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kehu_cache",
        }
    }

TASK_BACKEND = env_str("KEHU_TASK_BACKEND", "database")
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("KEHU_TASK_BACKEND=redis needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
else:
    raise ImproperlyConfigured(f"KEHU_TASK_BACKEND={TASK_BACKEND!r}: use 'database' or 'redis'.")

# --- Authentication ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env_int("KEHU_PASSWORD_RESET_SECONDS", 3 * 3600, minimum=300)

# How many reverse proxies in front of Kehu append to X-Forwarded-For (see core/clients.py):
# every throttle, the sign-in lockout and the audit history key on the address they vouch for.
KEHU_TRUSTED_PROXIES = env_int("KEHU_TRUSTED_PROXIES", 0, minimum=0)
NINJA_NUM_PROXIES = KEHU_TRUSTED_PROXIES
AXES_CLIENT_IP_CALLABLE = "kehu.core.clients.client_address"

AXES_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("KEHU_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "access/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

API_RATE_ANON = env_str("KEHU_API_RATE_ANON", "60/m")
API_RATE_USER = env_str("KEHU_API_RATE_USER", "1200/m")

# --- Links in mail (surveys, notifications) point here; `kehu up/serve --port` sets the default.
KEHU_BASE_URL = env_str("KEHU_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
KEHU_BASE_URL_SET = bool(os.environ.get("KEHU_BASE_URL") or os.environ.get("KEHU_BASE_URL_FILE"))
KEHU_SURVEY_DAYS = env_int("KEHU_SURVEY_DAYS", 14, minimum=1)
# Relationships: days without an interaction after which a key person is a coverage gap.
KEHU_RELATIONS_QUIET_DAYS = env_int("KEHU_RELATIONS_QUIET_DAYS", 60, minimum=1)
KEHU_SURVEY_RATE_PER_MINUTE = env_int("KEHU_SURVEY_RATE_PER_MINUTE", 20, minimum=1)

# --- Security defaults: safe unless the operator opts out ----------------------------------
HTTPS = env_bool("KEHU_HTTPS", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("KEHU_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KEHU_BEHIND_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", False)  # usually the load balancer redirects
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts and styles from our own static
# files only, no inline script at all. The one inline style Kehu writes is the <style> of a
# server-rendered pygal chart, which carries the request's nonce (the nonce appears in the
# header only on pages that used it). htmx runs with eval, script tags in swaps and its own
# indicator <style> off (the <meta name="htmx-config"> of base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", CSP_NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Department (by code) whose queue receives portal tickets (the first active one if missing).
KEHU_INTAKE_DEPARTMENT = env_str("KEHU_INTAKE_DEPARTMENT", "SUPPORT")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [  # Django's two, with file names cleaned of bidirectional controls
    "kehu.core.uploads.CleanNameMemoryHandler",
    "kehu.core.uploads.CleanNameTemporaryHandler",
]
IMPORT_MAX_BYTES = env_int("KEHU_IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = env_str("KEHU_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files, served by WhiteNoise from the web workers themselves --------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
# Ticket attachments: outside any served directory; each download is permission-checked.
KEHU_ATTACHMENT_ROOT = Path(os.environ.get("KEHU_ATTACHMENT_ROOT", DATA_DIR / "attachments"))
KEHU_ATTACHMENT_ROOT_SET = bool(os.environ.get("KEHU_ATTACHMENT_ROOT"))
KEHU_ATTACHMENT_MAX_BYTES = env_int("KEHU_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
KEHU_ATTACHMENT_TYPES = env_list(
    "KEHU_ATTACHMENT_TYPES",
    [
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".txt",
        ".log",
        ".csv",
        ".xlsx",
        ".xls",
        ".docx",
        ".doc",
        ".pptx",
        ".zip",
        ".gz",
        ".tgz",
        ".7z",
        ".rar",
        ".json",
        ".xml",
        ".eml",
        ".md",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# `kehu lmtp` refuses larger messages (552 5.3.4); the MTA's own limit should not be larger.
KEHU_LMTP_MAX_BYTES = env_int("KEHU_LMTP_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
KEHU_LMTP_HOSTNAME = env_str("KEHU_LMTP_HOSTNAME", "")
# Received messages larger than this are kept as files in the attachment storage.
KEHU_MAIL_RAW_FILE_BYTES = env_int("KEHU_MAIL_RAW_FILE_BYTES", 1024 * 1024, minimum=1)

# --- Email ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    # No mail server configured: mail is written to the server log, so a local trial still
    # shows password-reset links.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kehu <kehu@localhost>")


# Private networks webhooks may reach (on-premises receivers), e.g. "10.20.0.0/16,192.168.1.5";
# every other internal address is refused (notify/addresses.py).
def _networks(name: str) -> list[str]:
    try:
        return [str(ipaddress.ip_network(value, strict=False)) for value in env_list(name, [])]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


WEBHOOK_ALLOWED_NETWORKS = _networks("KEHU_WEBHOOK_ALLOWED_NETWORKS")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# --- Operations: health check, metrics, logs (docs/operations.md) ---------------------------
# /healthz says "degraded" (still 200) when a worker or scheduler is silent, the task queue lags
# or a mailbox is not polled for longer than these (seconds).
KEHU_HEALTH_HEARTBEAT_MAX_AGE = env_int("KEHU_HEALTH_HEARTBEAT_MAX_AGE", 300, minimum=60)
KEHU_HEALTH_QUEUE_LAG_MAX = env_int("KEHU_HEALTH_QUEUE_LAG_MAX", 300, minimum=1)
KEHU_HEALTH_MAIL_POLL_MAX_AGE = env_int("KEHU_HEALTH_MAIL_POLL_MAX_AGE", 900, minimum=60)
# Prometheus metrics at /metrics: off unless enabled; then only with the bearer token or from an
# allowed network.
KEHU_METRICS = env_bool("KEHU_METRICS", False)
KEHU_METRICS_TOKEN = env_str("KEHU_METRICS_TOKEN", "")
KEHU_METRICS_ALLOWED_NETWORKS = _networks("KEHU_METRICS_ALLOWED_NETWORKS")
KEHU_LOG_FORMAT = env_str("KEHU_LOG_FORMAT", "text")
if KEHU_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"KEHU_LOG_FORMAT={KEHU_LOG_FORMAT!r}: use 'text' or 'json'.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kehu.core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if KEHU_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd (kehu lmtp): every command at INFO
    },
}
