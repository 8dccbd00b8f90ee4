"""A company's REGON: typed on the form (add and edit) or sent to the API, checked with python-stdnum (a clear error
naming the field, nothing saved), shown on its page and in the API, found by search like the tax ID."""

from __future__ import annotations

import pytest
from django.urls import reverse

from headwater.companies.models import Company
from headwater.companies.selectors import company_list
from headwater.companies.services import clean_regon, company_create, company_update
from headwater.core.errors import ValidationFailed
from headwater.records.listing import RecordFilters
from headwater.records.services import search_key_of
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def form(**overrides):
    data = {"name": "Acme", "tax_id": "", "regon": "", "website": "", "email": "", "phone": "", "street": ""}
    return data | {"postal_code": "", "city": "", "country": "", "owner": "", "notes": ""} | overrides


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("192598184", "192598184"), ("192-598-184", "192598184"), (" 1234 5678 5123 47 ", "12345678512347"), ("", "")],
)
def test_a_valid_regon_is_kept_as_its_digits(typed, stored):
    assert clean_regon(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("192598185", "check digit"),
        ("12345678512348", "check digit"),
        ("1925981", "9 or 14 digits"),
        ("19259818A", "9 or 14 digits"),
        ("١٩٢٥٩٨١٨٤", "9 or 14 digits"),
    ],
)
def test_an_invalid_regon_is_refused_on_its_field(typed, message):
    with pytest.raises(ValidationFailed) as refused:
        clean_regon(typed)
    assert message in refused.value.message
    assert refused.value.fields["regon"] == [refused.value.message]


def test_the_form_adds_and_edits_a_regon_and_the_page_shows_it(tenant, member_client):
    response = member_client.post(tenant.url("companies/new/"), form(regon="192 598 184"))
    assert response.status_code == 302
    company = Company.objects.for_account(tenant.account).get()
    assert company.regon == "192598184"
    page = member_client.get(reverse("companies:detail", args=[tenant.account.slug, company.pk]))
    assert b'data-field="regon">192598184<' in page.content
    edit_url = reverse("companies:edit", args=[tenant.account.slug, company.pk])
    assert member_client.get(edit_url).context["form"].initial["regon"] == "192598184"
    response = member_client.post(edit_url, form(regon="12345678512347", version=company.version))
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.regon == "12345678512347"


def test_the_form_shows_a_bad_regon_on_its_field_and_saves_nothing(tenant, member_client):
    response = member_client.post(tenant.url("companies/new/"), form(regon="192598185"))
    assert response.status_code == 200
    assert "check digit" in response.context["form"].errors["regon"][0]
    assert not Company.objects.for_account(tenant.account).exists()
    company = CompanyFactory(account=tenant.account, name="Acme", regon="192598184")
    edit_url = reverse("companies:edit", args=[tenant.account.slug, company.pk])
    response = member_client.post(edit_url, form(name="Renamed", regon="1925", version=company.version))
    assert "9 or 14 digits" in response.context["form"].errors["regon"][0]
    company.refresh_from_db()
    assert (company.name, company.regon) == ("Acme", "192598184")


def test_the_api_takes_and_gives_the_regon_and_refuses_a_bad_one(tenant):
    api = api_for(tenant, "member")
    created = api.post("companies", {"name": "Acme", "regon": "192-598-184"})
    assert created.status_code == 201
    assert created.json()["regon"] == "192598184"
    refused = api.post("companies", {"name": "Beta", "regon": "192598185"})
    assert refused.status_code == 400
    assert "check digit" in refused.json()["error"]["fields"]["regon"][0]
    assert Company.objects.for_account(tenant.account).count() == 1
    company_id = created.json()["id"]
    patched = api.patch(f"companies/{company_id}", {"regon": "123"})
    assert patched.status_code == 400
    assert api.get(f"companies/{company_id}").json()["regon"] == "192598184"
    assert api.patch(f"companies/{company_id}", {"regon": ""}).json()["regon"] == ""


def test_search_finds_a_company_by_its_regon(tenant, member_client):
    acme = company_create(account=tenant.account, user=tenant.admin, name="Acme", regon="192598184")
    company_create(account=tenant.account, user=tenant.admin, name="Beta", regon="123456785")
    assert [c.name for c in company_list(account=tenant.account, filters=RecordFilters(q="192598184"))] == ["Acme"]
    assert "Beta" not in member_client.get(tenant.url("companies/"), {"q": "192598184"}).text
    api = api_for(tenant)
    assert [c["name"] for c in api.get("companies", {"q": "192598184"}).json()["items"]] == ["Acme"]
    company_update(account=tenant.account, user=tenant.admin, company=acme, version=None, regon="")
    acme.refresh_from_db()
    assert acme.search_key == search_key_of(acme)
    assert not list(company_list(account=tenant.account, filters=RecordFilters(q="192598184")))
