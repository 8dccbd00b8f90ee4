"""The Statistics tables on a laptop (1366 x 768) and a phone (390 x 844): each fits its panel or scrolls inside it,
visibly, with the source column kept in view; the page itself never scrolls sideways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from headwater.stats.models import ExchangeRate
from headwater.stats.tests.sample import at
from headwater.stats.tests.test_browser import t
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLES = ("stats-contacts", "stats-open", "stats-closed")
MAY = "?period=custom&start=2025-05-01&end=2025-05-31"

# Each table's wrapper, its panel and what the page shows of it, measured in the browser.
MEASURE = """(id) => {
  const table = document.getElementById(id);
  const box = table.closest('.stats-scroll');
  const panel = table.closest('.panel');
  const source = table.querySelector('tbody th');
  const rect = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const hint = document.getElementById(box.getAttribute('aria-describedby'));
  return {
    table: rect(table), box: rect(box), panel: rect(panel), source: rect(source),
    boxClient: box.clientWidth, tableWidth: table.scrollWidth, overflowX: getComputedStyle(box).overflowX,
    sourcePosition: getComputedStyle(source).position, hintShown: !hint.hidden && hint.offsetParent !== null,
    page: document.documentElement.scrollWidth, viewport: window.innerWidth,
  };
}"""


@pytest.fixture
def wide_account(tenant):
    """Long source names, large values and changes, currencies without a rate: the widest cells the page has."""
    account = tenant.account
    account.sources_enabled = True
    account.save()
    ExchangeRate.unscoped.create(account=account, currency="EUR", base_currency="PLN", rate=Decimal("4.2712"))
    names = ["Strona internetowa firmy", "Polecenie klienta", "Kampania e-mailowa", "Media społecznościowe", "Targi"]
    april, may = dt.date(2025, 4, 10), dt.date(2025, 5, 10)
    for position, name in enumerate(names, start=1):
        source = SourceFactory(account=account, name=name, position=position, archived=name == "Targi")
        for day, copies in ((april, 1), (may, position + 2)):
            for _ in range(copies):
                CompanyFactory(account=account, source=source, created_at=at(day, account.time_zone))
                PersonFactory(account=account, source=source, created_at=at(day, account.time_zone))
        for day, scale in ((april, 1), (may, 7)):
            created = at(day, account.time_zone)
            for status, currency, value in (
                ("open", "PLN", "987654321.99"),
                ("open", "USD", "123456789.12"),
                ("open", "CHF", "4567890.10"),
                ("won", "PLN", "876543210.55"),
                ("won", "USD", "23456789.01"),
                ("lost", "EUR", "65432109.87"),
                ("lost", "CHF", "3456789.98"),
            ):
                DealFactory(
                    account=account,
                    source=source,
                    status=status,
                    currency=currency,
                    value=Decimal(value) * scale / position,
                    created_at=created,
                    closed_at=None if status == "open" else day,
                )
    return account


@pytest.fixture
def stats_page(page, live_server, browser_login, tenant):
    def go(query: str, *, language: str, width: int, height: int) -> Any:
        page.set_viewport_size({"width": width, "height": height})
        browser_login(tenant.member)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url('stats/sources/')}{query}")
        expect(page.locator("#stats-closed")).to_be_visible()
        return page

    return go


def check_tables(page: Any, *, must_fit: bool) -> list[str]:
    """Every table fits its panel, or scrolls inside it visibly with the source in view. Returns those that scroll."""
    scrolling = []
    for table_id in TABLES:
        m = page.evaluate(MEASURE, table_id)
        assert m["page"] <= m["viewport"], f"the page scrolls sideways ({m['page']} > {m['viewport']})"
        # The visible box stays inside the panel, whatever the table's width.
        assert m["panel"]["left"] <= m["box"]["left"]
        assert m["box"]["right"] <= m["panel"]["right"] + 0.5, (table_id, m)
        assert m["sourcePosition"] == "sticky"
        if m["tableWidth"] <= m["boxClient"] + 1:
            assert not m["hintShown"]
            continue
        assert not must_fit, f"{table_id} needs {m['tableWidth']} px of {m['boxClient']}"
        scrolling.append(table_id)
        assert m["overflowX"] in ("auto", "scroll")
        assert m["hintShown"], f"{table_id} scrolls without saying so"
        # The source column takes at most a little more than a third of the box: figures show beside it.
        assert m["source"]["width"] <= m["box"]["width"] * 0.4, (table_id, m)
        # Scrolled to the far right, the source column is still at the box's left edge.
        page.evaluate(
            "(id) => { const b = document.getElementById(id).closest('.stats-scroll'); b.scrollLeft = b.scrollWidth; }",
            table_id,
        )
        page.wait_for_function(
            "(id) => document.getElementById(id).closest('.js-stats-scroll').classList.contains('is-at-end')",
            arg=table_id,
        )
        scrolled = page.evaluate(MEASURE, table_id)
        assert abs(scrolled["source"]["left"] - scrolled["box"]["left"]) <= 1.5, (table_id, scrolled)
        assert scrolled["table"]["left"] < scrolled["box"]["left"] - 50  # the table did move under it
    return scrolling


@pytest.mark.parametrize(
    ("language", "compare"),
    [("pl", True), ("en", True), ("pl", False)],
)
def test_tables_fit_a_laptop_screen(stats_page, wide_account, screenshot, language, compare):
    page = stats_page(MAY + ("&compare=on" if compare else ""), language=language, width=1366, height=768)
    check_tables(page, must_fit=True)
    screenshot(f"stats-tables-1366-{language}{'-compare' if compare else ''}")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_tables_scroll_inside_their_panel_on_a_phone(stats_page, wide_account, screenshot, language):
    page = stats_page(MAY + "&compare=on", language=language, width=390, height=844)
    scrolling = check_tables(page, must_fit=False)
    assert scrolling == list(TABLES)  # none of them can fit 390 px
    # Scrolled to its end, the closed deals' table still names each row's source.
    closed = page.locator("#stats-closed")
    expect(closed.get_by_role("rowheader", name="Polecenie klienta")).to_be_visible()
    whole = screenshot(f"stats-tables-390-{language}")
    # What the phone's screen shows of each table, scrolled to its end (the whole page is in the one above).
    for table_id in TABLES:
        page.locator(f"#{table_id}").scroll_into_view_if_needed()
        page.evaluate(
            "(id) => window.scrollBy(0, document.getElementById(id).getBoundingClientRect().top - 170)", table_id
        )
        page.screenshot(path=str(whole.with_name(f"stats-tables-390-{language}-{table_id}.png")), caret="initial")

    # The scroll box is a region named by the table's caption, reachable and scrollable with the keyboard.
    region = page.get_by_role("region", name=t(language, "Open deals per source"))
    region.focus()
    expect(region).to_be_focused()
    page.evaluate("() => { document.querySelector('#stats-open').closest('.stats-scroll').scrollLeft = 0; }")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#stats-open').closest('.stats-scroll').scrollLeft > 0")
