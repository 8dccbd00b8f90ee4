"""Every filter's day (the record lists' created/closed, the statistics' period, the API's start/end) follows one
rule (core/dates.py): years 1900 to 2999, whatever the account's time zone; the rest is a field error (400 in the
API), never a 500. `created_from=0001-01-01` in Warsaw was a moment of year 0 in UTC: a 500 on SQLite."""

from __future__ import annotations

import datetime as dt

import pytest

from headwater.records.tests.api_contract import enable_sources
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "Enter a date between the years 1900 and 2999."
ZONES = ["Europe/Warsaw", "Pacific/Kiritimati", "Etc/GMT+12", "America/Los_Angeles"]
REFUSED_DAYS = ["0001-01-01", "0001-01-02", "1899-12-31", "3000-01-01", "9999-12-30", "9999-12-31"]
LIST_DAYS = [("companies/", "created"), ("persons/", "created"), ("deals/", "created"), ("deals/", "closed")]


def make_records(tenant):
    """After the zone is set: the statistics tallies count each record on its local day."""
    company = CompanyFactory(account=tenant.account, name="Dated company")
    PersonFactory(account=tenant.account, company=company, last_name="Dated person")
    DealFactory(account=tenant.account, company=company, name="Dated deal", status="won", closed_at=dt.date(2026, 3, 1))


def _in_zone(tenant, zone):
    tenant.account.time_zone = zone
    tenant.account.save()
    make_records(tenant)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("path", "prefix"), LIST_DAYS)
def test_list_days_out_of_range_are_field_errors_in_every_zone(tenant, member_client, zone, path, prefix):
    _in_zone(tenant, zone)
    for day in REFUSED_DAYS:
        for name in (f"{prefix}_from", f"{prefix}_to"):
            response = member_client.get(tenant.url(path), {name: day})
            assert response.status_code == 200, (name, day)
            assert response.context["filter_form"].errors == {name: [OUT_OF_RANGE]}
            assert response.context["page"] is None


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("path", "prefix"), LIST_DAYS)
def test_the_edge_days_of_the_range_filter_in_every_zone(tenant, member_client, zone, path, prefix):
    _in_zone(tenant, zone)
    response = member_client.get(tenant.url(path), {f"{prefix}_from": "1900-01-01", f"{prefix}_to": "2999-12-31"})
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 1
    for day in ("1900-01-01", "2999-12-31"):
        assert member_client.get(tenant.url(path), {f"{prefix}_from": day, f"{prefix}_to": day}).status_code == 200


def test_the_error_is_in_polish_too(tenant, member_client):
    member_client.cookies["django_language"] = "pl"
    response = member_client.get(tenant.url("deals/"), {"created_from": "0001-01-01"})
    assert "Podaj datę z lat 1900–2999." in response.text  # noqa: RUF001 — Polish writes ranges with an en dash


def test_an_htmx_request_carries_the_fields_error_with_the_table(tenant, member_client):
    response = member_client.get(tenant.url("deals/"), {"closed_to": "9999-12-31"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert 'id="id_closed_to-errors" hx-swap-oob="true"><p class="field__error" role="alert">' in response.text
    assert OUT_OF_RANGE in response.text
    # The other fields' error slots come empty, so an error fixed since disappears.
    assert 'id="id_created_from-errors" hx-swap-oob="true"></div>' in response.text


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("day", REFUSED_DAYS)
def test_statistics_days_out_of_range_are_field_errors(tenant, admin_client, zone, day):
    enable_sources(tenant.account)
    _in_zone(tenant, zone)
    for params, field in (({"start": day, "end": "2026-01-01"}, "start"), ({"start": "2026-01-01", "end": day}, "end")):
        query = {**params, "period": "custom", "compare": "on"}
        page = admin_client.get(tenant.url("stats/sources/"), query)
        assert page.status_code == 400
        assert OUT_OF_RANGE in page.context["form"].errors[field]
        assert admin_client.get(tenant.url("stats/sources/export.csv"), query).status_code < 500
        error = api_for(tenant).get("stats/sources", {**params, "compare": "true"})
        assert error.status_code == 400
        assert error.json()["error"]["fields"] == {field: [OUT_OF_RANGE]}


def test_statistics_over_the_whole_range_with_comparison(tenant, admin_client):
    enable_sources(tenant.account)
    _in_zone(tenant, "Pacific/Kiritimati")
    query = {"period": "custom", "start": "1900-01-01", "end": "2999-12-31", "compare": "on"}
    assert admin_client.get(tenant.url("stats/sources/"), query).status_code == 200
    answer = api_for(tenant).get("stats/sources", {**query, "compare": "true"})
    assert answer.status_code == 200
    assert answer.json()["previous_period"] == {"start": "0800-01-01", "end": "1899-12-31"}
