"""Test settings: PostgreSQL always (the ledger's guards are PostgreSQL triggers), the sandbox
gateway, synchronous django-q2, in-memory email, fast password hashing.

DATABASE_URL names the owner here (a superuser: it creates the test database and the app role).
The suite connects as an ordinary app role made from it, as production does (core.db_roles):
tests/conftest.py migrates as the owner, runs create_app_role, then hands the connection over.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/paydesk")
os.environ.setdefault("PAYDESK_ALLOW_TEST_CLOCK", "false")
os.environ.setdefault("PAYDESK_GATEWAY", "sandbox")
# Production settings, except that the test client and the live server speak plain HTTP.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from config.settings import *  # noqa: E402,F403

_TEST_DB = os.environ.get("PAYDESK_TEST_DB", "test_paydesk")
# Under pytest-xdist each worker has its own database (pytest-django suffixes the name with the
# worker id) and its own app role, named as a subprocess handed that database name names it.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_APP_ROLE = f"{_TEST_DB}_{_WORKER}_app" if _WORKER else f"{_TEST_DB}_app"
_APP_PASSWORD = "paydesk-test-app"

MIGRATION_DATABASE_URL = DATABASE_URL  # noqa: F405
_owner = urlsplit(MIGRATION_DATABASE_URL)
DATABASE_URL = _owner._replace(
    netloc=f"{_APP_ROLE}:{_APP_PASSWORD}@{_owner.hostname}:{_owner.port or 5432}"
).geturl()
DATABASES["default"].update(USER=_APP_ROLE, PASSWORD=_APP_PASSWORD)  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": _TEST_DB}  # noqa: F405
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT = None  # nothing is collected: the live server serves static files from their apps
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "django-q": {"level": "WARNING"}}}  # noqa: F405
# Exports written by tasks during the suite stay out of the worktree.
PAYDESK_EXPORT_DIR = str(Path(tempfile.gettempdir()) / f"{_TEST_DB}-exports")
# The benchmarks (and the sweeps they start in child processes) set PAYDESK_TEST_LIKE_PRODUCTION:
# they measure what production does. The rest of the suite connects for each use, and a commit
# returns before its WAL reaches the disk: every other session still sees it at once, and only a
# crash of PostgreSQL itself (which no test causes) could lose it. The suite commits some 30,000
# times, each otherwise waiting for an fsync.
if not os.environ.get("PAYDESK_TEST_LIKE_PRODUCTION"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
