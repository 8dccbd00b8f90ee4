"""A worker killed (kill -9) mid-import leaves no partial rows: the run is one transaction, which the database
rolls back when its connection dies. The import then shows as failed (its job went stale) and runs again."""

from __future__ import annotations

import datetime as dt
import signal

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
from headwater.testing.jobs import kill_script_at

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
    script = WORKER.replace(
        "django.setup()",
        f"django.setup()\nfrom django.conf import settings\nsettings.IMPORT_FILES_DIR = {str(import_files_dir)!r}",
    )
    # A batch is written in the open transaction; the worker dies before the commit.
    returncode = kill_script_at(
        script, str(import_.pk), line="batch written", env={"IMPORT_FILES_DIR": str(import_files_dir)}
    )
    assert returncode == -signal.SIGKILL
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
