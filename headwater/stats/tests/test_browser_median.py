"""The median days to close in Chromium, in Polish and English: its own column, the "still open" note, sorting."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from headwater.stats.tests.sample import at
from headwater.stats.tests.test_browser import t
from headwater.testing.factories import DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_errors(page):
    """Every console error (a CSP violation shows up here) and script error of the page."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def slow_and_fast(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    created = at(dt.date(2025, 4, 1), account.time_zone)
    # Fairs: 1, 2, 10 and 30 days (mean 10.8, median 6.0) and two deals still open; Website: 3 and 4 days.
    for name, position, days, still_open in (("Fairs", 1, (1, 2, 10, 30), 2), ("Website", 2, (3, 4), 0)):
        source = SourceFactory(account=account, name=name, position=position)
        for number in days:
            DealFactory(
                account=account,
                source=source,
                status="won",
                value=Decimal("100.00"),
                created_at=created,
                closed_at=dt.date(2025, 4, 1) + dt.timedelta(days=number),
            )
        for _ in range(still_open):
            DealFactory(account=account, source=source, value=Decimal("100.00"), created_at=created)
    return account


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_median_column_its_note_and_its_sorting(  # noqa: PLR0917 — pytest passes fixtures by name
    page, live_server, browser_login, tenant, slow_and_fast, screenshot, language, page_errors
):
    browser_login(tenant.member)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}?period=custom&start=2025-04-01&end=2025-05-31")
    table = page.get_by_role("table", name=t(language, "Won and lost deals per source"))
    header = table.get_by_role("columnheader", name=t(language, "Median days to close"))
    expect(header).to_be_visible()
    decimal = "," if language == "pl" else "."
    fairs = table.get_by_role("row", name="Fairs")
    still_open = "2 nadal otwarte" if language == "pl" else "2 still open"
    expect(fairs).to_contain_text(f"6{decimal}0{still_open}")
    expect(fairs).to_contain_text(f"10{decimal}8")  # the mean, beside it
    website = table.get_by_role("row", name="Website")
    expect(website).to_contain_text(f"3{decimal}5")
    expect(website).not_to_contain_text(still_open)
    screenshot(f"stats-median-{language}")

    # Sorting by the median, descending: the slower source first, "No source" (no median) last.
    closed = page.locator("#stats-closed")
    closed.get_by_role("link", name=t(language, "Median days to close"), exact=True).click()
    page.wait_for_url(re.compile("sort_closed=median_days"))
    page.locator("#stats-closed").get_by_role("link", name=t(language, "Median days to close"), exact=True).click()
    page.wait_for_url(re.compile("sort_closed=-median_days"))
    expect(page.locator("#stats-closed th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    rows = page.locator("#stats-closed tbody tr")
    expect(rows.first.get_by_role("rowheader")).to_have_text("Fairs")
    expect(rows.last.get_by_role("rowheader")).to_have_text(t(language, "No source"))
    assert page_errors == []
