"""API: companies (the shared record contract plus what is particular to companies)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.companies.models import Company
from headwater.records.tests.api_contract import RecordApiContract, enable_sources, error_of
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


class TestCompanyApi(RecordApiContract):
    resource = "companies"
    model = Company
    minimal = {"name": "Acme"}
    change = ("city", "Gdańsk")

    def make(self, account: Any, **kwargs: Any) -> Any:
        return CompanyFactory(account=account, **kwargs)


ALL_FIELDS = {
    "name": "Kowalski i Syn sp. z o.o.",
    "tax_id": "5260250274",
    "regon": "192598184",
    "website": "https://example.pl",
    "email": "biuro@example.pl",
    "phone": "+48 22 123 45 67",
    "street": "ul. Długa 5",
    "postal_code": "00-238",
    "city": "Warszawa",
    "country": "Polska",
    "notes": "Met at the fair.",
}


def test_every_field_round_trips(tenant):
    api = api_for(tenant, "member")
    created = api.post("companies", {**ALL_FIELDS, "owner_id": tenant.admin.pk})
    assert created.status_code == 201
    fetched = api.get(f"companies/{created.json()['id']}").json()
    for field, value in ALL_FIELDS.items():
        assert fetched[field] == value
    assert fetched["owner_id"] == tenant.admin.pk


def test_omitted_source_on_a_company_takes_the_default_rule_which_has_no_contact(tenant):
    enable_sources(tenant.account, default_from_contact=True)
    SourceFactory(account=tenant.account)
    body = api_for(tenant, "member").post("companies", {"name": "No contact"}).json()
    assert body["source_id"] is None
    assert not SourceChange.objects.for_account(tenant.account).filter(record_id=body["id"]).exists()


def test_invalid_email_and_nul_are_field_errors(tenant):
    api = api_for(tenant, "member")
    error = error_of(api.post("companies", {"name": "A", "email": "not-an-email", "city": "War\x00saw"}), 400)
    assert set(error["fields"]) == {"email", "city"}
    assert not Company.unscoped.exists()


def test_too_long_name_is_refused_on_the_field(tenant):
    api = api_for(tenant, "member")
    error = error_of(api.post("companies", {"name": "x" * 201}), 422)
    assert error["fields"] == {"name": ["At most 200 characters; you sent 201."]}
    # The limit counts what was sent; surrounding spaces do not sneak a longer value past it.
    error_of(api.post("companies", {"name": "\x1e" + "x" * 200}), 422)
    company = CompanyFactory(account=tenant.account)
    error = error_of(api.patch(f"companies/{company.pk}", {"version": 1, "city": "y" * 101}), 422)
    assert list(error["fields"]) == ["city"]
    assert not Company.objects.for_account(tenant.account).exclude(pk=company.pk).exists()


def test_search_and_owner_filter(tenant):
    CompanyFactory(account=tenant.account, name="Alpha Tools", city="Poznań", owner=tenant.member)
    CompanyFactory(account=tenant.account, name="Beta", city="Kraków")
    api = api_for(tenant, "viewer")
    assert [c["name"] for c in api.get("companies", {"q": "poznań"}).json()["items"]] == ["Alpha Tools"]
    assert [c["name"] for c in api.get("companies", {"owner_id": tenant.member.pk}).json()["items"]] == ["Alpha Tools"]


def test_delete_keeps_persons_and_deals_unlinked(tenant):
    company = CompanyFactory(account=tenant.account)
    person = PersonFactory(company=company)
    deal = DealFactory(company=company)
    assert api_for(tenant, "member").delete(f"companies/{company.pk}").status_code == 204
    person.refresh_from_db()
    deal.refresh_from_db()
    assert person.company_id is None
    assert deal.company_id is None


def test_source_set_through_the_api_is_recorded_as_api_in_history(tenant):
    enable_sources(tenant.account)
    source = SourceFactory(account=tenant.account)
    company = CompanyFactory(account=tenant.account)
    api_for(tenant, "member").patch(f"companies/{company.pk}", {"version": 1, "source_id": source.pk})
    assert SourceChange.objects.for_account(tenant.account).get(record_id=company.pk).how == HowChanged.API
