"""API: deals (the shared record contract plus money, status rules and the default source)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from headwater.deals.models import Deal
from headwater.records.tests.api_contract import RecordApiContract, enable_sources, error_of
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


class TestDealApi(RecordApiContract):
    resource = "deals"
    model = Deal
    minimal = {"name": "Pilot project", "value": "1234.50"}
    change = ("name", "Renamed deal")

    def make(self, account: Any, **kwargs: Any) -> Any:
        return DealFactory(account=account, **kwargs)


def test_value_is_a_decimal_string_both_ways(tenant):
    api = api_for(tenant, "member")
    body = api.post("deals", {"name": "Big", "value": "1234.5"}).json()
    assert body["value"] == "1234.50"
    assert body["currency"] == tenant.account.currency
    assert Deal.unscoped.get(pk=body["id"]).value == Decimal("1234.50")


@pytest.mark.parametrize("value", [1234.5, 1234, "12.345", "-1", "NaN", "Infinity", "1e400", "abc", ""])
def test_bad_values_are_refused(tenant, value):
    response = api_for(tenant, "member").post("deals", {"name": "X", "value": value})
    assert response.status_code in (400, 422)
    assert "value" in response.json()["error"]["fields"]
    assert not Deal.unscoped.exists()


def test_won_deal_gets_a_closing_date_and_open_refuses_one(tenant):
    api = api_for(tenant, "member")
    won = api.post("deals", {"name": "Won", "status": "won"}).json()
    assert won["closed_at"] is not None
    error = error_of(api.post("deals", {"name": "Open", "closed_at": "2026-01-01"}), 400)
    assert "closed_at" in error["fields"]
    error = error_of(api.post("deals", {"name": "Open", "lost_reason": "price"}), 400)
    assert "lost_reason" in error["fields"]
    lost = api.post("deals", {"name": "Lost", "status": "lost", "lost_reason": "price"}).json()
    assert lost["lost_reason"] == "price"
    reopened = api.patch(f"deals/{lost['id']}", {"version": 1, "status": "open"}).json()
    assert reopened["closed_at"] is None
    assert reopened["lost_reason"] == ""


def test_status_must_be_one_of_three(tenant):
    error = error_of(api_for(tenant, "member").post("deals", {"name": "X", "status": "pending"}), 422)
    assert "status" in error["fields"]


def test_omitted_source_takes_the_person_source_else_the_company_source(tenant):
    enable_sources(tenant.account, default_from_contact=True)
    from_company = SourceFactory(account=tenant.account, name="Fair")
    from_person = SourceFactory(account=tenant.account, name="Web")
    company = CompanyFactory(account=tenant.account, source=from_company)
    person = PersonFactory(account=tenant.account, company=company, source=from_person)
    bare_person = PersonFactory(account=tenant.account, company=company)
    api = api_for(tenant, "member")
    by_person = api.post("deals", {"name": "A", "company_id": company.pk, "person_id": person.pk}).json()
    assert by_person["source_id"] == from_person.pk
    by_company = api.post("deals", {"name": "B", "company_id": company.pk, "person_id": bare_person.pk}).json()
    assert by_company["source_id"] == from_company.pk
    assert SourceChange.objects.for_account(tenant.account).get(record_id=by_company["id"]).how == HowChanged.DEFAULT
    chosen = api.post("deals", {"name": "C", "person_id": person.pk, "source_id": from_company.pk}).json()
    assert chosen["source_id"] == from_company.pk
    nothing = api.post("deals", {"name": "D", "person_id": person.pk, "source_id": None}).json()
    assert nothing["source_id"] is None


def test_other_account_company_and_person_are_400(tenant, other_tenant):
    company = CompanyFactory(account=other_tenant.account)
    person = PersonFactory(account=other_tenant.account)
    api = api_for(tenant, "member")
    assert list(error_of(api.post("deals", {"name": "X", "company_id": company.pk}), 400)["fields"]) == ["company_id"]
    assert list(error_of(api.post("deals", {"name": "X", "person_id": person.pk}), 400)["fields"]) == ["person_id"]
    assert not Deal.unscoped.exists()


def test_filters_status_and_ordering_by_value(tenant):
    DealFactory(account=tenant.account, name="Small", value=Decimal("10.00"))
    DealFactory(
        account=tenant.account, name="Large", value=Decimal("9000.00"), status="won", closed_at=timezone.localdate()
    )
    DealFactory(account=tenant.account, name="Mid", value=Decimal("500.00"))
    api = api_for(tenant, "viewer")
    assert [d["name"] for d in api.get("deals", {"status": "won"}).json()["items"]] == ["Large"]
    assert [d["name"] for d in api.get("deals", {"ordering": "-value"}).json()["items"]] == ["Large", "Mid", "Small"]
    first = api.get("deals", {"ordering": "value", "limit": 2}).json()
    second = api.get("deals", {"ordering": "value", "limit": 2, "cursor": first["next"]}).json()
    assert [d["name"] for d in first["items"] + second["items"]] == ["Small", "Mid", "Large"]
    assert second["next"] is None


@pytest.mark.parametrize("descending", [True, False])
def test_ordering_by_close_day_pages_every_deal_once_with_open_deals_lowest(tenant, descending):
    """`ordering=-closed_at`: newest close first, open deals last (first ascending); cursors carry an open deal's
    empty close day across pages."""
    base = timezone.localdate() - dt.timedelta(days=30)
    closed = [
        DealFactory(account=tenant.account, status="won", closed_at=base + dt.timedelta(days=i // 3)) for i in range(9)
    ]
    opened = [DealFactory(account=tenant.account) for _ in range(4)]
    days = sorted(closed, key=lambda d: (d.closed_at, d.pk), reverse=descending)
    lowest = sorted(opened, key=lambda d: d.pk, reverse=descending)
    expected = [d.pk for d in (days + lowest if descending else lowest + days)]
    api = api_for(tenant, "viewer")
    ordering = "-closed_at" if descending else "closed_at"
    seen: list[int] = []
    cursor = None
    while True:
        body = api.get("deals", {"ordering": ordering, "limit": 4, **({"cursor": cursor} if cursor else {})}).json()
        seen += [d["id"] for d in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == expected
    assert api.get("deals", {"ordering": "-created_at", "cursor": cursor or "x"}).status_code == 400
    other = api.get("deals", {"ordering": "-created_at", "limit": 4}).json()["next"]
    refused = api.get("deals", {"ordering": ordering, "cursor": other})
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["cursor"]


def test_dates_are_iso_and_checked(tenant):
    api = api_for(tenant, "member")
    body = api.post("deals", {"name": "X", "expected_close_date": "2027-03-31"}).json()
    assert body["expected_close_date"] == "2027-03-31"
    error = error_of(api.post("deals", {"name": "X", "expected_close_date": "31.03.2027"}), 422)
    assert "expected_close_date" in error["fields"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"status": "won", "closed_at": "2030-01-01"}, "closed_at", "The closing date cannot be in the future"),
        ({"status": "lost", "closed_at": "2999-06-01"}, "closed_at", "The closing date cannot be in the future"),
        ({"expected_close_date": "0001-01-01"}, "expected_close_date", "between 1 Jan 1900 and 31 Dec 2100"),
        ({"expected_close_date": "9999-12-31"}, "expected_close_date", "between 1 Jan 1900 and 31 Dec 2100"),
    ],
)
def test_deal_dates_follow_the_same_rules_as_the_form(tenant, body, field, message):
    api = api_for(tenant, "member")
    error = error_of(api.post("deals", {"name": "Dated"} | body), 400)
    assert message in error["fields"][field][0]
    existing = api.post("deals", {"name": "Open"}).json()
    error = error_of(api.patch(f"deals/{existing['id']}", {"version": 1} | body), 400)
    assert message in error["fields"][field][0]
    assert Deal.unscoped.get(pk=existing["id"]).version == 1
    bulk = api.post("deals/bulk", {"items": [{"name": "Fine"}, {"name": "Dated"} | body]})
    assert bulk.status_code == 400
    assert Deal.unscoped.count() == 1
