"""The funnel and the trend in Chromium, in English and Polish: the tables, the charts drawn, the trend's switch."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from conftest import SCREENSHOT_DIR
from headwater.channels.services import channel_create
from headwater.companies.models import Company
from headwater.persons.models import Person
from headwater.sources.services import source_set_channel
from headwater.stats.tests.sample import build_sample
from headwater.testing.factories import DealFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "?period=custom&start=2025-03-01&end=2025-06-30"


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


CONTACTS_CHART = "Chart: new contacts per month, stacked (its figures: open “Show the figures” under it)"


def _show_figures(page, figures, language):
    """A trend chart's "Show the figures" (a <summary>: no role of its own to find it by)."""
    return page.locator(f"#stats-trend-{figures}-figures > summary", has_text=t(language, "Show the figures"))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_funnel_and_trend_on_the_statistics_page(  # noqa: PLR0917 — fixtures, passed by pytest
    page, live_server, browser_login, tenant, screenshot, language
):
    sample = build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)
    account = tenant.account
    paid = channel_create(account=account, user=tenant.admin, name=t(language, "Paid search"))
    source_set_channel(account=account, user=tenant.admin, source=sample.website, channel_id=paid.pk)
    # Deals for some of the sample's contacts: two of Website's, one of Referral's; one of them won.
    website_companies = list(Company.objects.for_account(account).filter(source=sample.website).order_by("pk"))
    referral_person = Person.objects.for_account(account).filter(source=sample.referral).first()
    DealFactory(account=account, company=website_companies[0], status="won", closed_at=dt.date(2025, 6, 1))
    DealFactory(account=account, company=website_companies[1])
    DealFactory(account=account, person=referral_person, status="lost", closed_at=dt.date(2025, 6, 2))

    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}{PERIOD}")

    funnel = page.locator("#stats-funnel")
    expect(page.get_by_role("heading", name=t(language, "Funnel"))).to_be_visible()
    expect(funnel.locator("thead")).to_contain_text(t(language, "With a won deal"))
    expect(funnel.locator("tfoot")).to_contain_text(t(language, "Total"))
    expect(page.locator("#chart-funnel")).to_have_attribute("data-ready", "true")
    expect(page.locator("#chart-trend-contacts")).to_have_attribute("data-ready", "true")
    expect(page.locator("#chart-trend-won")).to_have_attribute("data-ready", "true")
    # Each chart's figures load when its "Show the figures" is opened (stats/part_views.py): from the keyboard here.
    expect(page.get_by_role("img", name=t(language, CONTACTS_CHART))).to_be_visible()
    trend = page.locator("#stats-trend-contacts")
    expect(trend).to_have_count(0)
    _show_figures(page, "contacts", language).focus()
    page.keyboard.press("Enter")
    expect(trend.locator("thead")).to_contain_text("Website")
    expect(trend.locator("tbody tr")).to_have_count(4)  # March to June
    caption = t(language, "New contacts per month %(by)s", by=t(language, "per source"))
    expect(page.get_by_role("region", name=caption)).to_be_visible()
    _show_figures(page, "won", language).click()
    expect(page.locator("#stats-trend-won tbody tr")).to_have_count(4)
    page.locator("#stats-funnel-title").scroll_into_view_if_needed()
    screenshot(f"stats-funnel-trend-{language}")
    for name in ("funnel", "trend"):  # each section alone, to look at closely
        section = page.locator(f"section[aria-labelledby='stats-{name}-title']")
        section.screenshot(path=str(SCREENSHOT_DIR / f"stats-{name}-section-{language}.png"), caret="initial")

    page.get_by_role("link", name=t(language, "By channel")).click()
    expect(page).to_have_url(re.compile(r"[?&]trend_by=channel(&|$)"))
    _show_figures(page, "contacts", language).click()
    expect(page.locator("#stats-trend-contacts thead")).to_contain_text(paid.name)
    expect(page.get_by_role("link", name=t(language, "By channel"))).to_have_attribute("aria-current", "true")
    expect(page.locator("#chart-trend-won")).to_have_attribute("data-ready", "true")
    # The switch is kept when the filters change.
    page.get_by_role("button", name=t(language, "Show")).click()
    expect(page).to_have_url(re.compile(r"[?&]trend_by=channel(&|$)"))
    screenshot(f"stats-trend-by-channel-{language}")
