"""/api/v1/spend: every member reads, admins write; another account's ids are 404 (path) or 400 (body)."""

from __future__ import annotations

import pytest

from headwater.records.tests.api_contract import enable_sources, error_of
from headwater.spend.models import SpendEntry
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(tenant):
    enable_sources(tenant.account)
    return SourceFactory(account=tenant.account, name="Google")


def test_admin_creates_changes_and_deletes(tenant, google):
    api = api_for(tenant, "admin")
    created = api.post("spend", {"source_id": google.pk, "month": "2026-02", "amount": "1200.5", "note": "Ads"})
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["start_date"], out["end_date"], out["month"], out["amount"], out["currency"]) == (
        "2026-02-01",
        "2026-02-28",
        "2026-02",
        "1200.50",
        "PLN",
    )
    assert created["ETag"] == '"1"'
    assert out["created_by_id"] == tenant.admin.pk
    changed = api.patch(f"spend/{out['id']}", {"version": 1, "start_date": "2026-02-10", "currency": "EUR"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["start_date"], changed.json()["month"], changed.json()["version"]) == (
        "2026-02-10",
        None,
        2,
    )
    error_of(api.patch(f"spend/{out['id']}", {"version": 1, "note": "Stale"}), 409)
    error_of(api.patch(f"spend/{out['id']}", {"amount": None}), 400)
    got = api.get(f"spend/{out['id']}")
    assert got["ETag"] == '"2"'
    assert api.delete(f"spend/{out['id']}", headers={"If-Match": '"2"'}).status_code == 204
    assert not SpendEntry.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "12,5"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"currency": "ZZZ"}, "currency"),
        ({"month": None, "start_date": "2026-03-01"}, "end_date"),
        ({"month": None}, "month"),
        ({"start_date": "2026-03-01", "end_date": "2026-03-02"}, "month"),
        ({"month": None, "start_date": "2026-03-05", "end_date": "2026-03-01"}, "end_date"),
        ({"month": None, "start_date": "0001-01-01", "end_date": "2026-03-01"}, "start_date"),
        ({"month": None, "start_date": "2026-03-05", "end_date": "9999-12-31"}, "end_date"),
    ],
)
def test_bad_bodies_are_refused_on_their_field(tenant, google, changes, field):
    body = {"source_id": google.pk, "month": "2026-03", "amount": "10"} | changes
    error = error_of(api_for(tenant, "admin").post("spend", body), 400)
    assert field in error["fields"]
    assert not SpendEntry.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize("month", ["2026-13", "0000-01", "1899-12", "3000-01"])
def test_a_malformed_month_is_422(tenant, google, month):
    response = api_for(tenant, "admin").post("spend", {"source_id": google.pk, "month": month, "amount": "1"})
    assert response.status_code == 422
    assert not SpendEntry.objects.for_account(tenant.account).exists()


def test_the_campaign_must_be_the_sources(tenant, google):
    other = SourceFactory(account=tenant.account, name="Meta")
    campaign = CampaignFactory(source=other)
    body = {"source_id": google.pk, "campaign_id": campaign.pk, "month": "2026-03", "amount": "10"}
    error = error_of(api_for(tenant, "admin").post("spend", body), 400)
    assert "campaign_id" in error["fields"] or "campaign" in error["fields"]
    good = api_for(tenant, "admin").post("spend", body | {"source_id": other.pk})
    assert good.status_code == 201
    assert good.json()["campaign_name"] == campaign.name


def test_list_filters_and_pages(tenant, google):
    api = api_for(tenant, "admin")
    meta = SourceFactory(account=tenant.account, name="Meta")
    for month in range(1, 6):
        api.post("spend", {"source_id": google.pk, "month": f"2026-0{month}", "amount": "10"})
    api.post("spend", {"source_id": meta.pk, "month": "2026-03", "amount": "10"})
    first = api.get("spend", {"limit": 2, "source_id": google.pk}).json()
    assert [item["month"] for item in first["items"]] == ["2026-05", "2026-04"]
    second = api.get("spend", {"limit": 2, "source_id": google.pk, "cursor": first["next"]}).json()
    assert [item["month"] for item in second["items"]] == ["2026-03", "2026-02"]
    ranged = api.get("spend", {"from": "2026-03-15", "to": "2026-04-01"}).json()
    assert sorted(item["month"] for item in ranged["items"]) == ["2026-03", "2026-03", "2026-04"]
    error_of(api.get("spend", {"cursor": "forged"}), 400)
    assert api.get("spend", {"from": "nope"}).status_code == 422


def test_viewers_read_members_may_not_write(tenant, google):
    admin = api_for(tenant, "admin")
    entry = admin.post("spend", {"source_id": google.pk, "month": "2026-03", "amount": "10"}).json()
    assert api_for(tenant, "viewer").get(f"spend/{entry['id']}").status_code == 200
    assert len(api_for(tenant, "viewer").get("spend").json()["items"]) == 1
    member = api_for(tenant, "member")
    error_of(member.post("spend", {"source_id": google.pk, "month": "2026-03", "amount": "10"}), 403)
    error_of(member.patch(f"spend/{entry['id']}", {"amount": "11"}), 403)
    error_of(member.delete(f"spend/{entry['id']}"), 403)
    assert SpendEntry.objects.for_account(tenant.account).get().amount == 10


def test_another_accounts_entry_and_source(tenant, other_tenant, google):
    enable_sources(other_tenant.account)
    theirs_source = SourceFactory(account=other_tenant.account, name="Theirs")
    theirs = api_for(other_tenant, "admin").post(
        "spend", {"source_id": theirs_source.pk, "month": "2026-03", "amount": "10", "note": "MARKER"}
    )
    assert theirs.status_code == 201
    entry_id = theirs.json()["id"]
    api = api_for(tenant, "admin")
    for response in (
        api.get(f"spend/{entry_id}"),
        api.patch(f"spend/{entry_id}", {"amount": "1"}),
        api.delete(f"spend/{entry_id}"),
    ):
        error_of(response, 404)
        assert b"MARKER" not in response.content
    error = error_of(api.post("spend", {"source_id": theirs_source.pk, "month": "2026-03", "amount": "1"}), 400)
    assert "source" in error["fields"] or "source_id" in error["fields"]
    assert api.get("spend").json()["items"] == []
    assert SpendEntry.objects.for_account(other_tenant.account).get().amount == 10


@pytest.mark.parametrize("query", ["to=0", "from=1700000000", "to=2026-3-1", "from=1800-01-01"])
def test_a_day_filter_that_is_not_a_day_is_refused(tenant, query):
    response = api_for(tenant, "admin").get(f"spend?{query}")
    assert response.status_code in (400, 422), response.content
    assert response.json()["error"]["fields"]
