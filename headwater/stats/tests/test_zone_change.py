"""Changing the account's time zone on Account settings moves every record to its new local day.

The settings form is bound to the account, so by the time the service runs the instance it is given already holds
the new zone; these tests go through the page (and a mutated instance) so that comparing the new zone with itself
cannot pass unnoticed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.spend.services import spend_create
from headwater.stats.tally_drift import tally_drift
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, PersonFactory, SourceFactory
from headwater.workspace.services import account_update_settings

pytestmark = pytest.mark.django_db

# 31 March 2025, 23:30 UTC: 1 April, 01:30 in Warsaw (CEST, UTC+2), still 31 March, 19:30 in New York (EDT).
LATE_EVENING = dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def records(tenant):
    account = tenant.account
    assert account.time_zone == "Europe/Warsaw"
    account.sources_enabled = True
    account.save()
    source = SourceFactory(account=account, name="Website")
    CompanyFactory(account=account, source=source, created_at=LATE_EVENING)
    PersonFactory(account=account, source=source, created_at=LATE_EVENING)
    DealFactory(account=account, source=source, created_at=LATE_EVENING, value=Decimal("100.00"))
    # Created 1 April in Warsaw (2 days to close), 31 March in New York (3 days).
    DealFactory(
        account=account,
        source=source,
        status="won",
        created_at=LATE_EVENING,
        closed_at=dt.date(2025, 4, 3),
        value=Decimal("700.00"),
    )
    return source


def settings_form(account: Account, **changes: str) -> dict[str, str]:
    data = {
        "name": account.name,
        "currency": account.currency,
        "language": account.language,
        "time_zone": account.time_zone,
        "version": str(account.settings_version),
    }
    return {**data, **changes}


def figures(tenant, start: str, end: str) -> tuple[int, int, int, int, Decimal | None]:
    """(companies, persons, open deals, won deals, average days to close) on the Statistics page."""
    response = tenant.client_for("viewer").get(
        tenant.url("stats/sources/"), {"period": "custom", "start": start, "end": end}
    )
    assert response.status_code == 200
    stats = response.context["stats"]
    closed = stats.closed_deals.total
    return (
        stats.contacts.total.companies,
        stats.contacts.total.persons,
        stats.open_deals.total.count,
        closed.won_count,
        closed.average_days,
    )


def test_changing_the_zone_on_the_settings_page_recomputes_the_statistics(tenant, records):
    # In Warsaw everything was created in April, and the won deal took 2 days.
    assert figures(tenant, "2025-04-01", "2025-04-30") == (1, 1, 1, 1, Decimal("2.0"))

    response = tenant.client_for("admin").post(
        tenant.url("settings/"), settings_form(tenant.account, time_zone="America/New_York")
    )
    assert response.status_code == 302, response.content
    tenant.account.refresh_from_db()
    assert tenant.account.time_zone == "America/New_York"

    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    # In New York the records were created on 31 March: a whole month (monthly tallies), a single day (daily ones).
    assert figures(tenant, "2025-03-01", "2025-03-31") == (1, 1, 1, 0, None)
    assert figures(tenant, "2025-03-31", "2025-03-31") == (1, 1, 1, 0, None)
    # The deal was still won on 3 April, now 3 days after it was created.
    assert figures(tenant, "2025-04-01", "2025-04-30") == (0, 0, 0, 1, Decimal("3.0"))
    assert figures(tenant, "2025-04-03", "2025-04-03") == (0, 0, 0, 1, Decimal("3.0"))

    body = api_for(tenant, "viewer").get(
        "/stats/sources", {"period": "custom", "start": "2025-03-31", "end": "2025-03-31"}
    )
    assert body.status_code == 200
    data = body.json()
    assert (data["contacts"]["total"]["companies"], data["open_deals"]["total"]["count"]) == (1, 1)


def test_a_settings_save_that_keeps_the_zone_keeps_the_figures(tenant, records):
    client = tenant.client_for("admin")
    response = client.post(tenant.url("settings/"), settings_form(tenant.account, name="Renamed"))
    assert response.status_code == 302
    assert not any("recomputed" in str(m) for m in response.wsgi_request._messages)  # nothing to recompute
    tenant.account.refresh_from_db()
    assert (tenant.account.name, tenant.account.time_zone) == ("Renamed", "Europe/Warsaw")
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    assert figures(tenant, "2025-04-01", "2025-04-30") == (1, 1, 1, 1, Decimal("2.0"))


def test_the_service_compares_with_the_stored_zone_not_the_instance(tenant, records):
    """Whatever calls the service (the page's bound form, the API) may hand it an instance already changed."""
    account = Account.objects.get(pk=tenant.account.pk)
    account.time_zone = "America/New_York"  # what a form bound to the instance does before the service runs
    account_update_settings(
        account=account,
        version=account.settings_version,
        name=account.name,
        currency=account.currency,
        language=account.language,
        time_zone="America/New_York",
    )
    assert tally_drift(account_ids=[account.pk]) == {}
    assert figures(tenant, "2025-03-31", "2025-03-31") == (1, 1, 1, 0, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "XYZ"), ("time_zone", "Mars/Base"), ("language", "de"), ("name", " "), ("name", "x\x00y")],
)
def test_the_service_refuses_what_the_form_refuses(tenant, field, value):
    """The API calls the same service without the page's form: it checks every field itself and changes nothing."""
    account = tenant.account
    values = {"name": account.name, "currency": "EUR", "language": "pl", "time_zone": "America/New_York"}
    with pytest.raises(ValidationFailed) as caught:
        account_update_settings(account=account, version=account.settings_version, **{**values, field: value})
    assert set(caught.value.fields) == {field}
    account.refresh_from_db()
    assert (account.currency, account.time_zone, account.settings_version) == ("PLN", "Europe/Warsaw", 1)


def test_the_campaign_rows_move_with_the_zone(tenant, records):
    """The campaign tallies are rebuilt with the others: a campaign's records created late on 31 March (UTC) move
    from April (Warsaw) to March (New York), and April compared with March says so."""
    campaign = CampaignFactory(source=records, name="Spring")
    CompanyFactory(account=tenant.account, source=records, campaign=campaign, created_at=LATE_EVENING)
    DealFactory(
        account=tenant.account,
        source=records,
        campaign=campaign,
        status="won",
        created_at=LATE_EVENING,
        closed_at=dt.date(2025, 4, 3),
        value=Decimal("300.00"),
    )
    spend_create(
        account=tenant.account, user=None, source=records, campaign=campaign, month=dt.date(2025, 4, 1), amount="100"
    )

    def spring(start: str, end: str) -> dict:
        body = api_for(tenant, "viewer").get(
            "/stats/sources", {"period": "custom", "start": start, "end": end, "compare": "true"}
        )
        assert body.status_code == 200, body.content
        rows = next(r for r in body.json()["returns"]["rows"] if r["source"]["id"] == records.pk)["campaigns"]
        return next(r for r in rows if r["campaign"]["id"] == campaign.pk)

    april = spring("2025-04-01", "2025-04-30")
    assert (april["contacts"], april["won_count"], april["roi"]) == (1, 1, "200.0")
    response = tenant.client_for("admin").post(
        tenant.url("settings/"), settings_form(tenant.account, time_zone="America/New_York")
    )
    assert response.status_code == 302, response.content
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    march = spring("2025-03-01", "2025-03-31")
    assert (march["contacts"], march["deals"], march["won_count"]) == (1, 0, 0)
    april = spring("2025-04-01", "2025-04-30")
    # The contact left April; the deal was still won on 3 April; compared with March (no spend): no ROI change.
    assert (april["contacts"], april["won_count"], april["roi"]) == (0, 1, "200.0")
    assert april["changes"] == {"spend": {"delta": "100.00", "percent": None}}
