"""Spend in Chromium, in English and Polish: an admin adds a month's spend and sees it on the Statistics page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.records.tests.view_contract import sources_on
from headwater.spend.models import SpendEntry
from headwater.testing.factories import DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    """The UI text in `language`."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.mark.parametrize("language", ["en", "pl"])
def test_add_spend_and_see_it_on_the_statistics(page, live_server, browser_login, screenshot, *, tenant, language):
    sources_on(tenant.account, default=False)
    google = SourceFactory(account=tenant.account, name="Google Ads", position=1)
    SourceFactory(account=tenant.account, name="Targi", position=2)
    month = timezone.localdate().replace(day=1)
    DealFactory(
        account=tenant.account,
        source=google,
        status="won",
        value=Decimal("3000.00"),
        closed_at=month,
        created_at=timezone.now(),
    )
    browser_login(tenant.admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('settings/')}")
    page.get_by_role("navigation", name=t(language, "Account settings")).get_by_role(
        "link", name=t(language, "Spend")
    ).click()
    page.get_by_role("link", name=t(language, "Add spend")).click()

    page.get_by_label(t(language, "Source")).select_option(label="Google Ads")
    page.get_by_label(t(language, "Month")).fill(month.strftime("%Y-%m"))
    page.get_by_label(t(language, "Amount")).fill("0")
    page.get_by_role("button", name=t(language, "Save")).click()
    expect(page.get_by_text(t(language, "The amount must be more than zero."))).to_be_visible()
    assert not SpendEntry.objects.for_account(tenant.account).exists()
    page.get_by_label(t(language, "Amount")).fill("1 200,50")
    page.get_by_label(t(language, "Note")).fill("Kampania wyszukiwania")
    page.get_by_role("button", name=t(language, "Save")).click()
    row = page.locator("table.spend-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Kampania wyszukiwania")
    screenshot(f"spend-{language}")
    entry = SpendEntry.objects.for_account(tenant.account).get()
    assert (entry.amount, entry.start_date) == (Decimal("1200.50"), month)

    # The whole month: "this month" ends today, and would count only today's part of the month's spend.
    last = (month + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    query = f"?period=custom&start={month.isoformat()}&end={last.isoformat()}"
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}{query}")
    section = page.get_by_role("region", name=t(language, "Spend and return per source"))
    expect(section).to_be_visible()
    google_row = section.get_by_role("row").filter(has_text="Google Ads")
    # 3,000.00 won of 1,200.50 spent: ROI 149.9 %, ROAS 2.50.
    expect(google_row).to_contain_text("149")
    ratio = "2.50×" if language == "en" else "2,50×"  # noqa: RUF001 — the ratio sign the page writes
    expect(google_row).to_contain_text(ratio)
    expect(page.locator("#chart-spend-won[data-ready=true]")).to_have_count(1)
    expect(page.locator("#chart-roi[data-ready=true]")).to_have_count(1)
    page.get_by_role("heading", name=t(language, "Spend and return")).scroll_into_view_if_needed()
    screenshot(f"spend-stats-{language}")
