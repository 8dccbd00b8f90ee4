"""Settings shared by every environment; the environment modules override what differs."""

from pathlib import Path

import django_stubs_ext
import environ

# Lets annotations such as forms.ModelForm[Company] run, not just type-check.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Only for its static files and templates: the API docs page serves Swagger UI from our own origin (CSP).
    "ninja",
    # Background jobs: Django's tasks interface (django_tasks, the backport of Django 6's django.tasks) and its
    # database backend (the queue is a table: `manage.py db_worker` runs it; see docs/jobs.md).
    "django_tasks",
    "django_tasks_db",
    "headwater.core",
    "headwater.users",
    "headwater.jobs",
    "headwater.channels",
    "headwater.sources",
    "headwater.campaigns",
    "headwater.spend",
    "headwater.records",
    "headwater.companies",
    "headwater.persons",
    "headwater.deals",
    "headwater.capture",
    "headwater.leadforms",
    "headwater.stats",
    "headwater.imports",
    "headwater.workspace",
    "headwater.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "headwater.core.middleware.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user is known (and messages can be left): the idle timeout, then the user's language.
    "headwater.core.middleware.SessionIdleMiddleware",
    "headwater.core.middleware.LanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "headwater.core.api_errors.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "headwater" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "headwater.users.context_processors.navigation",
            ],
        },
    },
]

# Django's input and select widgets written in Python, the same HTML as their templates (core/widgets.py).
FORM_RENDERER = "headwater.core.widgets.WidgetRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'headwater.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: the app's reads are index ranges of a few thousand rows, which PostgreSQL's estimates
    # can put above `jit_above_cost`; compiling then costs more than the query (a Statistics page of twelve months
    # waited 6 to 20 ms more for its close days' read; docs/performance.md, "The page's queries").
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# Job progress (headwater.jobs) is written through its own connection on PostgreSQL, so a page sees it while the
# job's own transaction is still open; SQLite has one writer at a time, and there the job writes it between its
# transactions (jobs/services.py).
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["jobs"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}

# Background jobs: queued in the database, run by `manage.py db_worker` (make run starts one; docs/jobs.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running job that has not reported for this long is shown as failed: its worker was killed or lost.
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=120)

# Word starts (records/word_starts.py, PostgreSQL): an account with this many persons (companies) or more reads a
# two-character search in name order through the kind's word-start table; it keeps it until it has fewer than
# WORD_STARTS_OFF_BELOW. Without it, such a search counts its matches in the records themselves: 1,413 blocks and
# 15.2 ms a page for 7,500 persons, 145 blocks and 10.4 ms with it (docs/performance.md); below 5,000 the count
# stays small.
WORD_STARTS_ON_AT = env.int("WORD_STARTS_ON_AT", default=5_000)
WORD_STARTS_OFF_BELOW = env.int("WORD_STARTS_OFF_BELOW", default=2_500)
# Records written per transaction when an account is switched on: its writers wait for one batch at a time.
WORD_STARTS_BATCH = env.int("WORD_STARTS_BATCH", default=10_000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "users:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# One date format per language on every page: 4 Dec 2026 / 04.12.2026 (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
# Where `collectstatic` writes (production serves from here through WhiteNoise); a checker builds into its own.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The shared stylesheet, htmx and our scripts live outside any app: tell the finders (and collectstatic).
STATICFILES_DIRS = [BASE_DIR / "headwater" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # Django's own: a compiled lookup saved < 1 ms a page
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
LANGUAGE_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "headwater.core.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Django's own console handler (DEBUG only) printed every record a second time beside ours: drop it and
        # let django's records reach the root handler once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused request (403, 404...) is one line, not a traceback: it is an answer, not a failure.
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}
CSRF_FAILURE_VIEW = "headwater.core.error_views.csrf_failure"
# The largest request body (form or API) read, in bytes; beyond it pages answer 413 and the API `too_large`.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# Uploaded import files (headwater/imports), each under a random name; kept until the import is deleted.
IMPORT_FILES_DIR = Path(env("IMPORT_FILES_DIR", default=str(BASE_DIR / "var" / "imports")))
# Files jobs make for their users (a big list's XLSX export), each under a random name, downloaded from the job's page.
JOB_FILES_DIR = Path(env("JOB_FILES_DIR", default=str(BASE_DIR / "var" / "job-files")))
# A job's file is deleted this many days after the job ended (`manage.py prune_job_files`, and whenever a job makes
# a new file): exports hold customer data and are made again in seconds.
JOB_FILES_KEEP_DAYS = env.int("JOB_FILES_KEEP_DAYS", default=7)
# A list's XLSX export of more records than this is written by a background job (a smaller one at once).
EXPORT_XLSX_JOB_ROWS = env.int("EXPORT_XLSX_JOB_ROWS", default=20_000)

# Paginated lists: page size and the point past which we stop counting exactly.
LIST_PAGE_SIZE = 25
LIST_COUNT_LIMIT = 10_000

# REST API: requests per minute per token (429 with Retry-After beyond it; 0 switches the limit off).
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)

# Lead forms' public intake (headwater/leadforms): submissions per minute per form and per address (counted in the
# database, so every worker shares the counts; 0 switches a limit off), the least time between showing a form and
# sending it, and how long a shown form stays valid.
LEADFORM_RATE_PER_FORM = env.int("LEADFORM_RATE_PER_FORM", default=300)
LEADFORM_RATE_PER_ADDRESS = env.int("LEADFORM_RATE_PER_ADDRESS", default=10)
LEADFORM_MIN_FILL_SECONDS = env.int("LEADFORM_MIN_FILL_SECONDS", default=3)
LEADFORM_TOKEN_MAX_AGE_SECONDS = env.int("LEADFORM_TOKEN_MAX_AGE_SECONDS", default=24 * 3600)

# Cache: login throttling and the API rate limit count here. The default (locmem) is per process, fine for one
# process; with several workers set CACHE_URL to a shared cache (e.g. redis://host:6379/0) so they count together.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Log-in throttling: after this many failed log-ins for one e-mail from one IP, refuse (429) for the window.
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=10)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=15 * 60)
# How long an invitation link works, and how many invitation e-mails one account may send per hour.
INVITATION_MAX_AGE_SECONDS = env.int("INVITATION_MAX_AGE_SECONDS", default=7 * 24 * 3600)
INVITATION_THROTTLE_PER_HOUR = env.int("INVITATION_THROTTLE_PER_HOUR", default=50)
# Sign-up: how long the e-mailed link works, and how many sign-ups per IP and per address in the window.
SIGNUP_LINK_MAX_AGE_SECONDS = env.int("SIGNUP_LINK_MAX_AGE_SECONDS", default=2 * 24 * 3600)
SIGNUP_THROTTLE_PER_IP = env.int("SIGNUP_THROTTLE_PER_IP", default=20)
SIGNUP_THROTTLE_PER_EMAIL = env.int("SIGNUP_THROTTLE_PER_EMAIL", default=3)
SIGNUP_THROTTLE_WINDOW_SECONDS = env.int("SIGNUP_THROTTLE_WINDOW_SECONDS", default=3600)
# A login from before address confirmation gets at most one confirmation e-mail in this many seconds.
EMAIL_CONFIRM_RESEND_SECONDS = env.int("EMAIL_CONFIRM_RESEND_SECONDS", default=300)
# A session unused for this long is logged out (the absolute limit stays SESSION_COOKIE_AGE, two weeks).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=2 * 3600)

# E-mail (sign-up and confirmation links, invitations): SMTP from EMAIL_URL, e.g. smtp+tls://user:pass@host:587;
# development prints e-mails on the console (config/settings/local.py), tests keep them in memory.
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Headwater <no-reply@localhost>")
# Where e-mailed links point (e.g. https://crm.example.com); empty: the host the request came to.
SITE_URL = env("SITE_URL", default="")
