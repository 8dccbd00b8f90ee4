"""Campaigns in Chromium, in English and Polish: an admin adds one under a source, a member puts it on a deal."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.campaigns.models import Campaign
from headwater.deals.models import Deal
from headwater.records.tests.view_contract import sources_on
from headwater.testing.factories import SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    """The UI text in `language`."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.mark.parametrize("language", ["en", "pl"])
def test_add_a_campaign_and_put_it_on_a_deal(page, live_server, browser_login, screenshot, *, tenant, language):
    sources_on(tenant.account, default=False)
    google = SourceFactory(account=tenant.account, name="Google Ads", position=1)
    SourceFactory(account=tenant.account, name="Targi", position=2)
    browser_login(tenant.admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('settings/sources/')}")

    page.get_by_role("link", name=f"{t(language, 'Campaigns')} “Google Ads”").click()
    expect(page.get_by_role("heading", name=t(language, "Campaigns of “%(name)s”", name="Google Ads"))).to_be_visible()
    page.get_by_label(t(language, "Campaign name")).fill("Wiosna 2026")
    page.get_by_label(t(language, "Start date")).fill("2026-03-01")
    page.get_by_label(t(language, "End date")).fill("2026-02-01")
    page.get_by_label(t(language, "Planned budget")).fill("12 500,50")
    page.get_by_role("button", name=t(language, "Add campaign")).click()
    expect(page.get_by_text(t(language, "The campaign cannot end before it starts."))).to_be_visible()
    assert not Campaign.objects.for_account(tenant.account).exists()
    page.get_by_label(t(language, "End date")).fill("2026-05-31")
    page.get_by_role("button", name=t(language, "Add campaign")).click()
    row = page.locator("table.campaign-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Wiosna 2026")
    expect(row).to_contain_text("12")
    screenshot(f"campaigns-{language}")
    campaign = Campaign.objects.for_account(tenant.account).get()
    assert (campaign.source_id, str(campaign.budget)) == (google.pk, "12500.50")

    # A member's new deal: the campaign picked, no source chosen: the deal takes the campaign's source.
    page.context.clear_cookies()
    browser_login(tenant.member)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('deals/new/')}")
    page.get_by_label(t(language, "Deal name")).fill("Kontrakt ramowy")
    page.get_by_label(t(language, "Value")).fill("1000")
    page.get_by_label(t(language, "Campaign"), exact=True).select_option(label="Wiosna 2026 · Google Ads")
    page.get_by_role("button", name=t(language, "Add deal")).click()
    expect(page.locator("[data-record-campaign]")).to_have_text("Wiosna 2026")
    expect(page.get_by_role("heading", name=t(language, "Campaign history"))).to_be_visible()
    screenshot(f"campaigns-deal-{language}")
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.campaign_id, deal.source_id) == (campaign.pk, google.pk)
