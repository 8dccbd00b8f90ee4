"""API: the exchange rates (/rates), through the rates page's forms and the same services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from headwater.core.models import Account
from headwater.records.tests.api_contract import error_of
from headwater.stats.models import ExchangeRate
from headwater.stats.services import exchange_rate_create
from headwater.testing.api import api_for
from headwater.testing.factories import DealFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def add_rate(tenant, currency: str = "EUR", rate: str = "4.2712") -> ExchangeRate:
    return exchange_rate_create(account=tenant.account, user=tenant.admin, currency=currency, rate=Decimal(rate))


def rates(account) -> list[tuple[str, Decimal, int]]:
    return list(ExchangeRate.objects.for_account(account).values_list("currency", "rate", "version"))


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_every_role_reads_the_rates_of_its_account_only(tenant, other_tenant, role):
    eur = add_rate(tenant)
    exchange_rate_create(account=other_tenant.account, user=None, currency="USD", rate=Decimal("9.99"))
    api = api_for(tenant, role)
    listed = api.get("/rates")
    assert listed.status_code == 200
    assert listed.json()["items"] == [
        {
            "id": eur.pk,
            "currency": "EUR",
            "rate": "4.2712",
            "base_currency": "PLN",
            "applies": True,
            "version": 1,
            "updated_at": listed.json()["items"][0]["updated_at"],
        }
    ]
    one = api.get(f"/rates/{eur.pk}")
    assert (one.json()["rate"], one["ETag"]) == ("4.2712", '"1"')


def test_another_accounts_rate_is_404_like_a_missing_one(tenant, other_tenant):
    theirs = exchange_rate_create(account=other_tenant.account, user=None, currency="USD", rate=Decimal("9.99"))
    api = api_for(tenant, "admin")
    for response in (
        api.get(f"/rates/{theirs.pk}"),
        api.patch(f"/rates/{theirs.pk}", {"rate": "1.5"}),
        api.delete(f"/rates/{theirs.pk}"),
    ):
        assert error_of(response, 404) == error_of(api.get(f"/rates/{theirs.pk + 1000}"), 404)
    assert rates(other_tenant.account) == [("USD", Decimal("9.99"), 1)]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_write_and_a_refusal_changes_nothing(tenant, role):
    eur = add_rate(tenant)
    api = api_for(tenant, role)
    for response in (
        api.post("/rates", {"currency": "USD", "rate": "3.9"}),
        api.patch(f"/rates/{eur.pk}", {"rate": "5"}),
        api.delete(f"/rates/{eur.pk}"),
    ):
        assert error_of(response, 403)["code"] == "permission_denied"
    assert rates(tenant.account) == [("EUR", Decimal("4.2712"), 1)]


def test_an_admin_adds_changes_and_deletes_a_rate(tenant):
    api = api_for(tenant, "admin")
    created = api.post("/rates", {"currency": " usd ", "rate": "3.95"})
    assert created.status_code == 201, created.content
    assert (created.json()["currency"], created.json()["rate"], created["ETag"]) == ("USD", "3.95", '"1"')
    rate_id = created.json()["id"]
    changed = api.patch(f"/rates/{rate_id}", {"rate": "3.9512"})
    assert (changed.status_code, changed.json()["rate"], changed["ETag"]) == (200, "3.9512", '"2"')
    assert api.delete(f"/rates/{rate_id}").status_code == 204
    assert rates(tenant.account) == []


def test_the_statistics_use_a_rate_added_through_the_api(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    DealFactory(account=tenant.account, source=SourceFactory(account=tenant.account), currency="USD", value="10.00")
    api = api_for(tenant, "viewer")
    assert api.get("/stats/sources").json()["missing_rates"] == [{"currency": "USD", "count": 1, "value": "10.00"}]
    assert api_for(tenant, "admin").post("/rates", {"currency": "USD", "rate": "4"}).status_code == 201
    body = api.get("/stats/sources").json()
    assert body["missing_rates"] == []
    assert body["open_deals"]["total"]["value"] == "40.00"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"currency": "EURO", "rate": "4"}, "currency", "at most 3 characters"),
        ({"currency": "PLN", "rate": "1"}, "currency", "base currency"),
        ({"currency": "EUR", "rate": "4.1"}, "currency", "already a rate"),
        ({"currency": "USD", "rate": "0"}, "rate", "greater than zero"),
        ({"currency": "USD", "rate": "-1"}, "rate", "greater than zero"),
        ({"currency": "USD", "rate": "1.123456789"}, "rate", "8 decimal places"),
        ({"currency": "USD", "rate": "abc"}, "rate", "Enter a number"),
        ({"currency": "USD", "rate": "NaN"}, "rate", "Enter a number"),
        ({"currency": "USD", "rate": ""}, "rate", "required"),
    ],
)
def test_bad_rates_get_the_pages_messages_and_nothing_is_saved(tenant, body, field, message):
    add_rate(tenant)
    error = error_of(api_for(tenant, "admin").post("/rates", body), 400)
    assert list(error["fields"]) == [field]
    assert message in " ".join(error["fields"][field])
    assert rates(tenant.account) == [("EUR", Decimal("4.2712"), 1)]


@pytest.mark.parametrize(
    "body",
    [{"currency": "USD", "rate": 3.9}, {"currency": "USD"}, {"currency": "USD", "rate": "3.9", "version": 1}],
)
def test_a_float_rate_or_an_unknown_field_is_422(tenant, body):
    error_of(api_for(tenant, "admin").post("/rates", body), 422)
    assert rates(tenant.account) == []


def test_versions_and_if_match_are_honoured(tenant):
    eur = add_rate(tenant)
    api = api_for(tenant, "admin")
    etag = api.get(f"/rates/{eur.pk}")["ETag"]
    assert api.patch(f"/rates/{eur.pk}", {"rate": "4.3"}, headers={"If-Match": etag}).status_code == 200
    for stale in (
        api.patch(f"/rates/{eur.pk}", {"rate": "4.4"}, headers={"If-Match": etag}),
        api.patch(f"/rates/{eur.pk}", {"rate": "4.4", "version": 1}),
        api.delete(f"/rates/{eur.pk}", headers={"If-Match": etag}),
    ):
        assert error_of(stale, 409)["code"] == "conflict"
    error = error_of(api.patch(f"/rates/{eur.pk}", {"rate": "4.4", "version": 2}, headers={"If-Match": '"1"'}), 400)
    assert set(error["fields"]) == {"version", "If-Match"}
    assert rates(tenant.account) == [("EUR", Decimal("4.3"), 2)]
    assert api.delete(f"/rates/{eur.pk}", headers={"If-Match": '"2"'}).status_code == 204
    assert rates(tenant.account) == []


def test_a_rate_saved_against_an_old_base_currency_applies_again_once_saved(tenant):
    eur = add_rate(tenant)
    Account.objects.filter(pk=tenant.account.pk).update(currency="USD")
    api = api_for(tenant, "admin")
    assert api.get(f"/rates/{eur.pk}").json()["applies"] is False
    saved = api.patch(f"/rates/{eur.pk}", {"rate": "1.08"}).json()
    assert (saved["applies"], saved["base_currency"]) == (True, "USD")
