"""Running the real job queue in a test: the database backend and `manage.py db_worker`."""

from __future__ import annotations

import signal

from django.core.management import call_command

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """`db_worker --batch`: run every queued task, then exit. It installs its own SIGINT/SIGTERM handlers: put the
    test runner's back. Needs `django_db(transaction=True)`: the worker checks its connection between tasks."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    saved = {sig: signal.getsignal(sig) for sig in signals}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
