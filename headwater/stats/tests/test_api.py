from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.forms import FILTER_FIELDS, StatsFilterForm, stats_filters_from
from headwater.stats.schemas import stats_out
from headwater.stats.selectors import source_stats
from headwater.stats.tests.sample import build_sample
from headwater.testing.api import api_for
from headwater.testing.factories import DealFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def sample(tenant):
    return build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)


def error_of(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_every_role_reads_the_statistics(tenant, sample, role):
    response = api_for(tenant, role).get("/stats/sources")
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "PLN"
    assert body["period"] is None
    assert body["open_deals"]["total"]["value"] == "2350.50"
    assert body["closed_deals"]["total"]["win_rate"] == "57.1"
    assert body["top_won_value"] == {
        "id": sample.website.pk,
        "kind": "source",
        "name": "Website",
        "archived": False,
        "channel_id": None,
        "channel": "No channel",
    }
    assert body["best_win_rate"]["name"] == "Referral"
    assert body["missing_rates"] == [{"currency": "USD", "count": 2, "value": "400.00"}]
    kinds = [row["source"]["kind"] for row in body["contacts"]["rows"]]
    assert kinds[-1] == "none"
    assert body["contacts"]["total"]["source"]["kind"] == "total"
    fair = next(r for r in body["closed_deals"]["rows"] if r["source"]["id"] == sample.fair.pk)
    assert fair["source"]["archived"] is True
    assert fair["lost_unconverted"] == [{"currency": "USD", "count": 1, "value": "100.00"}]


def test_json_is_the_selector_output(tenant, sample):
    params = {"period": "custom", "start": "2025-04-01", "end": "2025-05-31", "owner_id": str(tenant.member.pk)}
    body = api_for(tenant, "viewer").get("/stats/sources", {**params, "compare": "true"}).json()
    stats = source_stats(
        account=tenant.account,
        filters=StatsFilters(
            period=DateRange(dt.date(2025, 4, 1), dt.date(2025, 5, 31)), owner_id=tenant.member.pk, compare=True
        ),
    )
    expected = stats_out(stats)

    def normalise(value):
        if isinstance(value, dict):
            return {k: normalise(v) for k, v in value.items()}
        if isinstance(value, list):
            return [normalise(v) for v in value]
        if isinstance(value, Decimal | dt.date):
            return str(value) if isinstance(value, Decimal) else value.isoformat()
        return value

    assert body == normalise(expected)
    assert body["previous_period"] == {"start": "2025-01-30", "end": "2025-03-31"}  # 61 days before


def test_feature_off_is_a_clear_error(tenant):
    error = error_of(api_for(tenant, "viewer").get("/stats/sources"), 400)
    assert error["code"] == "feature_disabled"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"period": "custom"}, 400, "start"),
        ({"period": "custom", "start": "2025-05-02", "end": "2025-05-01"}, 400, "end"),
        ({"period": "this_year", "start": "2025-01-01"}, 400, "period"),
        ({"period": "yesterday"}, 422, "period"),
        ({"start": "2025-02-30"}, 422, "start"),
        ({"owner_id": "999999"}, 400, "owner_id"),
        ({"owner_id": "someone"}, 422, "owner_id"),
        ({"owner": "999999"}, 400, "owner_id"),
        ({"owner": "none", "owner_id": "1"}, 400, "owner_id"),
        ({"compare": "maybe"}, 422, "compare"),
        ({"sort_open": "nonsense"}, 400, "sort_open"),
        ({"onwer": "1"}, 422, "onwer"),
    ],
)
def test_bad_parameters_name_the_parameter(tenant, sample, params, status, field):
    error = error_of(api_for(tenant, "viewer").get("/stats/sources", params), status)
    assert field in error["fields"]


def test_the_token_decides_the_account(tenant, other_tenant, sample):
    other_tenant.account.sources_enabled = True
    other_tenant.account.save()
    marker = SourceFactory(account=other_tenant.account, name="MARKER-theirs")
    DealFactory(account=other_tenant.account, source=marker, value=Decimal("777.77"))
    ours = api_for(tenant, "viewer").get("/stats/sources")
    assert "MARKER-theirs" not in ours.content.decode()
    assert "777.77" not in ours.content.decode()
    theirs = api_for(other_tenant, "viewer").get("/stats/sources").json()
    assert theirs["open_deals"]["total"]["value"] == "777.77"
    # An owner id of the other account is refused, not silently ignored.
    error = error_of(api_for(tenant, "viewer").get("/stats/sources", {"owner_id": str(other_tenant.admin.pk)}), 400)
    assert "owner_id" in error["fields"]


def test_no_token_is_401(tenant, sample):
    response = Client().get("/api/v1/stats/sources")
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/stats/sources", "/api/v1/stats/sources.csv"])
def test_the_endpoints_are_documented_with_the_pages_parameters(tenant, path):
    """One set of names for the page, its CSV and the API: the form's fields, plus `owner` (deprecated alias)."""
    schema = Client().get("/api/v1/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert set(parameters) == {*FILTER_FIELDS, "owner"}
    # The form's one more field is the page's trend switch, which /stats/trend takes as `by`.
    assert {*FILTER_FIELDS, "trend_by"} == set(StatsFilterForm(None, account=tenant.account).fields)
    assert parameters["owner"].get("deprecated") is True
    assert not any(p.get("deprecated") for name, p in parameters.items() if name != "owner")


def test_the_endpoint_makes_one_query_besides_the_statistics(tenant, sample):
    """The token with its membership, user and account in one query: the fixed cost of an API request; one more asks
    whether the tallies are being recomputed for a new time zone (then no figure is given). Every other query is the
    selector's."""
    api = api_for(tenant, "viewer")
    params = {"period": "last_90", "compare": "true"}
    api.get("/stats/sources", params)  # writes the token's last use, at most once a minute: not this request's cost
    filters = stats_filters_from({"period": "last_90", "compare": "on"}, account=tenant.account)
    with CaptureQueriesContext(connection) as selector:
        source_stats(account=tenant.account, filters=filters)
    with CaptureQueriesContext(connection) as request:
        response = api.get("/stats/sources", params)
    assert response.status_code == 200
    assert len(request) == len(selector) + 2, [q["sql"] for q in request.captured_queries]


# --- One set of parameter names (page, page CSV, API JSON, API CSV) -------------------------------------------


def test_the_old_page_names_mean_the_same_in_the_api(tenant, sample):
    api = api_for(tenant, "viewer")
    base = {"period": "custom", "start": "2025-04-01", "end": "2025-05-31"}
    new = api.get("/stats/sources", {**base, "owner_id": tenant.member.pk, "compare": "true"})
    old = api.get("/stats/sources", {**base, "owner": tenant.member.pk, "compare": "on"})
    assert new.status_code == old.status_code == 200
    assert new.json() == old.json()
    assert new.json()["previous_period"] is not None
    unfiltered = api.get("/stats/sources", {**base, "compare": "true"}).json()
    assert new.json()["contacts"]["total"] != unfiltered["contacts"]["total"]  # the owner filter applied


def test_the_json_rows_follow_the_pages_sort_parameters(tenant, sample):
    api = api_for(tenant, "viewer")
    body = api.get("/stats/sources", {"sort_closed": "-won_value", "sort_contacts": "source"}).json()
    assert [r["source"]["name"] for r in body["closed_deals"]["rows"]][:3] == ["Website", "Referral", "Trade fair"]
    contacts = [r["source"]["name"] for r in body["contacts"]["rows"]]
    assert contacts == [*sorted(contacts[:-1], key=str.casefold), "No source"]
    catalogue = api.get("/stats/sources").json()
    assert [r["source"]["name"] for r in catalogue["closed_deals"]["rows"]][:2] == ["Website", "Referral"]


def test_the_csv_by_token_is_the_pages_csv(tenant, sample):
    query = (
        f"period=custom&start=2025-03-01&end=2025-06-30&owner_id={tenant.member.pk}&compare=true&sort_closed=-won_value"
    )
    page_csv = tenant.client_for("viewer").get(tenant.url(f"stats/sources/export.csv?{query}"))
    api_csv = api_for(tenant, "viewer").get(f"/stats/sources.csv?{query}")
    assert api_csv.status_code == 200
    assert api_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert api_csv["Content-Disposition"] == page_csv["Content-Disposition"]
    assert api_csv["Content-Disposition"] == 'attachment; filename="source-statistics-alpha-2025-06-30.csv"'
    assert api_csv.content == page_csv.content
    assert f"Owner,{tenant.member.display_name}" in api_csv.content.decode()
    for response in (api_csv, page_csv):
        assert "no-store" in response["Cache-Control"]
    old = query.replace("owner_id=", "owner=").replace("compare=true", "compare=on")
    old_names = api_for(tenant, "viewer").get(f"/stats/sources.csv?{old}")
    assert old_names.content == api_csv.content


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_every_role_gets_the_csv_and_nobody_without_a_token(tenant, sample, role):
    assert api_for(tenant, role).get("/stats/sources.csv").status_code == 200
    response = Client().get("/api/v1/stats/sources.csv")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_the_csv_by_token_refuses_bad_filters_in_the_api_shape(tenant, sample, other_tenant):
    api = api_for(tenant, "viewer")
    for params, field in (
        ({"period": "custom"}, "start"),
        ({"owner_id": str(other_tenant.admin.pk)}, "owner_id"),
        ({"sort_open": "nonsense"}, "sort_open"),
        ({"compare": "maybe"}, "compare"),
        ({"onwer": "1"}, "onwer"),
    ):
        response = api.get("/stats/sources.csv", params)
        assert response.status_code in (400, 422), params
        assert field in error_of(response, response.status_code)["fields"]


def test_the_csv_by_token_needs_the_sources_switched_on(tenant):
    assert error_of(api_for(tenant, "viewer").get("/stats/sources.csv"), 400)["code"] == "feature_disabled"


def test_the_csv_of_one_account_by_its_token_only(tenant, other_tenant, sample):
    other_tenant.account.sources_enabled = True
    other_tenant.account.save()
    SourceFactory(account=other_tenant.account, name="MARKER-theirs")
    ours = api_for(tenant, "viewer").get("/stats/sources.csv")
    assert b"MARKER" not in ours.content
    assert b"MARKER-theirs" in api_for(other_tenant, "viewer").get("/stats/sources.csv").content
