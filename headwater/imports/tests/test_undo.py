"""Undo an import by posting its page: created records deleted, changed fields restored, history says so, records
touched since listed and kept when the user says so; refused after 30 days and for viewers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from headwater.companies.models import Company
from headwater.core.errors import Conflict
from headwater.deals.models import Deal
from headwater.imports.models import Import, ImportState
from headwater.imports.services import import_run, import_update_duplicates
from headwater.imports.undo import import_undo_start
from headwater.jobs.models import Job, JobState
from headwater.jobs.services import job_create
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.sources.services import source_create
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, make_import

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość;Źródło\n"
    "Acme;Gdańsk;Anna;Nowak;anna@acme.pl;Licencje;1 234,50 zł;Google\n"
    "Beta;Łódź;Jan;Kowalski;jan@beta.pl;Serwis;100;Google\n"
).encode()


def url(name, import_):
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


@pytest.fixture
def imported(tenant):
    google = source_create(account=tenant.account, user=tenant.admin, name="Google")
    existing = CompanyFactory(account=tenant.account, name="Acme", city="", source=None)
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    import_update_duplicates(account=tenant.account, import_=import_, mode="fill", update_existing_source=True)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    existing.refresh_from_db()
    assert (existing.city, existing.source_id) == ("Gdańsk", google.pk)
    return import_, existing


def test_undo_deletes_what_it_created_and_restores_what_it_changed(tenant, imported):
    import_, existing = imported
    client = tenant.client_for("member")
    page = client.get(url("undo", import_))
    assert page.status_code == 200
    assert page.context["created"] == 5  # Beta, two persons, two deals
    response = client.post(url("undo", import_), {"touched": "keep"})
    assert response.status_code == 302
    assert list(Company.objects.for_account(tenant.account).values_list("pk", flat=True)) == [existing.pk]
    assert not Person.objects.for_account(tenant.account).exists()
    assert not Deal.objects.for_account(tenant.account).exists()
    existing.refresh_from_db()
    assert (existing.city, existing.source_id) == ("", None)
    change = SourceChange.objects.for_account(tenant.account).filter(record_id=existing.pk).order_by("-id").first()
    assert (change.how, change.import_ref) == (HowChanged.UNDO, import_.pk)
    import_.refresh_from_db()
    assert import_.state == ImportState.UNDONE
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    # Once undone, it cannot be undone or run again.
    assert client.post(url("undo", import_), {"touched": "keep"}).status_code == 302
    assert client.post(url("preview", import_)).status_code == 302
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.UNDONE


def test_records_touched_since_are_listed_and_kept_or_undone(tenant, imported):
    import_, _existing = imported
    beta = Company.objects.for_account(tenant.account).get(name="Beta")
    later = DealFactory(account=tenant.account, company=beta, name="Added by hand")
    client = tenant.client_for("member")
    page = client.get(url("undo", import_))
    assert [t.record_id for t in page.context["plan"].touched] == [beta.pk]
    client.post(url("undo", import_), {"touched": "keep"})
    assert Company.objects.for_account(tenant.account).filter(pk=beta.pk).exists()
    later.refresh_from_db()
    assert later.company_id == beta.pk
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_undoing_the_touched_too_unlinks_the_records_added_since(tenant, imported):
    import_, _existing = imported
    beta = Company.objects.for_account(tenant.account).get(name="Beta")
    later = DealFactory(account=tenant.account, company=beta, name="Added by hand")
    tenant.client_for("member").post(url("undo", import_), {"touched": "undo"})
    assert not Company.objects.for_account(tenant.account).filter(pk=beta.pk).exists()
    later.refresh_from_db()
    assert later.company_id is None
    assert "beta" not in later.search_key
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_undo_is_refused_after_30_days_and_for_viewers(tenant, other_tenant, imported):
    import_, _existing = imported
    assert tenant.client_for("viewer").post(url("undo", import_), {"touched": "undo"}).status_code in (403, 404, 405)
    assert other_tenant.client_for("admin").get(url("undo", import_)).status_code == 404
    Import.unscoped.filter(pk=import_.pk).update(finished_at=import_.finished_at - dt.timedelta(days=31))
    response = tenant.client_for("member").post(url("undo", import_), {"touched": "undo"})
    assert response.status_code == 302
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.DONE
    assert Person.objects.for_account(tenant.account).count() == 2


def test_the_undo_runs_as_a_job_whose_progress_the_page_shows(tenant, imported):
    import_, _existing = imported
    client = tenant.client_for("member")
    response = client.post(url("undo", import_), {"touched": "keep"})
    assert response["Location"] == url("undo", import_)
    import_.refresh_from_db()
    job = import_.undo_job
    assert (job.kind, job.state, job.started_by_id) == ("imports.undo", JobState.DONE, tenant.member.pk)
    assert job.done == job.total == 6  # one record restored, five deleted
    page = client.get(url("undo", import_))
    assert page.context["undone"] == {"deleted": 5, "restored": 1, "kept": 0}
    assert b'data-count="deleted">5<' in page.content
    assert b"<progress" in page.content


def test_while_the_undo_runs_the_page_shows_its_progress_and_starts_no_second_one(tenant, imported):
    import_, _existing = imported
    job = job_create(account=tenant.account, kind="imports.undo", label=import_.file_name, user=tenant.member)
    Job.unscoped.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=timezone.now(), done=2, total=6)
    Import.unscoped.filter(pk=import_.pk).update(undo_job=job)
    client = tenant.client_for("member")
    page = client.get(url("undo", import_))
    assert page.context["running"] is True
    assert reverse("jobs:progress", kwargs={"account_slug": tenant.account.slug, "job_id": job.pk}).encode() in (
        page.content
    )
    assert b"2 of 6" in page.content
    assert client.post(url("undo", import_), {"touched": "undo"}).status_code == 302
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.DONE
    assert Person.objects.for_account(tenant.account).count() == 2
    with pytest.raises(Conflict):
        import_undo_start(account=tenant.account, user=tenant.member, import_=import_, keep_touched=True)
    # A stale job (its worker died) is failed: the page says so and the undo can start again.
    Job.unscoped.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    page = client.get(url("undo", import_))
    assert page.context["failed"] is True
    client.post(url("undo", import_), {"touched": "undo"})
    assert Import.unscoped.get(pk=import_.pk).state == ImportState.UNDONE


def test_the_api_lists_what_the_undo_does_then_runs_it(tenant, other_tenant, imported):
    import_, existing = imported
    beta = Company.objects.for_account(tenant.account).get(name="Beta")
    DealFactory(account=tenant.account, company=beta, name="Added by hand")
    api = api_for(tenant, "member")
    path = f"/imports/{import_.pk}/undo"
    assert api_for(other_tenant).get(path).status_code == 404
    assert api_for(other_tenant).post(path, {"touched": "keep"}).status_code == 404
    assert api_for(tenant, "viewer").post(path, {"touched": "keep"}).status_code == 403
    assert api.post(path, {"touched": "maybe"}).status_code in (400, 422)
    plan = api.get(path).json()
    assert (plan["can_undo"], plan["created"], plan["updated"], plan["job_state"]) == (True, 5, 1, None)
    assert [(t["kind"], t["id"]) for t in plan["touched"]] == [("company", beta.pk)]
    started = api.post(path, {"touched": "keep"})
    assert started.status_code == 202
    assert started["Location"].endswith(path)
    done = api.get(path).json()
    assert (done["state"], done["job_state"], done["can_undo"]) == ("undone", "done", False)
    assert done["results"] == {"deleted": 4, "restored": 1, "kept": 1}
    assert Company.objects.for_account(tenant.account).filter(pk=beta.pk).exists()
    existing.refresh_from_db()
    assert existing.city == ""
    again = api.post(path, {"touched": "keep"})
    assert again.status_code == 409
    assert again.json()["error"]["message"]
