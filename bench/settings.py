"""Production-like settings for the benchmark: DEBUG off, a persistent database connection, no API rate limit.

The database comes from BENCH_DATABASE_URL (never the development database).
"""

import os

os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hw_bench")

from config.settings.base import *  # noqa: F403 — the settings split: this file is base plus its changes
from config.settings.base import DATABASES

DEBUG = False
SECRET_KEY = "bench-only-not-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"  # noqa: S105 — benchmark only
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
API_RATE_LIMIT_PER_MINUTE = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
