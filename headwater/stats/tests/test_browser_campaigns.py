"""The drill-down channel -> source -> campaign in Chromium, in English and Polish: a viewer opens a source's
campaigns from its "Spend and return" row or from the keyboard (a <details> whose table loads when it is opened:
stats/part_views.py), and a campaign's won deals drill to the list."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from conftest import SCREENSHOT_DIR
from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.spend.services import spend_create
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


def _section_screenshot(page, name):
    """ "Spend and return" alone, to look at closely (the page's screenshot is long)."""
    section = page.locator("section[aria-labelledby='stats-returns-title']")
    section.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), caret="initial")


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
    loads = []
    page.on(
        "request", lambda request: loads.append(request.url) if "/stats/sources/campaigns/" in request.url else None
    )
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}?period=custom&start={month}&end={last}")
    returns = page.locator("#stats-returns")
    with translation.override(language):
        two = ngettext("%(count)s campaign", "%(count)s campaigns", 2) % {"count": 2}
    link = returns.locator("a.stats-campaigns__link")
    expect(link).to_have_text(two)
    details = page.locator(f"#stats-campaigns-{ads.pk}")
    expect(details).not_to_have_attribute("open", "")
    expect(details.locator("table")).to_have_count(0)  # loaded when opened
    link.click()  # the browser opens the <details> the fragment points into, which loads its table
    expect(details).to_have_attribute("open", "")
    table = details.get_by_role(
        "table", name=t(language, "Spend and return per campaign of %(source)s", source="Google Ads")
    )
    spring_row = table.locator("tbody tr", has_text="Spring sale")
    expect(spring_row).to_be_visible()
    # Spring: 1 contact, 2 deals, 2 won, 2,000.00 won, 400.00 spent: ROI 400.0 %, ROAS 5.00.
    expect(spring_row.locator("td").nth(3)).to_contain_text(re.compile(r"2[,\s\u00a0]000[.,]00"))
    expect(spring_row.locator("td").nth(8)).to_contain_text(re.compile(r"400[.,]0%"))
    expect(table.locator("tbody tr", has_text=t(language, "(no campaign)"))).to_be_visible()
    expect(table.locator("tbody tr", has_text="Brand")).to_be_visible()
    expect(details.locator(".stats-part__loading")).to_have_count(0)
    details.scroll_into_view_if_needed()
    screenshot(f"stats-campaigns-{language}")
    _section_screenshot(page, f"stats-campaigns-section-{language}")
    # Closed and opened again from the keyboard: the table is there at once, not loaded twice.
    summary = details.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(details).not_to_have_attribute("open", "")
    page.keyboard.press("Space")
    expect(details).to_have_attribute("open", "")
    expect(table).to_be_visible()
    assert len(loads) == 1, loads
    assert f"source={ads.pk}" in loads[0]

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
    # Opened from the keyboard: the summary takes the focus with Tab like a button, Enter opens it.
    details = page.locator(f"#stats-campaigns-{ads.pk}")
    details.locator("summary").focus()
    page.keyboard.press("Enter")
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


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_drill_down_that_cannot_load_says_so_and_keeps_its_link(  # noqa: PLR0917 — fixtures, passed by pytest
    page, live_server, browser_login, tenant, screenshot, language
):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ads = SourceFactory(account=account, name="Google Ads", position=1)
    CampaignFactory(source=ads, name="Spring sale")
    DealFactory(account=account, source=ads, status="won", value=Decimal("10.00"), closed_at=timezone.localdate())

    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.route("**/stats/sources/campaigns/**", lambda route: route.fulfill(status=500, body="broken"))
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}")
    details = page.locator(f"#stats-campaigns-{ads.pk}")
    details.locator("summary").click()
    alert = details.get_by_role("alert")
    expect(alert).to_have_text(
        t(language, "The campaigns could not be loaded. Open them with the link below, or reload the page.")
    )
    link = details.get_by_role("link", name=t(language, "Show the campaigns on a page of their own"))
    expect(link).to_be_visible()
    details.scroll_into_view_if_needed()
    screenshot(f"stats-campaigns-failed-{language}")
    _section_screenshot(page, f"stats-campaigns-failed-section-{language}")
    page.unroute("**/stats/sources/campaigns/**")
    link.click()  # the same table on a page of its own
    heading = t(language, "Spend and return per campaign of %(source)s", source="Google Ads")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("table", name=heading).locator("tbody tr", has_text="Spring sale")).to_be_visible()
    screenshot(f"stats-campaigns-apart-{language}")
