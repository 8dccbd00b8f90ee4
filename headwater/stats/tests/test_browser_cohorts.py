"""Statistics > Cohorts in Chromium, in Polish and English: the heat-map table, the immature mark, the filters, and
no serious accessibility problem (axe)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from playwright.sync_api import expect

from headwater.spend.services import spend_create
from headwater.stats.models import ExchangeRate
from headwater.stats.tables import number
from headwater.stats.tests.sample import at
from headwater.stats.tests.test_browser import t
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def money(language: str, value: str) -> str:
    with translation.override(language):
        return number(Decimal(value), 2)


@pytest.fixture
def page_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "favicon" not in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def cohorts(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.save()
    zone = account.time_zone
    ExchangeRate.unscoped.create(account=account, currency="EUR", base_currency=account.currency, rate=Decimal("4"))
    ads = SourceFactory(account=account, name="Ads", position=1)
    fairs = SourceFactory(account=account, name="Fairs", position=2)
    for month, amount in ((1, "900"), (2, "600"), (3, "400"), (4, "300")):
        spend_create(account=account, user=None, source=ads, month=dt.date(2025, month, 1), amount=amount)
    spend_create(account=account, user=None, source=fairs, month=dt.date(2025, 2, 1), amount="80", currency="USD")
    # Each month's contacts, and their deals won in later months (some still open).
    plan = {
        1: [(1, "1200"), (2, "800"), (3, "500"), (None, "300")],
        2: [(2, "400"), (4, "2500"), (None, "200")],
        3: [(3, "300"), (None, "100"), (None, "700")],
        4: [(None, "900"), (None, "400"), (5, "150")],
    }
    for month, deals in plan.items():
        for index, (closed_month, value) in enumerate(deals):
            person = PersonFactory(account=account, source=ads, created_at=at(dt.date(2025, month, 3 + index), zone))
            DealFactory(
                account=account,
                source=ads,
                person=person,
                value=Decimal(value),
                status="open" if closed_month is None else "won",
                closed_at=None if closed_month is None else dt.date(2025, closed_month, 20),
            )
        CompanyFactory(account=account, source=fairs, created_at=at(dt.date(2025, month, 9), zone))
    return account


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_cohort_heat_map(  # noqa: PLR0917 — pytest passes fixtures by name
    page, live_server, browser_login, tenant, cohorts, screenshot, language, page_errors
):
    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}")
    page.get_by_role("link", name=t(language, "Cohorts"), exact=True).click()
    expect(page.get_by_role("heading", name=t(language, "Cohorts"), level=1)).to_be_visible()
    page.get_by_label(t(language, "From month")).fill("2025-01")
    page.get_by_label(t(language, "To month")).fill("2025-06")
    page.get_by_role("button", name=t(language, "Show")).click()
    page.wait_for_url("**start=2025-01**")
    table = page.locator("#stats-cohorts")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(6)
    january = rows.nth(0)
    expect(january).to_contain_text(money(language, "900"))  # the spend
    expect(january).to_contain_text(money(language, "2500"))  # won by month 2, cumulative
    expect(january.locator("td.heat--5")).to_have_count(0)
    february = rows.nth(1)
    expect(february.locator("td.heat--5").first).to_be_visible()  # 2,900 by month 2: the table's largest
    expect(rows.nth(2)).to_contain_text(t(language, "immature"))
    expect(rows.nth(3)).to_contain_text(t(language, "immature"))
    expect(january).not_to_contain_text(t(language, "immature"))
    screenshot(f"stats-cohorts-{language}")
    results = Axe().run(page).response
    serious = [v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []

    # One source: the other's contacts leave the table.
    page.get_by_label(t(language, "Source")).select_option(label="Fairs")
    page.get_by_role("button", name=t(language, "Show")).click()
    page.wait_for_url("**source_id=**")
    expect(page.locator("#stats-cohorts tbody tr").nth(0)).not_to_contain_text(money(language, "900"))
    assert page_errors == []
