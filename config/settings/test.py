"""The test suite: fast hashing, in-memory e-mail, same middleware as production."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403 — the settings split: this file is base plus its changes

DEBUG = False
SECRET_KEY = "test-only-not-secret"  # noqa: S105 — tests only
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run at once, inside the request that enqueues them (one test runs the real database queue and worker).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The job's progress goes through the default connection: a test's data lives in its (default) transaction.
DATABASES.pop("jobs", None)

# Uploaded import files: out of the checkout (the imports app's own tests use a folder of their own per test).
IMPORT_FILES_DIR = Path(tempfile.gettempdir()) / "headwater-test-imports"
JOB_FILES_DIR = Path(tempfile.gettempdir()) / "headwater-test-job-files"
