"""Undo an import by posting its page: created records deleted, changed fields restored, history says so, records
touched since listed and kept when the user says so; refused after 30 days and for viewers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports.models import Import, ImportState
from headwater.imports.services import import_run, import_update_duplicates
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.sources.services import source_create
from headwater.stats.tally_drift import tally_drift
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
