"""Undo brings back every field an import changed, of every kind (text, money, dates, the close date the status
moved, the source with its history saying the undo), and leaves alone what the import did not change (the owner)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headwater.companies.models import Company
from headwater.deals.models import Deal, DealStatus
from headwater.imports.models import ImportState
from headwater.imports.services import import_run, import_update_duplicates
from headwater.imports.undo import import_undo
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.sources.services import source_create
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, make_import

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Stanowisko;Nazwa szansy;Wartość;Etap;Planowana data zamknięcia;Źródło\n"
    "Acme;Gdańsk;Anna;Nowak;anna@acme.pl;Prezes;Licencje;1 234,50 zł;won;2025-06-30;Google\n"
).encode()


@pytest.fixture
def before(tenant):
    source_create(account=tenant.account, user=tenant.admin, name="Google")
    company = CompanyFactory(account=tenant.account, name="Acme", city="Kraków", source=None, owner=tenant.admin)
    person = PersonFactory(
        account=tenant.account,
        company=company,
        first_name="Anna",
        last_name="Nowak",
        email="anna@acme.pl",
        position="",
        owner=tenant.admin,
        source=None,
    )
    deal = DealFactory(
        account=tenant.account,
        company=company,
        person=person,
        name="Licencje",
        value=Decimal("500.00"),
        status=DealStatus.OPEN,
        expected_close_date=dt.date(2025, 1, 15),
        owner=tenant.admin,
        source=None,
    )
    return company, person, deal


FIELDS = {
    Company: ("name", "city", "owner_id", "source_id", "search_key", "version"),
    Person: ("first_name", "last_name", "email", "position", "owner_id", "source_id", "company_id", "search_key"),
    Deal: ("name", "value", "status", "expected_close_date", "closed_at", "owner_id", "source_id", "search_key"),
}


def snapshot(record):
    record.refresh_from_db()
    return {name: getattr(record, name) for name in FIELDS[type(record)] if name != "version"}


def test_undo_restores_every_field_kind_of_every_record_kind(tenant, before):
    company, person, deal = before
    original = {record: snapshot(record) for record in before}
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    import_update_duplicates(account=tenant.account, import_=import_, mode="overwrite", update_existing_source=True)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    import_.refresh_from_db()
    assert import_.state == ImportState.DONE
    deal.refresh_from_db()
    company.refresh_from_db()
    person.refresh_from_db()
    # The import changed a field of each kind: text, money, a date, the status (which moved the close date), source.
    assert (company.city, person.position) == ("Gdańsk", "Prezes")
    assert (deal.value, deal.status, deal.expected_close_date) == (Decimal("1234.50"), "won", dt.date(2025, 6, 30))
    assert deal.closed_at is not None
    assert {company.source_id, person.source_id, deal.source_id} != {None}
    assert {company.owner_id, person.owner_id, deal.owner_id} == {tenant.admin.pk}

    done = import_undo(account=tenant.account, user=tenant.admin, import_=import_, keep_touched=False)

    assert done["restored"] == 3
    for record, values in original.items():
        assert snapshot(record) == values, type(record).__name__
    for kind, record in (("company", company), ("person", person), ("deal", deal)):
        last = (
            SourceChange.objects.for_account(tenant.account)
            .filter(record_type=kind, record_id=record.pk)
            .order_by("id")
            .last()
        )
        assert (last.how, last.import_ref, last.new_source_id, last.user_id) == (
            HowChanged.UNDO,
            import_.pk,
            None,
            tenant.admin.pk,
        )
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_a_record_two_rows_changed_gets_back_the_values_it_had_before_the_first(tenant):
    company = CompanyFactory(account=tenant.account, name="Acme", city="", phone="", website="", source=None)
    content = ("Nazwa firmy;Miasto;Telefon\nAcme;Gdańsk;\nAcme;Sopot;+48 22 123 45 67\n").encode()
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_update_duplicates(account=tenant.account, import_=import_, mode="overwrite", update_existing_source=False)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    company.refresh_from_db()
    assert company.city in ("Gdańsk", "Sopot")
    assert company.phone
    import_undo(account=tenant.account, user=tenant.admin, import_=import_, keep_touched=False)
    company.refresh_from_db()
    assert (company.city, company.phone) == ("", "")


def test_undoing_a_rename_gives_the_linked_records_their_search_keys_back(tenant, before):
    company, _person, deal = before
    deal.refresh_from_db()
    key = deal.search_key
    content = b"NIP;Nazwa firmy\n5260001246;Acme Renamed\n"
    Company.objects.for_account(tenant.account).filter(pk=company.pk).update(tax_id="5260001246")
    import_ = make_import(tenant.account, tenant.member, content=content)
    import_update_duplicates(account=tenant.account, import_=import_, mode="overwrite", update_existing_source=False)
    import_run(account=tenant.account, user=tenant.member, import_=import_)
    company.refresh_from_db()
    assert company.name == "Acme Renamed"
    import_undo(account=tenant.account, user=tenant.admin, import_=import_, keep_touched=False)
    company.refresh_from_db()
    deal.refresh_from_db()
    assert company.name == "Acme"
    assert deal.search_key == key
