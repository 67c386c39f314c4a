"""Settings for the test suite: the real settings with fast hashing and a local cache."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
_worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1 … under pytest-xdist
if _worker:
    # Each xdist worker is its own process with its own data directory (SQLite test database,
    # attachments, media): the directory the controller made and passed down is not shared.
    os.environ["KEHU_DATA_DIR"] = tempfile.mkdtemp(prefix=f"kehu-test-{_worker}-")
else:
    os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-test-"))
os.environ.setdefault("KEHU_HTTPS", "false")

from kehu.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "en"

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 — WhiteNoise looks for it at start-up

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not shared-cache memory: concurrency tests then see SQLite as deployed (WAL, busy
    # timeout, IMMEDIATE transactions) instead of shared-cache table locks.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
