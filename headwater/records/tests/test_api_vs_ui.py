"""The API and the pages are one product: the same input through the forms and through the API gives the same
records, the same default source with the same history, and the same refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from headwater.companies.models import Company
from headwater.core.dates import account_today
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import SourceFactory

pytestmark = pytest.mark.django_db

# Fields that necessarily differ between two rows created one after the other, and how each was made (checked apart).
VOLATILE = {"id", "created_at", "updated_at", "origin"}


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()


@pytest.fixture
def setup(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.source_default_from_contact = True
    account.save()
    return {"fair": SourceFactory(account=account, name="Fair"), "web": SourceFactory(account=account, name="Web")}


def row(record: Any) -> dict[str, Any]:
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields if f.attname not in VOLATILE}


def history(record: Any) -> list[tuple[Any, ...]]:
    changes = SourceChange.objects.for_account(record.account).filter(
        record_type=record._meta.model_name, record_id=record.pk
    )
    return list(changes.order_by("id").values_list("old_source_id", "new_source_id", "how", "user_id"))


def ui_post(client: Any, url: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_companies_persons_and_deals_come_out_the_same_both_ways(tenant, setup, member_client):
    fair, web = setup["fair"], setup["web"]
    api = api_for(tenant, "member")
    today = account_today(tenant.account).isoformat()  # the day a deal closes on is the account's

    company_fields = {"name": "Kowalski i Syn", "tax_id": "5260250274", "email": "biuro@kowalski.pl", "city": "Łódź"}
    ui_post(
        member_client,
        tenant.url("companies/new/"),
        {**company_fields, "owner": tenant.admin.pk, "source": fair.pk, "notes": "Met  at\nthe fair"},
    )
    api.post(
        "companies", {**company_fields, "owner_id": tenant.admin.pk, "source_id": fair.pk, "notes": "Met  at\nthe fair"}
    )
    ui_company, api_company = Company.objects.for_account(tenant.account).order_by("id")
    assert row(ui_company) == row(api_company)
    assert (ui_company.origin, api_company.origin) == ("hand", "api")

    # A person in each company, whose source the default rule takes from the company: the form sends the
    # pre-filled value untouched, the API omits source_id.
    person_fields = {"first_name": "Anna", "last_name": "Nowak", "position": "CFO", "phone": "+48 600 100 200"}
    ui_post(
        member_client,
        tenant.url("persons/new/"),
        {**person_fields, "company": ui_company.pk, "owner": tenant.member.pk, "source": fair.pk, "source_touched": ""},
    )
    api.post("persons", {**person_fields, "company_id": api_company.pk, "owner_id": tenant.member.pk})
    ui_person, api_person = Person.objects.for_account(tenant.account).order_by("id")
    assert {**row(ui_person), "company_id": None} == {**row(api_person), "company_id": None}
    assert ui_person.source_id == api_person.source_id == fair.pk
    assert (
        [h[1:] for h in history(ui_person)]
        == [h[1:] for h in history(api_person)]
        == [(fair.pk, "default", tenant.member.pk)]
    )

    # A won deal with a source chosen by hand.
    deal_fields = {"name": "Pilot", "value": "12500.50", "currency": "EUR", "status": "won", "lost_reason": ""}
    ui_post(
        member_client,
        tenant.url("deals/new/"),
        {
            **deal_fields,
            "person": ui_person.pk,
            "owner": tenant.member.pk,
            "source": web.pk,
            "source_touched": "1",
            "expected_close_date": "",
            "closed_at": "",
        },
    )
    api.post("deals", {**deal_fields, "person_id": api_person.pk, "owner_id": tenant.member.pk, "source_id": web.pk})
    ui_deal, api_deal = Deal.objects.for_account(tenant.account).order_by("id")
    assert {**row(ui_deal), "person_id": None} == {**row(api_deal), "person_id": None}
    assert str(ui_deal.value) == "12500.50"
    assert ui_deal.closed_at.isoformat() == today
    # The only difference: the API records how the source was set.
    assert [h[2] for h in history(ui_deal)] == ["typed"]
    assert [h[2] for h in history(api_deal)] == ["api"]


def test_the_same_bad_input_is_refused_both_ways(tenant, setup, member_client):
    api = api_for(tenant, "member")
    bad = {"name": "Acme", "email": "not an e-mail"}
    page = member_client.post(tenant.url("companies/new/"), bad)
    assert page.status_code == 200
    assert 'class="field__error"' in page.content.decode()
    response = api.post("companies", bad)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["email"]

    too_precise = {"name": "Deal", "value": "10.001", "currency": "PLN", "status": "open"}
    page = member_client.post(tenant.url("deals/new/"), too_precise)
    assert page.status_code == 200
    assert "2 decimal places" in page.content.decode()
    response = api.post("deals", too_precise)
    assert response.json()["error"]["fields"]["value"] == ["Enter the value with at most 2 decimal places."]
    assert not Company.objects.for_account(tenant.account).exists()
    assert not Deal.objects.for_account(tenant.account).exists()
