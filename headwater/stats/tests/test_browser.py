"""The Statistics page in Chromium: filters in the URL, comparison, sorting, drill-down, charts, print, rates."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.stats.tests.sample import build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    """The UI text in `language`: the tests keep passing when the Polish translation arrives."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture
def sample(tenant):
    return build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)


@pytest.fixture
def console_errors(page):
    """Every console error (a CSP violation shows up here) of the test's page."""
    errors = []

    def record(message):
        # The browser's own favicon request is not the page's business.
        if message.type == "error" and "favicon" not in str(message.location.get("url", "")):
            errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def open_stats(page, live_server, browser_login, tenant):
    def go(query="", *, user=None, language=None):
        browser_login(user or tenant.member)
        if language:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url('stats/sources/')}{query}")
        return page

    return go


def expect_charts_drawn(page):
    for chart in ("chart-contacts", "chart-won-value", "chart-win-rate"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-ready", "true")
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None
        assert box["width"] > 150
        assert box["height"] > 100


def test_filters_comparison_and_charts(open_stats, sample, screenshot, console_errors):
    page = open_stats()
    expect(page.get_by_role("heading", name="Acquisition source statistics")).to_be_visible()
    expect_charts_drawn(page)
    expect(page.get_by_role("img", name=re.compile("share of contacts per source"))).to_be_visible()

    # A preset fills in its dates and locks them, so a bookmark stays a rolling period.
    page.get_by_label("Period", exact=True).select_option(label="Last 90 days")
    expect(page.get_by_label("From", exact=True)).to_be_disabled()
    expect(page.get_by_label("From", exact=True)).not_to_have_value("")

    page.get_by_label("Period", exact=True).select_option(label="Custom range")
    page.get_by_label("From", exact=True).fill("2025-04-01")
    page.get_by_label("To", exact=True).fill("2025-05-31")
    page.get_by_label("Compare with the previous period").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(
        re.compile(r"period=custom&start=2025-04-01&end=2025-05-31&owner_id=&channel=&group_by=[a-z_]*&compare=true")
    )

    expect(page.get_by_text(re.compile("compared with"))).to_be_visible()
    contacts = page.locator("#stats-contacts")
    website = contacts.get_by_role("row", name=re.compile("^Website"))
    expect(website.get_by_role("cell").first).to_contain_text("3")
    expect(website.locator(".stats-change").first).to_contain_text("+3")
    # Each win rate carries its Wilson interval, and a screen reader hears what the range is.
    closed_total = page.locator("#stats-closed tfoot")
    expect(closed_total.locator(".stats-interval")).to_have_text(
        re.compile(r"^Interval \(95%\): \(\d+\.\d\u2013\d+\.\d%\)$")
    )
    expect_charts_drawn(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("stats-page-en")

    # The filters survive a reload: they live in the URL.
    page.reload()
    expect(page.get_by_label("From", exact=True)).to_have_value("2025-04-01")
    expect(page.get_by_label("Compare with the previous period")).to_be_checked()
    assert console_errors == []


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_old_bookmark_works_and_the_form_sends_the_new_names(open_stats, sample, tenant, language, screenshot):
    """`owner` and `compare=on` (the page's old names) still choose the owner and the comparison; the next "Show"
    sends `owner_id` and `compare=true`. A wrong value is said above the fields and dropped by the next "Show"."""
    page = open_stats(
        f"?period=custom&start=2025-04-01&end=2025-05-31&owner={tenant.member.pk}&compare=on", language=language
    )
    owner = page.get_by_label(t(language, "Owner"), exact=True)
    expect(owner).to_have_value(str(tenant.member.pk))
    expect(page.get_by_label(t(language, "Compare with the previous period"))).to_be_checked()
    owner.select_option(t(language, "Unassigned"))
    page.get_by_role("button", name=t(language, "Show")).click()
    page.wait_for_url(re.compile(r"&owner_id=none&channel=&group_by=[a-z_]*&compare=true$"))

    page.goto(page.url.replace("compare=true", "compare=maybe") + "&sort_open=nonsense")
    alerts = page.get_by_role("alert")
    expect(alerts.filter(has_text="compare=true")).to_be_visible()
    expect(alerts.filter(has_text="nonsense")).to_be_visible()
    screenshot(f"stats-bad-parameters-{language}")
    page.get_by_label(t(language, "Compare with the previous period")).check()
    page.get_by_role("button", name=t(language, "Show")).click()
    page.wait_for_url(re.compile(r"&owner_id=none&channel=&group_by=[a-z_]*&compare=true$"))
    expect_charts_drawn(page)


def test_sorting_and_drilldown_to_the_deals(open_stats, sample, page, console_errors):
    open_stats()
    closed = page.locator("#stats-closed")
    closed.get_by_role("link", name="Won value", exact=True).click()
    page.wait_for_url(re.compile("sort_closed=won_value"))
    page.locator("#stats-closed").get_by_role("link", name="Won value", exact=True).click()
    page.wait_for_url(re.compile("sort_closed=-won_value"))
    header = page.locator("#stats-closed th[aria-sort]")
    expect(header).to_have_attribute("aria-sort", "descending")
    first = page.locator("#stats-closed tbody tr").first
    expect(first.get_by_role("rowheader")).to_have_text("Website")

    # Website's won count (2) opens the deals list filtered to exactly those deals.
    first.get_by_role("cell").first.get_by_role("link", name="2").click()
    page.wait_for_url(re.compile(rf"/deals/\?source={sample.website.pk}&status=won"))
    expect(page.locator("#records tbody tr")).to_have_count(2)
    assert console_errors == []


def test_drilldown_keeps_the_period(open_stats, sample, page, screenshot):
    # May 2025: Website won 1 deal (closed 20 May); the other was closed on 1 April.
    open_stats("?period=custom&start=2025-05-01&end=2025-05-31")
    won = page.locator("#stats-closed tbody tr").first.get_by_role("cell").first
    expect(won).to_contain_text("1")
    won.get_by_role("link").click()
    page.wait_for_url(re.compile("closed_from=2025-05-01&closed_to=2025-05-31"))
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.get_by_label("Closed from")).to_have_value("2025-05-01")
    screenshot("stats-drilldown-deals-en")


def test_polish_page_uses_polish_number_formats(open_stats, sample, screenshot, console_errors):
    page = open_stats(language="pl")
    expect(page.get_by_role("heading", name=t("pl", "Acquisition source statistics"))).to_be_visible()
    expect_charts_drawn(page)
    total = page.locator("#stats-open tfoot")
    expect(total).to_contain_text(re.compile(r"2\s350,50"))
    interval = page.locator("#stats-closed tfoot .stats-interval")
    expect(interval).to_have_text(re.compile(r"\(\d+,\d\u2013\d+,\d%\)$"))
    expect(interval).to_contain_text(t("pl", "Interval (95%):"))
    screenshot("stats-page-pl")
    page.get_by_label(t("pl", "Period"), exact=True).select_option("custom")
    page.get_by_label(t("pl", "From"), exact=True).fill("2025-04-01")
    page.get_by_label(t("pl", "To"), exact=True).fill("2025-05-31")
    page.get_by_label(t("pl", "Compare with the previous period")).check()
    page.get_by_role("button", name=t("pl", "Show")).click()
    page.wait_for_url(re.compile("compare=true"))
    expect_charts_drawn(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("stats-page-compare-pl")
    assert console_errors == []


def test_print_hides_the_controls(open_stats, sample, screenshot):
    page = open_stats()
    expect_charts_drawn(page)
    page.emulate_media(media="print")
    expect(page.locator("#stats-filters")).to_be_hidden()
    expect(page.get_by_role("link", name="Export CSV")).to_be_hidden()
    expect(page.locator("#stats-closed")).to_be_visible()
    screenshot("stats-print-en")


def test_adding_the_missing_rate_removes_the_warning(open_stats, sample, tenant, page, screenshot):
    open_stats(user=tenant.admin)
    warning = page.locator(".stats-missing-rates")
    expect(warning).to_contain_text("USD: 2 deals worth 400.00 USD")
    warning.get_by_role("link", name="Add exchange rates").click()
    expect(page.get_by_label("Currency")).to_have_value("USD")
    page.get_by_label(re.compile(r"^Rate")).fill("3.9512")
    page.get_by_role("button", name="Add rate").click()
    expect(page.get_by_text("Rate for USD saved.")).to_be_visible()
    expect(page.get_by_label("1 USD in PLN")).to_have_value("3.9512")
    screenshot("stats-rates-en")
    page.goto(page.url.replace("settings/rates/", "stats/sources/"))
    expect(page.locator(".stats-missing-rates")).to_have_count(0)
    # 300 USD of open deals at 3.9512 joins the total: 2,350.50 + 1,185.36.
    expect(page.locator("#stats-open tfoot")).to_contain_text("3,535.86")


def test_feature_off(open_stats, tenant, page, screenshot):
    open_stats(user=tenant.admin)
    expect(page.get_by_text("Acquisition sources are switched off")).to_be_visible()
    screenshot("stats-off-en")
    page.get_by_role("link", name="Turn on acquisition sources in the account settings").click()
    page.wait_for_url(re.compile("/settings/sources/"))
