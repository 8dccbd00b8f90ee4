"""/api/v1/campaigns: every member reads, admins write; another account's ids are 404 (path) or 400 (body)."""

from __future__ import annotations

import pytest

from headwater.campaigns.models import Campaign
from headwater.records.tests.api_contract import enable_sources, error_of
from headwater.testing.api import api_for
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(tenant):
    enable_sources(tenant.account)
    return SourceFactory(account=tenant.account, name="Google")


def test_admin_creates_changes_and_deletes(tenant, google):
    api = api_for(tenant, "admin")
    body = {"source_id": google.pk, "name": "Spring", "start_date": "2026-03-01", "budget": "1500.5"}
    created = api.post("campaigns", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["name"], out["budget"], out["currency"], out["source_name"]) == ("Spring", "1500.50", "PLN", "Google")
    assert created["ETag"] == '"1"'
    changed = api.patch(f"campaigns/{out['id']}", {"version": 1, "end_date": "2026-04-30", "archived": True})
    assert changed.status_code == 200
    assert (changed.json()["end_date"], changed.json()["archived"], changed.json()["version"]) == (
        "2026-04-30",
        True,
        2,
    )
    error_of(api.patch(f"campaigns/{out['id']}", {"version": 1, "name": "Stale"}), 409)
    error_of(api.patch(f"campaigns/{out['id']}", {"end_date": "2026-01-01"}), 400)
    error_of(api.patch(f"campaigns/{out['id']}", {"name": None}), 400)
    assert api.delete(f"campaigns/{out['id']}").status_code == 204
    assert not Campaign.objects.for_account(tenant.account).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"budget": "-1"}, "budget"),
        ({"budget": "12,5"}, "budget"),
        ({"name": " "}, "name"),
        ({"end_date": "2026-02-01"}, "end_date"),
        ({"currency": "zz"}, "currency"),
    ],
)
def test_bad_bodies_are_400_on_their_field(tenant, google, changes, field):
    body = {"source_id": google.pk, "name": "Spring", "start_date": "2026-03-01", "budget": "10"} | changes
    error = error_of(api_for(tenant, "admin").post("campaigns", body), 400)
    assert field in error["fields"]
    assert not Campaign.objects.for_account(tenant.account).exists()


def test_viewers_read_members_may_not_write(tenant, other_tenant, google):
    mine = CampaignFactory(source=google, name="Spring")
    CampaignFactory(source=SourceFactory(account=other_tenant.account), name="MARKER")
    listed = api_for(tenant, "viewer").get("campaigns")
    assert [item["name"] for item in listed.json()["items"]] == ["Spring"]
    assert api_for(tenant, "viewer").get(f"campaigns/{mine.pk}").status_code == 200
    member = api_for(tenant, "member")
    error_of(member.post("campaigns", {"source_id": google.pk, "name": "X", "start_date": "2026-03-01"}), 403)
    error_of(member.patch(f"campaigns/{mine.pk}", {"name": "X"}), 403)
    error_of(member.delete(f"campaigns/{mine.pk}"), 403)


def test_another_accounts_campaign_and_source(tenant, other_tenant, google):
    theirs = CampaignFactory(source=SourceFactory(account=other_tenant.account), name="MARKER")
    api = api_for(tenant, "admin")
    for response in (
        api.get(f"campaigns/{theirs.pk}"),
        api.patch(f"campaigns/{theirs.pk}", {"name": "Mine"}),
        api.delete(f"campaigns/{theirs.pk}"),
    ):
        error_of(response, 404)
        assert b"MARKER" not in response.content
    error = error_of(
        api.post("campaigns", {"source_id": theirs.source_id, "name": "X", "start_date": "2026-03-01"}), 400
    )
    assert "source_id" in error["fields"]
    assert api.get("campaigns", {"source_id": theirs.source_id}).json()["items"] == []
    theirs.refresh_from_db()
    assert theirs.name == "MARKER"


def test_a_campaign_in_use_is_not_deleted(tenant, google):
    campaign = CampaignFactory(source=google)
    api = api_for(tenant, "admin")
    api.post("deals", {"name": "D", "campaign_id": campaign.pk})
    error = error_of(api.delete(f"campaigns/{campaign.pk}"), 400)
    assert "1 deals" in error["message"]
