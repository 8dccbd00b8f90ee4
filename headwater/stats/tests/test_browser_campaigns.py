"""The drill-down channel -> source -> campaign in Chromium, in English and Polish: a viewer opens a source's
campaigns from its "Spend and return" row (a <details>, no script), and a campaign's won deals drill to the list."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.spend.services import spend_create
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_viewer_drills_from_a_source_to_its_campaigns(  # noqa: PLR0917 — fixtures, passed by pytest
    page, live_server, browser_login, tenant, screenshot, language
):
    account, admin = tenant.account, tenant.admin
    account.sources_enabled = True
    account.save()
    ads = SourceFactory(account=account, name="Google Ads", position=1)
    SourceFactory(account=account, name="Trade fair", position=2)
    paid = channel_create(account=account, user=admin, name=t(language, "Paid search"))
    source_set_channel(account=account, user=admin, source=ads, channel_id=paid.pk)
    spring = CampaignFactory(source=ads, name="Spring sale")
    CampaignFactory(source=ads, name="Brand")
    today = timezone.localdate()
    month = today.replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    spend_create(account=account, user=None, source=ads, campaign=spring, month=month, amount="400")
    spend_create(account=account, user=None, source=ads, month=month, amount="100")
    for value in ("1200.00", "800.00"):
        DealFactory(account=account, source=ads, campaign=spring, status="won", value=Decimal(value), closed_at=today)
    DealFactory(account=account, source=ads, status="won", value=Decimal("50.00"), closed_at=today)
    CompanyFactory(account=account, source=ads, campaign=spring)

    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}?period=custom&start={month}&end={last}")
    returns = page.locator("#stats-returns")
    with translation.override(language):
        two = ngettext("%(count)s campaign", "%(count)s campaigns", 2) % {"count": 2}
    link = returns.locator("a.stats-campaigns__link")
    expect(link).to_have_text(two)
    details = page.locator(f"#stats-campaigns-{ads.pk}")
    expect(details).not_to_have_attribute("open", "")
    link.click()  # the browser opens the <details> the fragment points into
    expect(details).to_have_attribute("open", "")
    table = details.locator("table")
    spring_row = table.locator("tbody tr", has_text="Spring sale")
    expect(spring_row).to_be_visible()
    # Spring: 1 contact, 2 deals, 2 won, 2,000.00 won, 400.00 spent: ROI 400.0 %, ROAS 5.00.
    expect(spring_row.locator("td").nth(3)).to_contain_text(re.compile(r"2[,\s\u00a0]000[.,]00"))
    expect(spring_row.locator("td").nth(8)).to_contain_text(re.compile(r"400[.,]0%"))
    expect(table.locator("tbody tr", has_text=t(language, "(no campaign)"))).to_be_visible()
    expect(table.locator("tbody tr", has_text="Brand")).to_be_visible()
    details.scroll_into_view_if_needed()
    screenshot(f"stats-campaigns-{language}")

    # A campaign's won deals drill to the deal list filtered by it.
    spring_row.locator("td").nth(2).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"[?&]campaign={spring.pk}(&|$)"))
    expect(page.locator("table tbody tr")).to_have_count(2)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_campaign_row_shows_its_change_from_the_previous_period(  # noqa: PLR0917 — fixtures, passed by pytest
    page, live_server, browser_login, tenant, screenshot, language
):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ads = SourceFactory(account=account, name="Google Ads", position=1)
    spring = CampaignFactory(source=ads, name="Spring sale")
    today = timezone.localdate()
    month = today.replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    before = month - dt.timedelta(days=10)  # inside the period before (the month's length of days before it)
    spend_create(account=account, user=None, source=ads, campaign=spring, month=month, amount="400")
    spend_create(
        account=account,
        user=None,
        source=ads,
        campaign=spring,
        start_date=before,
        end_date=month - dt.timedelta(days=1),
        amount="100",
    )
    DealFactory(account=account, source=ads, campaign=spring, status="won", value=Decimal("2000.00"), closed_at=today)
    DealFactory(account=account, source=ads, campaign=spring, status="won", value=Decimal("300.00"), closed_at=before)

    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}?period=custom&start={month}&end={last}&compare=on")
    page.locator("a.stats-campaigns__link").click()
    details = page.locator(f"#stats-campaigns-{ads.pk}")
    expect(details).to_have_attribute("open", "")
    spring_row = details.locator("tbody tr", has_text="Spring sale")
    # Spend 400.00 after 100.00: +300.00 (+300.0%); ROI 400.0 % after 200.0 %: +200.0 percentage points.
    spend = spring_row.locator("td").nth(4).locator(".stats-change")
    expect(spend).to_be_visible()
    expect(spend).to_contain_text(re.compile(r"\+300[.,]00.*\(\+300[.,]0%\)"))
    roi = spring_row.locator("td").nth(8).locator(".stats-change")
    expect(roi).to_contain_text(re.compile(r"\+200[.,]0"))
    details.scroll_into_view_if_needed()
    screenshot(f"stats-campaigns-compared-{language}")
