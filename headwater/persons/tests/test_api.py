"""API: persons (the shared record contract plus the company link and its default source)."""

from __future__ import annotations

from typing import Any

import pytest

from headwater.persons.models import Person
from headwater.records.tests.api_contract import RecordApiContract, enable_sources, error_of
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


class TestPersonApi(RecordApiContract):
    resource = "persons"
    model = Person
    minimal = {"last_name": "Kowalska"}
    change = ("position", "CFO")
    label_field = "last_name"

    def make(self, account: Any, **kwargs: Any) -> Any:
        return PersonFactory(account=account, **kwargs)


def test_other_account_company_in_body_is_400(tenant, other_tenant):
    theirs = CompanyFactory(account=other_tenant.account)
    api = api_for(tenant, "member")
    error = error_of(api.post("persons", {"last_name": "Nowak", "company_id": theirs.pk}), 400)
    assert list(error["fields"]) == ["company_id"]
    assert not Person.unscoped.exists()


def test_omitted_source_takes_the_company_source_when_the_rule_is_on(tenant):
    enable_sources(tenant.account, default_from_contact=True)
    source = SourceFactory(account=tenant.account, name="Referral")
    company = CompanyFactory(account=tenant.account, source=source)
    api = api_for(tenant, "member")
    omitted = api.post("persons", {"last_name": "Nowak", "company_id": company.pk}).json()
    assert omitted["source_id"] == source.pk
    assert omitted["source_name"] == "Referral"
    assert SourceChange.objects.for_account(tenant.account).get(record_id=omitted["id"]).how == HowChanged.DEFAULT
    explicit_null = api.post("persons", {"last_name": "Wiśniewska", "company_id": company.pk, "source_id": None})
    assert explicit_null.json()["source_id"] is None


def test_omitted_source_is_empty_when_the_rule_is_off(tenant):
    enable_sources(tenant.account, default_from_contact=False)
    company = CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account))
    body = api_for(tenant, "member").post("persons", {"last_name": "Nowak", "company_id": company.pk}).json()
    assert body["source_id"] is None


def test_filters_by_company_and_search(tenant):
    company = CompanyFactory(account=tenant.account)
    PersonFactory(account=tenant.account, company=company, first_name="Anna", last_name="Zielińska")
    PersonFactory(account=tenant.account, first_name="Jan", last_name="Kowalski", email="jan@example.pl")
    api = api_for(tenant, "viewer")
    assert [p["last_name"] for p in api.get("persons", {"company_id": company.pk}).json()["items"]] == ["Zielińska"]
    assert [p["last_name"] for p in api.get("persons", {"q": "jan@"}).json()["items"]] == ["Kowalski"]
    ordered = [p["last_name"] for p in api.get("persons", {"ordering": "-last_name"}).json()["items"]]
    assert ordered == ["Zielińska", "Kowalski"]


def test_short_search_finds_words_that_begin_with_it(tenant):
    """The API's `q` follows the list pages: one or two letters match the start of a word, not its inside."""
    for first, last in (("Jan", "Kowalski"), ("Anna", "Nowak-Kowalska"), ("Piotr", "Makowski"), ("Ewa", "Lis")):
        PersonFactory(account=tenant.account, first_name=first, last_name=last, email=f"{first.lower()}@x.pl")
    api = api_for(tenant, "viewer")

    def found(q: str) -> set[str]:
        return {p["last_name"] for p in api.get("persons", {"q": q}).json()["items"]}

    assert found("ko") == {"Kowalski", "Nowak-Kowalska"}
    assert found("KO") == {"Kowalski", "Nowak-Kowalska"}
    assert found("l") == {"Lis"}
    assert found("ak") == set()
    assert found("pl") == {"Kowalski", "Nowak-Kowalska", "Makowski", "Lis"}
    assert found("kow") == {"Kowalski", "Nowak-Kowalska", "Makowski"}


def test_last_name_is_required(tenant):
    error = error_of(api_for(tenant, "member").post("persons", {"first_name": "Anna", "last_name": "  "}), 400)
    assert list(error["fields"]) == ["last_name"]
    assert "last_name" in error_of(api_for(tenant, "member").post("persons", {"first_name": "Anna"}), 422)["fields"]
