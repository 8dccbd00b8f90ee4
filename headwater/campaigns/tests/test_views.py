"""The campaign pages under the source catalogue: admins only, each posted as a browser posts it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from headwater.campaigns.models import Campaign
from headwater.companies.services import company_create
from headwater.records.tests.view_contract import sources_on
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(tenant):
    sources_on(tenant.account, default=False)
    return SourceFactory(account=tenant.account, name="Google")


def _form(**overrides):
    return {
        "name": "Spring sale",
        "start_date": "2026-03-01",
        "end_date": "",
        "budget": "",
        "currency": "PLN",
    } | overrides


def test_the_catalogue_links_to_each_sources_campaigns(tenant, google):
    page = tenant.client_for("admin").get(tenant.url("settings/sources/"))
    assert tenant.url(f"settings/campaigns/source/{google.pk}/") in page.text


def test_an_admin_adds_a_campaign_with_a_budget_typed_in_polish(tenant, google):
    client = tenant.client_for("admin")
    url = tenant.url(f"settings/campaigns/source/{google.pk}/")
    response = client.post(url, _form(budget="12 500,50", currency="EUR", end_date="2026-05-31"))
    assert response.status_code == 302
    campaign = Campaign.objects.for_account(tenant.account).get()
    assert (campaign.source_id, campaign.budget, campaign.currency) == (google.pk, Decimal("12500.50"), "EUR")
    page = client.get(url)
    assert "Spring sale" in page.text
    assert "12,500.50 EUR" in page.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Enter the campaign name."),
        ({"end_date": "2026-02-01"}, "The campaign cannot end before it starts."),
        ({"budget": "-5"}, "The budget cannot be negative."),
        ({"start_date": ""}, "Enter the day the campaign starts."),
        ({"name": "SPRING  SALE"}, "already has a campaign named"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_added(tenant, google, overrides, message):
    CampaignFactory(source=google, name="Spring sale")
    response = tenant.client_for("admin").post(
        tenant.url(f"settings/campaigns/source/{google.pk}/"), _form(**overrides)
    )
    assert response.status_code == 400
    assert message in response.text
    assert Campaign.objects.for_account(tenant.account).count() == 1


def test_edit_with_a_stale_version_is_refused(tenant, google):
    campaign = CampaignFactory(source=google, name="Spring")
    client = tenant.client_for("admin")
    url = tenant.url(f"settings/campaigns/{campaign.pk}/edit/")
    assert client.get(url).status_code == 200
    response = client.post(url, _form(name="Summer", version=campaign.version))
    assert response.status_code == 302
    response = client.post(url, _form(name="Autumn", version=campaign.version))
    assert response.status_code == 400
    assert "changed by someone else" in response.text
    campaign.refresh_from_db()
    assert campaign.name == "Summer"


def test_archive_restore_and_delete_only_when_unused(tenant, google):
    campaign = CampaignFactory(source=google, name="Spring")
    client = tenant.client_for("admin")
    client.post(tenant.url(f"settings/campaigns/{campaign.pk}/archive/"), {"archived": "1", "version": "1"})
    campaign.refresh_from_db()
    assert campaign.archived
    client.post(tenant.url(f"settings/campaigns/{campaign.pk}/archive/"), {"archived": "0"})
    campaign.refresh_from_db()
    assert not campaign.archived
    company_create(account=tenant.account, user=None, name="Acme", campaign=campaign)
    url = tenant.url(f"settings/campaigns/{campaign.pk}/delete/")
    assert "cannot be" in client.get(url).text
    response = client.post(url, {"version": str(campaign.version)})
    assert response.status_code == 400
    assert "still carried by 1 companies" in response.text
    assert Campaign.objects.for_account(tenant.account).filter(pk=campaign.pk).exists()
    unused = CampaignFactory(source=google, name="Unused")
    response = client.post(tenant.url(f"settings/campaigns/{unused.pk}/delete/"), {"version": "1"})
    assert response.status_code == 302
    assert not Campaign.objects.for_account(tenant.account).filter(pk=unused.pk).exists()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_may_not_open_them(tenant, google, role):
    campaign = CampaignFactory(source=google)
    client = tenant.client_for(role)
    assert client.get(tenant.url(f"settings/campaigns/source/{google.pk}/")).status_code == 403
    assert client.post(tenant.url(f"settings/campaigns/{campaign.pk}/edit/"), _form()).status_code == 403


def test_another_accounts_source_and_campaign_are_404(tenant, other_tenant, google):
    theirs = CampaignFactory(source=SourceFactory(account=other_tenant.account), name="MARKER")
    client = tenant.client_for("admin")
    for path in (
        f"settings/campaigns/source/{theirs.source_id}/",
        f"settings/campaigns/{theirs.pk}/edit/",
        f"settings/campaigns/{theirs.pk}/delete/",
    ):
        assert client.get(tenant.url(path)).status_code == 404
    assert client.post(tenant.url(f"settings/campaigns/{theirs.pk}/archive/"), {"archived": "1"}).status_code == 404
    assert client.post(tenant.url(f"settings/campaigns/source/{theirs.source_id}/"), _form()).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.archived
    assert Campaign.objects.for_account(tenant.account).count() == 0
