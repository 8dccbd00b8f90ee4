"""Running the real job queue in a test: the database backend and `manage.py db_worker`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.db import connection

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


def kill_script_at(script: str, *args: str, line: str, env: dict[str, str] | None = None) -> int:
    """Run `script` (Python, on this test database through `DATABASE_URL`) in a process of its own, wait until it
    prints `line`, then kill -9 it: a worker dying mid-transaction. Returns its exit code (-SIGKILL when it died
    there)."""
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **(env or {}),
    }
    worker = subprocess.Popen(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-c", script, *args],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        said = worker.stdout.readline().strip() if worker.stdout is not None else ""
        if said != line:
            raise AssertionError(f"the script said {said!r} before being killed, not {line!r}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    return worker.returncode
