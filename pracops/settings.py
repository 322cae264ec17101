"""PracOps settings, read from the environment.

With no environment set, PracOps runs on its embedded default: a SQLite file under
``var/``, Celery tasks executed in-process, DEBUG on. ``DATABASE_URL`` selects
PostgreSQL and ``CELERY_BROKER_URL`` a Redis broker with real workers;
``PRACOPS_ENV=production`` turns on the hardened production settings.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PRACOPS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
if env.bool("PRACOPS_READ_DOT_ENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

PRACOPS_ENVS = ("development", "production", "test")
PRACOPS_ENV = env.str("PRACOPS_ENV", default="development")
if PRACOPS_ENV not in PRACOPS_ENVS:
    # A typo such as "prod" must not quietly run with development settings.
    raise ImproperlyConfigured(
        f"PRACOPS_ENV={PRACOPS_ENV!r} is not one of {', '.join(PRACOPS_ENVS)}"
    )
PRODUCTION = PRACOPS_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

_DEV_SECRET_KEY = "dev-only-not-secret-7c1d0f1e9b2a4c5e8d3f6a7b9c0e1d2f3a4b5c6d7e8f9a0b"
# Keys anybody can read (this file, .env.example): never good enough for production.
_PUBLIC_SECRET_KEYS = {_DEV_SECRET_KEY, "change-me"}
_MIN_SECRET_KEY_LENGTH = 50

if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if SECRET_KEY in _PUBLIC_SECRET_KEYS or len(SECRET_KEY) < _MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            "production needs DJANGO_SECRET_KEY: a random string of at least "
            f"{_MIN_SECRET_KEY_LENGTH} characters, not the example or development key "
            "(python -c \"import secrets; print(secrets.token_urlsafe(50))\")"
        )
else:
    # A development-only key; production refuses it.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "axes",
    "pracops.access",
    "pracops.audit",
    "pracops.records",
    "priorauth",
    "documentation",
    "billing",
    "billing.remittance",
    "billing.submission",
    "billing.fhir",
    "sandbox.payer",
    "sandbox.clearinghouse",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "pracops.access.authentication.AdminLoginLockout",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin sign-ins: after this many failures for one user name from one address, refused
# until the cool-off has passed (or `manage.py axes_reset_username NAME`).
AXES_FAILURE_LIMIT = env.int("PRACOPS_ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PRACOPS_ADMIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "pracops.urls"
WSGI_APPLICATION = "pracops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pracops" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pracops.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process can see what the tests write; one per
    # test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("PRACOPS_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["pracops.access.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "pracops.access.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "pracops.access.api.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "pracops.access.throttling.ClientRateThrottle",
        "pracops.access.throttling.AnonymousRateThrottle",
    ],
}
# The OpenAPI 3 schema at /api/schema/ (drf-spectacular); the docs' scripts come from
# drf-spectacular-sidecar's static files, never a CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "PracOps API",
    "DESCRIPTION": "Prior authorizations, claims and billing reports for pain practices. "
                   "Authenticate with 'Authorization: Bearer <token>' (manage.py create_api_client).",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["pracops.access.openapi.only_api"],
    "EXTENSIONS_INFO": {},
}
# Requests per client (token) and per address without one; "none" turns a limit off.
API_THROTTLE_RATES = {
    "client": env.str("PRACOPS_API_RATE_CLIENT", default="1200/min"),
    "anonymous": env.str("PRACOPS_API_RATE_ANONYMOUS", default="60/min"),
}
API_THROTTLE_RATES = {scope: None if rate.lower() == "none" else rate for scope, rate in API_THROTTLE_RATES.items()}
# Rate counts live in the cache: set CACHE_URL (e.g. redis://host:6379/1) so that every web
# process counts together; the default counts per process.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    # A leaked token stops working on its own; create_api_client --ttl-days overrides per client.
    "TOKEN_TTL": timedelta(days=env.int("PRACOPS_API_TOKEN_TTL_DAYS", default=90)),
    "AUTO_REFRESH": False,
}

# The largest request body the FHIR API accepts (bytes).
FHIR_MAX_BODY_BYTES = env.int("FHIR_MAX_BODY_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = FHIR_MAX_BODY_BYTES
FHIR_DEFAULT_COUNT = 50
FHIR_MAX_COUNT = 1000
# Absolute base URL used in fullUrl and links; derived from the request when empty.
FHIR_BASE_URL = env.str("FHIR_BASE_URL", default="")

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it finished, so a worker that dies loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="default")
# Note understanding holds a spaCy pipeline per worker process: its own queue and workers.
CELERY_NLP_QUEUE = env.str("CELERY_NLP_QUEUE", default="nlp")
CELERY_TASK_ROUTES = {"documentation.tasks.*": {"queue": CELERY_NLP_QUEUE}}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
# Every task has time limits: soft (the task records why it stopped) then hard (the process is
# killed). The two that do real work have their own, below.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
NOTE_READING_SOFT_TIME_LIMIT = env.int("NOTE_READING_SOFT_TIME_LIMIT", default=120)
NOTE_READING_TIME_LIMIT = env.int("NOTE_READING_TIME_LIMIT", default=180)
FHIR_ASYNC_SOFT_TIME_LIMIT = env.int("FHIR_ASYNC_SOFT_TIME_LIMIT", default=600)
FHIR_ASYNC_TIME_LIMIT = env.int("FHIR_ASYNC_TIME_LIMIT", default=660)

# --- Work committed is work done (see pracops/pending_work.py) -------------
# The database row is the source of truth for work to do; queueing its task is best effort,
# and beat runs this sweep to queue again what is still pending after the grace period.
PENDING_WORK_SWEEPS = [
    "pracops.records.tasks.sweep_bundle_submissions",
    "documentation.tasks.sweep_unread_notes",
    "priorauth.tasks.sweep_prior_authorizations",
    "billing.remittance.tasks.sweep_received_files",
    "billing.fhir.tasks.sweep_stale_projections",
]
PENDING_WORK_GRACE_SECONDS = env.int("PENDING_WORK_GRACE_SECONDS", default=300)
PENDING_WORK_SWEEP_SECONDS = env.int("PENDING_WORK_SWEEP_SECONDS", default=60)
# The most notes one sweep queues (after an extractor upgrade every note is unread).
PENDING_WORK_SWEEP_BATCH = env.int("PENDING_WORK_SWEEP_BATCH", default=500)
# An asynchronous Bundle not finished this long after it was accepted fails as expired.
FHIR_ASYNC_EXPIRY_SECONDS = env.int("FHIR_ASYNC_EXPIRY", default=24 * 3600)
# A note whose reading fails is tried again after 5, 10, 20... minutes, then given up.
NOTE_READING_MAX_ATTEMPTS = env.int("NOTE_READING_MAX_ATTEMPTS", default=5)
NOTE_READING_RETRY_SECONDS = env.int("NOTE_READING_RETRY_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-work": {"task": "pracops.sweep_pending_work", "schedule": PENDING_WORK_SWEEP_SECONDS},
}

# --- Prior authorization ----------------------------------------------------
# Extra folders of payer policy files (<dir>/<payer>/payer.yaml and <policy>.yaml) beside the
# built-in priorauth/policies/: a practice adds a payer without code. Comma-separated paths.
PRIORAUTH_POLICY_DIRS = env.list("PRIORAUTH_POLICY_DIRS", default=[])
# --- Prior authorization workflow (priorauth/services.py) --------------------
# Requests awaiting a payer are asked about ($inquire) this often; notifications come sooner.
PRIORAUTH_INQUIRE_SECONDS = env.int("PRIORAUTH_INQUIRE_SECONDS", default=300)
# Staff are warned this many days before an approval's valid period ends.
PRIORAUTH_EXPIRY_WARNING_DAYS = env.int("PRIORAUTH_EXPIRY_WARNING_DAYS", default=14)
# Seconds a payer's API may take to answer one call.
PRIORAUTH_PAYER_TIMEOUT = env.float("PRIORAUTH_PAYER_TIMEOUT", default=10.0)
# The largest notification body accepted (bytes): a full-resource notification carries one
# ClaimResponse and what it references.
PRIORAUTH_NOTIFICATION_MAX_BYTES = env.int("PRIORAUTH_NOTIFICATION_MAX_BYTES", default=1024 * 1024)
# The secret part of the rest-hook URL payers notify (/priorauth/pas/notifications/<token>/):
# payers hold no PracOps API token. Empty: the endpoint answers 404.
PRIORAUTH_NOTIFICATION_TOKEN = env.str("PRIORAUTH_NOTIFICATION_TOKEN", default="" if PRODUCTION else "demo-notifications")
if PRODUCTION and PRIORAUTH_NOTIFICATION_TOKEN and len(PRIORAUTH_NOTIFICATION_TOKEN) < 32:
    raise ImproperlyConfigured(
        "PRIORAUTH_NOTIFICATION_TOKEN is a secret: at least 32 random characters in production, or empty "
        "to turn the payers' notification endpoint off")
CELERY_BEAT_SCHEDULE["priorauth-poll-payers"] = {
    "task": "priorauth.poll_payers", "schedule": PRIORAUTH_INQUIRE_SECONDS}
CELERY_BEAT_SCHEDULE["priorauth-expire-approvals"] = {"task": "priorauth.expire_approvals", "schedule": 24 * 3600}

# Adapters by name (a PayerProfile names one): dotted paths, so a new channel is a new module.
PRIORAUTH_PAYER_ADAPTERS = {
    "pas": "priorauth.payers.pas.PasAdapter",
    "fax": "priorauth.payers.fax.FaxAdapter",
}
# The file outbox the fax adapter writes to; a fax gateway picks the files up from here.
PRIORAUTH_FAX_OUTBOX = Path(env.str("PRIORAUTH_FAX_OUTBOX", default=str(VAR_DIR / "fax-outbox")))

# What `manage.py load_demo` loads after the demo practice's records: each a function of
# (base_url, say) from an app that builds on them.
DEMO_STEPS = ["priorauth.demo.load_prior_authorizations"]

# --- Sandbox payer (sandbox/payer) -------------------------------------------
# A Da Vinci PAS endpoint standing for a payer's server, for the demo and the tests; never
# mounted in production unless PRACOPS_SANDBOX_PAYER says so.
SANDBOX_PAYER_ENABLED = env.bool("PRACOPS_SANDBOX_PAYER", default=not PRODUCTION)
# Rules loaded by `manage.py sandbox_payer_rules` when given no file (see that command).
SANDBOX_PAYER_RULES: list[dict] = []
# How long a rest-hook notification may take before it counts as failed (seconds).
SANDBOX_PAYER_NOTIFY_TIMEOUT = env.float("PRACOPS_SANDBOX_PAYER_NOTIFY_TIMEOUT", default=5.0)
SANDBOX_PAYER_DECIDE_SECONDS = env.int("PRACOPS_SANDBOX_PAYER_DECIDE_SECONDS", default=30)
if SANDBOX_PAYER_ENABLED:
    CELERY_BEAT_SCHEDULE["sandbox-payer-decide-due-claims"] = {
        "task": "sandbox.payer.tasks.decide_due_claims", "schedule": SANDBOX_PAYER_DECIDE_SECONDS,
    }

# --- Sandbox clearinghouse (sandbox/clearinghouse) ---------------------------
# An 837P mailbox standing for a claims clearinghouse and the payers behind it (999, 277CA, 835),
# for the demo and the tests; never mounted in production unless PRACOPS_SANDBOX_CLEARINGHOUSE says so.
SANDBOX_CLEARINGHOUSE_ENABLED = env.bool("PRACOPS_SANDBOX_CLEARINGHOUSE", default=not PRODUCTION)
# Submitter id -> shared secret (X-Submitter-Id, X-Submitter-Secret). The default pair is public:
# set PRACOPS_SANDBOX_CLEARINGHOUSE_SUBMITTERS="ID=secret,..." wherever the sandbox is reachable.
SANDBOX_CLEARINGHOUSE_SUBMITTERS: dict[str, str] = env.dict(
    "PRACOPS_SANDBOX_CLEARINGHOUSE_SUBMITTERS", default={"PRACOPS": "sandbox-clearinghouse-secret"})
SANDBOX_CLEARINGHOUSE_NAME = "SANDBOX CLEARINGHOUSE"
SANDBOX_CLEARINGHOUSE_ID = env.str("PRACOPS_SANDBOX_CLEARINGHOUSE_ID", default="SBXCLEARINGHOUS")  # ISA06, <= 15
SANDBOX_CLEARINGHOUSE_MAX_BYTES = env.int("PRACOPS_SANDBOX_CLEARINGHOUSE_MAX_BYTES", default=2_000_000)
# How long after a claim is accepted its 835 is due, and how often beat looks for due claims.
SANDBOX_CLEARINGHOUSE_REMIT_SECONDS = env.int("PRACOPS_SANDBOX_CLEARINGHOUSE_REMIT_SECONDS", default=60)
SANDBOX_CLEARINGHOUSE_REMIT_POLL_SECONDS = env.int("PRACOPS_SANDBOX_CLEARINGHOUSE_REMIT_POLL_SECONDS", default=30)
# A line no rule matches is allowed at this percent of its charge (and paid in full).
SANDBOX_CLEARINGHOUSE_ALLOWED_PERCENT = Decimal(env.str("PRACOPS_SANDBOX_CLEARINGHOUSE_ALLOWED_PERCENT", default="80"))
# Rules `manage.py sandbox_clearinghouse_rules` loads when given no file; None: the demo's
# (sandbox.clearinghouse.rules.DEMO_RULES).
SANDBOX_CLEARINGHOUSE_RULES: list[dict] | None = None
if SANDBOX_CLEARINGHOUSE_ENABLED:
    CELERY_BEAT_SCHEDULE["sandbox-clearinghouse-remit-due-claims"] = {
        "task": "sandbox.clearinghouse.tasks.remit_due_claims", "schedule": SANDBOX_CLEARINGHOUSE_REMIT_POLL_SECONDS,
    }
    DEMO_STEPS.append("sandbox.clearinghouse.demo.load_rules")
    # The demo encounters' claims, round-tripped through the sandbox clearinghouse (after its rules).
    DEMO_STEPS.append("billing.demo.load_claims")

# --- Billing: clearinghouses (billing/clearinghouses, billing/submission) ----------------
# Adapters by name (PayerBillingSettings.clearinghouse names one): dotted paths.
BILLING_CLEARINGHOUSE_ADAPTERS = {
    "sandbox": "billing.clearinghouses.sandbox.SandboxClearinghouse",
    "filedrop": "billing.clearinghouses.filedrop.FileDropClearinghouse",
}
# The clearinghouse of a payer whose billing settings name none. The sandbox adapter refuses to
# run unless SANDBOX_CLEARINGHOUSE_ENABLED (off under PRACOPS_ENV=production unless enabled).
BILLING_DEFAULT_CLEARINGHOUSE = env.str(
    "BILLING_DEFAULT_CLEARINGHOUSE", default="sandbox" if SANDBOX_CLEARINGHOUSE_ENABLED else "filedrop")
BILLING_CLEARINGHOUSE_TIMEOUT = env.float("BILLING_CLEARINGHOUSE_TIMEOUT", default=30.0)
# The sandbox clearinghouse of this server (make run: port 8000) and the submitter PracOps is there.
BILLING_SANDBOX_CLEARINGHOUSE_URL = env.str(
    "BILLING_SANDBOX_CLEARINGHOUSE_URL", default="http://127.0.0.1:8000/sandbox/clearinghouse/")
BILLING_SANDBOX_CLEARINGHOUSE_SUBMITTER = env.str("BILLING_SANDBOX_CLEARINGHOUSE_SUBMITTER", default="PRACOPS")
BILLING_SANDBOX_CLEARINGHOUSE_SECRET = env.str(
    "BILLING_SANDBOX_CLEARINGHOUSE_SECRET", default="sandbox-clearinghouse-secret")
# The file-drop clearinghouse: 837P files are written to the outbox; 999/277CA/835 files are
# read from the inbox and moved to inbox/collected/ once stored.
BILLING_FILEDROP_OUTBOX = Path(env.str("BILLING_FILEDROP_OUTBOX", default=str(VAR_DIR / "clearinghouse-outbox")))
BILLING_FILEDROP_INBOX = Path(env.str("BILLING_FILEDROP_INBOX", default=str(VAR_DIR / "clearinghouse-inbox")))
BILLING_FILEDROP_SENDER_ID = env.str("BILLING_FILEDROP_SENDER_ID", default="PRACOPS")
BILLING_FILEDROP_RECEIVER_ID = env.str("BILLING_FILEDROP_RECEIVER_ID", default="CLEARINGHOUSE")
BILLING_FILEDROP_RECEIVER_NAME = env.str("BILLING_FILEDROP_RECEIVER_NAME", default="CLEARINGHOUSE")
# A file left "sending" longer than this (a worker died mid-send) is looked at again.
BILLING_SENDING_STALE_SECONDS = env.int("BILLING_SENDING_STALE_SECONDS", default=600)
BILLING_SEND_SECONDS = env.int("BILLING_SEND_SECONDS", default=300)
BILLING_POLL_SECONDS = env.int("BILLING_POLL_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["billing-send-scrubbed-claims"] = {
    "task": "billing.submission.send_scrubbed_claims", "schedule": BILLING_SEND_SECONDS}
CELERY_BEAT_SCHEDULE["billing-poll-clearinghouses"] = {
    "task": "billing.submission.poll_clearinghouses", "schedule": BILLING_POLL_SECONDS}

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets (and overwrites) X-Forwarded-Proto; otherwise any client
    # could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_AGE = 8 * 3600

# --- Logging ----------------------------------------------------------------
# Patient identifiers travel in query strings (Patient?identifier=...); every
# handler strips them, and no code logs a request body or a note's text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_phi": {"()": "pracops.logging.RedactPhiFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_phi"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("PRACOPS_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Lockouts are warnings; its startup banner and per-attempt notes are not worth a line.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # httpx logs every request's full URL (paths carry ids); pracops.outbound logs host and status.
        "httpx": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "httpcore": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # PDF rendering (priorauth.packet) logs every step and every font subset at INFO: a hundred
        # lines per packet, and writing them costs as much as the rendering.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pyx12 logs each validation error with the element's value (member ids, names, amounts);
        # its verdicts reach people through the 999s built from them, not the log.
        "pyx12": {"level": "CRITICAL"},
    },
}
