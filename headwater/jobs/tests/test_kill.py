"""kill -9 of a real worker in the middle of a job: the job is not left "running" forever on the page."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow  # a real worker, killed: about a minute on a busy machine

SETUP = """
from headwater.jobs.services import job_create, job_enqueue
from headwater.jobs.tests.tasks import slow_task
from headwater.testing.factories import AccountFactory
job = job_create(account=AccountFactory(slug="killed"), kind="tests.slow")
job_enqueue(job=job, task=slow_task, seconds=60)
print(job.pk)
"""

SHOWN = """
from headwater.jobs.models import Job
print(Job.unscoped.get(pk={pk}).shown_state())
"""


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_job_whose_worker_is_killed_shows_failed_once_its_heartbeat_is_old(tmp_path):
    database = tmp_path / "kill.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "JOB_STALE_AFTER_SECONDS": "10",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    pk = int(_manage(env, "shell", "-c", SETUP))
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with sqlite3.connect(database) as db:
                row = db.execute("SELECT state, done FROM jobs_job WHERE id = ?", [pk]).fetchone()
            if row == ("running", 1):
                break
            assert time.monotonic() < deadline, f"the worker never started the job: {row}"
            time.sleep(0.2)
        assert _manage(env, "shell", "-c", SHOWN.format(pk=pk)) == "running"  # alive: reported just now
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT state FROM jobs_job WHERE id = ?", [pk]).fetchone() == ("running",)
        assert db.execute("SELECT status FROM django_tasks_database_dbtaskresult").fetchone() == ("RUNNING",)
    time.sleep(10.5)  # JOB_STALE_AFTER_SECONDS without news
    assert _manage(env, "shell", "-c", SHOWN.format(pk=pk)) == "failed"
