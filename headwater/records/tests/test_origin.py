"""How each record was created (its origin), apart from its source: set by every creating path, shown on the detail
page in both languages, never set by a client, and kept honest by the database."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import translation

from headwater.companies.models import Company
from headwater.companies.services import company_create
from headwater.deals.models import Deal
from headwater.deals.services import deal_create
from headwater.persons.models import Person
from headwater.persons.services import person_create
from headwater.records.models import RecordOrigin
from headwater.testing.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_back():
    """A request in Polish leaves Polish active in this thread: the tests after this one expect the default."""
    yield
    translation.deactivate()


def test_the_forms_create_by_hand(tenant, member_client):
    assert member_client.post(tenant.url("companies/new/"), {"name": "Typed"}).status_code == 302
    company = Company.objects.for_account(tenant.account).get()
    assert member_client.post(tenant.url("persons/new/"), {"last_name": "Typed"}).status_code == 302
    assert (
        member_client.post(
            tenant.url("deals/new/"), {"name": "Typed", "value": "1", "currency": "PLN", "status": "open"}
        ).status_code
        == 302
    )
    rows = [
        (model.__name__, record.origin, record.origin_import_id)
        for model in (Company, Person, Deal)
        for record in model.objects.for_account(tenant.account)
    ]
    assert rows == [("Company", "hand", None), ("Person", "hand", None), ("Deal", "hand", None)]
    page = member_client.get(tenant.url(f"companies/{company.pk}/"))
    assert "Created by hand" in page.text


def test_the_forms_ignore_an_origin_sent_with_them(tenant, member_client):
    member_client.post(tenant.url("companies/new/"), {"name": "Forged", "origin": "import", "origin_import_id": "9"})
    company = Company.objects.for_account(tenant.account).get()
    assert (company.origin, company.origin_import_id) == ("hand", None)


@pytest.mark.parametrize(
    "case",
    [
        ("api", None, "Created through the API", "Utworzono przez API"),
        ("import", 42, "Created by import #42", "Utworzono importem nr 42"),
        ("web_form", None, "Created through a web form", "Utworzono przez formularz na stronie"),
        ("demo", None, "Created as demo data", "Utworzono jako dane demonstracyjne"),
        ("unknown", None, "Not known (created before", "Nie wiadomo (utworzono, zanim"),
    ],
    ids=lambda case: case[0],
)
def test_the_detail_pages_say_how_in_english_and_polish(tenant, member_client, case):
    origin, import_id, english, polish = case
    company = CompanyFactory(account=tenant.account, origin=origin, origin_import_id=import_id)
    person = person_create(account=tenant.account, user=None, last_name="Nowak")
    deal = deal_create(account=tenant.account, user=None, name="Deal")
    Person.objects.for_account(tenant.account).update(origin=origin, origin_import_id=import_id)
    Deal.objects.for_account(tenant.account).update(origin=origin, origin_import_id=import_id)
    for path in (f"companies/{company.pk}/", f"persons/{person.pk}/", f"deals/{deal.pk}/"):
        member_client.cookies["django_language"] = "en"
        assert english in member_client.get(tenant.url(path)).text, path
        member_client.cookies["django_language"] = "pl"
        assert polish in member_client.get(tenant.url(path)).text, path


def test_services_take_an_import_with_its_id_and_refuse_nonsense(tenant):
    company = company_create(
        account=tenant.account, user=None, name="Imported", origin=RecordOrigin.IMPORT, origin_import_id=7
    )
    assert (company.origin, company.origin_import_id) == ("import", 7)
    bad = [
        {"origin": RecordOrigin.IMPORT},
        {"origin": RecordOrigin.HAND, "origin_import_id": 7},
        {"origin": RecordOrigin.UNKNOWN},
        {"origin": "hand"},
        {"origin": RecordOrigin.IMPORT, "origin_import_id": True},
    ]
    for kwargs in bad:
        with pytest.raises(TypeError):
            company_create(account=tenant.account, user=None, name="Bad", **kwargs)
    assert Company.objects.for_account(tenant.account).count() == 1


def test_the_database_keeps_the_import_id_with_imports_only(tenant):
    company = CompanyFactory(account=tenant.account)
    for origin, import_id in (("import", None), ("hand", 3)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Company.objects.for_account(tenant.account).filter(pk=company.pk).update(
                origin=origin, origin_import_id=import_id
            )


def test_demo_data_says_it_is_demo_data(db):
    call_command("demo_data", stdout=StringIO())
    for model in (Company, Person, Deal):
        assert set(model.unscoped.values_list("origin", flat=True)) == {"demo"}
