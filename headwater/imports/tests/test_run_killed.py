"""A worker killed (kill -9) mid-import leaves no partial rows: the run is one transaction, which the database
rolls back when its connection dies. The import then shows as failed (its job went stale) and runs again."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from headwater.companies.models import Company
from headwater.imports.models import Import, ImportState
from headwater.imports.selectors import import_state
from headwater.imports.services import import_run
from headwater.jobs.models import Job, JobState
from headwater.jobs.services import job_create
from headwater.persons.models import Person
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Nazwa firmy;Imię;Nazwisko;E-mail\n"
    + "".join(f"Firma {n};Osoba;Nazwisko{n};osoba{n}@firma{n}.pl\n" for n in range(1, 201))
).encode()

WORKER = """
import sys, time
import django
django.setup()
from headwater.imports import run
run.BATCH_ROWS = 50
written = run._Writer.write
def write(self, batch):
    written(self, batch)
    print("batch written", flush=True)
    time.sleep(120)
run._Writer.write = write
run.import_execute(import_id=int(sys.argv[1]))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process needs a database server")
def test_a_worker_killed_mid_import_leaves_nothing_and_the_import_runs_again(tenant, settings, import_files_dir):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    job = job_create(account=tenant.account, kind="imports.run", user=tenant.member)
    Job.unscoped.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    Import.unscoped.filter(pk=import_.pk).update(state=ImportState.QUEUED, job=job)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "IMPORT_FILES_DIR": str(import_files_dir),
    }
    script = WORKER.replace(
        "django.setup()",
        f"django.setup()\nfrom django.conf import settings\nsettings.IMPORT_FILES_DIR = {str(import_files_dir)!r}",
    )
    worker = subprocess.Popen(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-c", script, str(import_.pk)],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "batch written"
        # A batch is written in the open transaction; the worker dies before the commit.
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert Company.objects.for_account(tenant.account).count() == 0
    assert Person.objects.for_account(tenant.account).count() == 0
    # No news from the job for longer than the stale limit: the import shows as failed ...
    Job.unscoped.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    import_ = Import.objects.for_account(tenant.account).select_related("job").get(pk=import_.pk)
    assert import_state(import_=import_) == ImportState.FAILED
    # ... and runs again, whole.
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    assert Company.objects.for_account(tenant.account).count() == 200
