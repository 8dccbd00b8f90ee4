"""A worker killed (kill -9) mid-undo leaves nothing half done: the undo is one transaction, which the database rolls
back when its connection dies. The undo's job then shows as failed and the undo can be started again."""

from __future__ import annotations

import datetime as dt
import signal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from headwater.companies.models import Company
from headwater.imports.models import Import, ImportState
from headwater.imports.services import import_run, import_update_duplicates
from headwater.jobs.models import Job, JobState
from headwater.jobs.services import job_create
from headwater.persons.models import Person
from headwater.sources.services import source_create
from headwater.testing.factories import CompanyFactory, make_import
from headwater.testing.jobs import kill_script_at

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Źródło\n"
    "Acme;Gdańsk;Anna;Nowak;anna@acme.pl;Google\n"
    + "".join(f"Firma {n};Łódź;Osoba;Nazwisko{n};osoba{n}@firma{n}.pl;Google\n" for n in range(1, 51))
).encode()

WORKER = """
import sys, time
import django
django.setup()
from headwater.imports import undo
from headwater.imports.models import Import
import_ = Import.unscoped.select_related("account").get(pk=int(sys.argv[1]))
def advance(done, total):
    if done:
        print("undid some", flush=True)
        time.sleep(120)
undo.import_undo(account=import_.account, user=None, import_=import_, keep_touched=False, advance=advance)
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process needs a database server")
def test_a_worker_killed_mid_undo_leaves_nothing_half_done_and_the_undo_runs_again(tenant, import_files_dir):
    source_create(account=tenant.account, user=tenant.admin, name="Google")
    acme = CompanyFactory(account=tenant.account, name="Acme", city="", source=None)
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    import_update_duplicates(account=tenant.account, import_=import_, mode="fill", update_existing_source=True)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    acme.refresh_from_db()
    assert acme.city == "Gdańsk"
    job = job_create(account=tenant.account, kind="imports.undo", user=tenant.member)
    Job.unscoped.filter(pk=job.pk).update(
        state=JobState.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    Import.unscoped.filter(pk=import_.pk).update(undo_job=job)
    # Acme's fields are restored in the open transaction; the worker dies before the deletes and the commit.
    assert kill_script_at(WORKER, str(import_.pk), line="undid some") == -signal.SIGKILL
    acme.refresh_from_db()
    assert (acme.city, acme.source_id is not None) == ("Gdańsk", True)
    assert Company.objects.for_account(tenant.account).count() == 51
    assert Person.objects.for_account(tenant.account).count() == 51
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.DONE
    # No news from the job for longer than the stale limit: the page says the undo failed and offers it again.
    Job.unscoped.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    client = tenant.client_for("member")
    page_url = reverse("imports:undo", kwargs={"account_slug": tenant.account.slug, "import_id": import_.pk})
    assert client.get(page_url).context["failed"] is True
    client.post(page_url, {"touched": "undo"})
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.UNDONE
    acme.refresh_from_db()
    assert (acme.city, acme.source_id) == ("", None)
    assert Company.objects.for_account(tenant.account).count() == 1
    assert not Person.objects.for_account(tenant.account).exists()
