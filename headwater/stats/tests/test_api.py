from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.forms import stats_filters_from
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
    assert body["top_won_value"] == {"id": sample.website.pk, "kind": "source", "name": "Website", "archived": False}
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


def test_the_endpoint_is_documented(tenant):
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/stats/sources"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"period", "start", "end", "owner_id", "compare"}


def test_the_endpoint_makes_one_query_besides_the_statistics(tenant, sample):
    """The token with its membership, user and account in one query: the fixed cost of an API request. Every other
    query is the selector's."""
    api = api_for(tenant, "viewer")
    params = {"period": "last_90", "compare": "true"}
    api.get("/stats/sources", params)  # writes the token's last use, at most once a minute: not this request's cost
    filters = stats_filters_from({"period": "last_90", "compare": "on"}, account=tenant.account)
    with CaptureQueriesContext(connection) as selector:
        source_stats(account=tenant.account, filters=filters)
    with CaptureQueriesContext(connection) as request:
        response = api.get("/stats/sources", params)
    assert response.status_code == 200
    assert len(request) == len(selector) + 1, [q["sql"] for q in request.captured_queries]
