"""Paydesk settings: every value comes from the environment.

Unset means production: DEBUG off, HTTPS only, secure cookies. `make run` and the test settings
set their demo and test values explicitly. A bad value stops the process at start with a message
naming the variable (config.env).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_limits, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]

INSTALLED_APPS = [
    "core.admin_site.PaydeskAdminConfig",  # django.contrib.admin with Paydesk's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "djmoney",
    "django_q",
    "djstripe",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "core",
    "contacts",
    "offers",
    "billing",
    "dunning",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.idle_sessions.IdleSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.forbidden.LogForbiddenMiddleware",
    "core.htmx.HtmxResponsesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.timezones.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.locales.locale",
                "desk.context.demo_clock",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'paydesk.sqlite3'}")
# Seconds a connection is kept open between requests and tasks.
DATABASE_CONN_MAX_AGE = 60
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# `migrate` and `create_app_role` connect as this role, the schema's owner; the app connects as
# DATABASE_URL's role, which owns nothing, so it cannot drop or disable the ledger's guards
# (core.db_roles). Unset: one role does both (the SQLite demo).
MIGRATION_DATABASE_URL = env_str("MIGRATION_DATABASE_URL", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one account, or
# from one address, that account or address cannot log in for LOGIN_LOCKOUT_MINUTES. Behind
# PROXY_COUNT proxies the address is read from X-Forwarded-For; otherwise every client would
# share the proxy's address and lock each other out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.permissions.PermissionBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
if _proxies := env_int("PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = _proxies
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Sessions end after SESSION_IDLE_MINUTES without a request: requests push the expiry on, at
# most every 30th of that time (core.idle_sessions), not by a write on every request.
SESSION_COOKIE_AGE = 60 * env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
# The database store, saving an existing session in one statement, not three.
SESSION_ENGINE = "core.sessions"

# HTTPS, on unless DEBUG. Behind a proxy that terminates TLS, name the header it sets
# (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto; only if the proxy always sets or overwrites it), and
# turn SECURE_SSL_REDIRECT off if the proxy already redirects.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
if _proxy_header := env_str("SECURE_PROXY_SSL_HEADER", ""):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

# No inline script, no eval: an injected <script> or on* attribute does not run. htmx's own
# config comes from a <meta> tag and static/paydesk.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static"))
# In production whitenoise serves the collected files (`collectstatic`) under content-hashed,
# compressed names from the gunicorn workers, so no separate static server is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Email: the console in development; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "billing@paydesk.local")

# Jobs: the ORM broker (at-least-once) unless REDIS_URL is set (at-most-once); both are safe
# because money work is found by idempotent sweeps, not carried by the task message.
REDIS_URL = env_str("REDIS_URL", "")
Q_CLUSTER = {
    "name": "paydesk",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": 120,
    # A failed or lost task is redelivered after `retry` seconds (longer than `timeout`, so a
    # slow run is never handed to a second worker while it still runs), at most `max_attempts`
    # times: a broken email or notice task stops instead of retrying every few minutes forever.
    # Failures are not acknowledged early (ack_failures False): a mail server that is down for
    # a while gets its retries. Every task is idempotent, and the sweeps redo lost money work.
    "retry": 300,
    "max_attempts": 5,
    "ack_failures": False,
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Exports (core.exports): above this many rows (the planner's estimate) a CSV is written by a
# task with its progress on a page instead of streamed in the request; files go to the directory,
# which every web process and worker must share.
PAYDESK_EXPORT_STREAM_MAX_ROWS = env_int("PAYDESK_EXPORT_STREAM_MAX_ROWS", 100_000, minimum=0)
PAYDESK_EXPORT_DIR = env_str("PAYDESK_EXPORT_DIR", str(BASE_DIR / "var" / "exports"))

# Money
CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "JPY",
    "KWD",
    "BHD",
    "JOD",
    "OMR",
    "CHF",
    "SEK",
    "NZD",
)
DEFAULT_CURRENCY = "USD"

# The contact record is the workspace's page, above every app: actions started from it answer
# with its refreshed panel through this name (core.action_views), so no app imports desk.
PAYDESK_RECORD_PANEL = "desk.views.render_panel"
# What a new card would retry at once (dunning, above billing): the add-card form lists these
# open collections so the rep chooses, and dunning retries the same ones.
PAYDESK_COLLECTIONS_FOR_NEW_CARD = "dunning.selectors.collections_a_new_card_retries"

# Gateways: the embedded sandbox by default; Stripe through dj-stripe.
PAYDESK_GATEWAY = env_choice("PAYDESK_GATEWAY", "sandbox", ("sandbox", "stripe"))
# How many of a sweep's charges are at the gateway at once (billing.steps.sending), each lane a
# thread with its own database connection. Stripe answers in 0.3-1 s: 8 lanes make a worker
# charge about 8-25 a second, where one lane would make 1-3, and two workers stay under about
# half of Stripe's live limit of 100 requests a second. The sandbox answers from this database in
# well under a millisecond, faster than a lane's connection opens: one lane.
PAYDESK_GATEWAY_LANES = env_int(
    "PAYDESK_GATEWAY_LANES", 8 if PAYDESK_GATEWAY == "stripe" else 1, minimum=1, maximum=32
)
# One key pair from the environment; dj-stripe reads STRIPE_SECRET_KEY over its test/live pair.
# Its mode (sk_test_/sk_live_) must agree with STRIPE_LIVE_MODE.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "sk_test_" + "0" * 24)
STRIPE_PUBLIC_KEY = env_str("STRIPE_PUBLIC_KEY", "pk_test_" + "0" * 24)
STRIPE_LIVE_MODE = env_bool("STRIPE_LIVE_MODE", False)
if STRIPE_SECRET_KEY.startswith("sk_live_") != STRIPE_LIVE_MODE:
    raise ImproperlyConfigured("STRIPE_SECRET_KEY's mode does not match STRIPE_LIVE_MODE")
if STRIPE_PUBLIC_KEY.startswith("pk_live_") != STRIPE_LIVE_MODE:
    raise ImproperlyConfigured("STRIPE_PUBLIC_KEY's mode does not match STRIPE_LIVE_MODE")
# Real money never runs on a DEBUG server: its error pages show settings and requests, and
# dj-stripe then takes a webhook secret from a request header, so anyone could sign events.
if DEBUG and (STRIPE_LIVE_MODE or STRIPE_PUBLIC_KEY.startswith("pk_live_")):
    raise ImproperlyConfigured(
        "Live Stripe keys (sk_live_/pk_live_) are refused while DEBUG is on: use test keys, "
        "or run with DEBUG off"
    )
# The signing secret of the webhook endpoint (`whsec_...`, from the Stripe dashboard or
# `stripe listen`); `manage.py setup_stripe_webhook` stores it on dj-stripe's endpoint row.
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
if STRIPE_WEBHOOK_SECRET and not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET must start with whsec_")
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY if not STRIPE_LIVE_MODE else ""
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
# Pinned: every request and webhook payload has this shape whatever the account's default or
# the installed stripe-python's (dj-stripe's own fixtures use it too). Change it deliberately,
# with the account's webhook endpoint set to the same version.
STRIPE_API_VERSION = "2026-05-27.dahlia"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
# The webhook secret (above) is stored on dj-stripe's endpoint row by `manage.py
# setup_stripe_webhook`; events are checked by signature only, never re-fetched.
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
if env_str("STRIPE_API_HOST", ""):
    STRIPE_API_HOST = env_str("STRIPE_API_HOST", "")
if PAYDESK_GATEWAY == "stripe":
    # Card capture runs Stripe.js and Elements (iframes, 3-D Secure) from Stripe's domains, and
    # only in Stripe mode; the sandbox's stand-in is same-origin.
    _stripe_js = ["https://js.stripe.com", "https://*.js.stripe.com"]
    CONTENT_SECURITY_POLICY["DIRECTIVES"].update(
        {
            "script-src": [SELF, *_stripe_js],
            "frame-src": [SELF, *_stripe_js, "https://hooks.stripe.com"],
            "connect-src": [SELF, "https://api.stripe.com"],
        }
    )
FORMS_URLFIELD_ASSUME_HTTPS = True

# What a rep may do alone; above these an action needs a manager (billing.exceed_rep_limits).
PAYDESK_REP_MAX_REFUND = env_limits(
    "PAYDESK_REP_MAX_REFUND", "USD 500, EUR 500, GBP 400, JPY 50000, KWD 150"
)
PAYDESK_REP_MAX_DISCOUNT_PERCENT = env_int("PAYDESK_REP_MAX_DISCOUNT_PERCENT", 20)

# The largest single amount any field accepts, in minor units of its currency (core.money):
# the gateway's largest charge, so 999,999.99 USD, 99,999,999 JPY, 99,999.999 KWD.
PAYDESK_MAX_AMOUNT_MINOR = env_int("PAYDESK_MAX_AMOUNT_MINOR", 99_999_999, minimum=1)
# The most units of a product on one sale line.
PAYDESK_MAX_QUANTITY = env_int("PAYDESK_MAX_QUANTITY", 10_000, minimum=1)

# Dunning: the most charges one minute of sweeps may send, so a backlog never floods the gateway.
PAYDESK_DUNNING_MAX_CHARGES_PER_MINUTE = env_int(
    "PAYDESK_DUNNING_MAX_CHARGES_PER_MINUTE", 300, minimum=1
)

# The add-card form's default for "retry these open collections now" (the rep chooses).
PAYDESK_DUNNING_RETRY_ON_CARD_UPDATE = env_bool("PAYDESK_DUNNING_RETRY_ON_CARD_UPDATE", True)

# The customer's own pages (billing.links): how long an emailed link works, the address links
# point at (they leave by email), and the seller the invoice page and PDF name.
PAYDESK_CUSTOMER_LINK_DAYS = env_int("PAYDESK_CUSTOMER_LINK_DAYS", 30, minimum=1)
PAYDESK_PUBLIC_URL = env_str("PAYDESK_PUBLIC_URL", "http://127.0.0.1:8000")
PAYDESK_SELLER_NAME = env_str("PAYDESK_SELLER_NAME", "Paydesk Demo Ltd")
# One line per address line, separated by "|" in the environment.
PAYDESK_SELLER_ADDRESS = [
    line.strip()
    for line in env_str("PAYDESK_SELLER_ADDRESS", "1 Example Street|Springfield").split("|")
    if line.strip()
]

# A staff-only test clock for demos (core.clock); never on in production.
PAYDESK_ALLOW_TEST_CLOCK = env_bool("PAYDESK_ALLOW_TEST_CLOCK", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # stripe-python logs every request at INFO; keep its warnings only.
    "loggers": {"stripe": {"level": "WARNING"}},
}
