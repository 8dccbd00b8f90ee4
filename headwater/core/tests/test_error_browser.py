"""In Chromium, in English and Polish: a day out of range is an error next to its field (also when htmx swaps only
the table), `?page=` and a broken list link say what happened and lead to the first page, and the error pages
(403, 404, 500) wear the site's layout with a way back."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.testing.factories import DealFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture
def open_as(page, live_server, browser_login, tenant):
    def go(role, path, language):
        browser_login(getattr(tenant, role))
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        response = page.goto(f"{live_server.url}{tenant.url(path)}")
        return page, response

    return go


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_day_out_of_range_is_an_error_next_to_the_field(open_as, screenshot, tenant, language):
    DealFactory(account=tenant.account, name="Visible deal")
    page, _ = open_as("member", "deals/", language)
    out_of_range = t(language, "Enter a date between the years %(first)d and %(last)d.", first=1900, last=2999)
    page.get_by_label(t(language, "Created from")).fill("0001-01-01")
    page.get_by_role("button", name=t(language, "Filter")).click()
    expect(page.get_by_text(out_of_range)).to_be_visible()
    expect(page.get_by_text(t(language, "Correct the filters above to see the list."))).to_be_visible()
    screenshot(f"errors-day-out-of-range-{language}")
    page.get_by_label(t(language, "Created from")).fill("2020-01-01")
    page.get_by_role("button", name=t(language, "Filter")).click()
    expect(page.get_by_role("link", name="Visible deal")).to_be_visible()
    expect(page.get_by_text(out_of_range)).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_page_number_says_the_list_has_none_and_leads_to_the_first_page(open_as, screenshot, tenant, language):
    DealFactory(account=tenant.account, name="First page deal")
    page, response = open_as("viewer", "deals/?page=9999&status=open", language)
    assert response.status == 400
    no_numbers = t(
        language,
        "This list has no page numbers: it moves with Previous and Next, so “page=%(page)s” cannot be shown.",
        page="9999",
    )
    expect(page.get_by_role("alert")).to_have_text(no_numbers)
    expect(page.get_by_role("link", name="First page deal")).to_have_count(0)
    screenshot(f"errors-page-number-{language}")
    page.get_by_role("link", name=t(language, "Show the first page")).click()
    expect(page.get_by_role("link", name="First page deal")).to_be_visible()
    assert "page=" not in page.url
    assert "status=open" in page.url


@pytest.mark.parametrize("language", ["en", "pl"])
def test_error_pages_wear_the_layout_with_a_way_back(open_as, screenshot, tenant, monkeypatch, language):
    page, response = open_as("viewer", "settings/sources/", language)
    server = page.url.split("/a/")[0]
    assert response.status == 403
    expect(page.get_by_role("heading", name=t(language, "Not allowed"))).to_be_visible()
    expect(page.get_by_role("navigation", name=t(language, "Main"))).to_be_visible()
    screenshot(f"errors-403-{language}")

    response = page.goto(f"{server}{tenant.url('deals/987654/')}")
    assert response.status == 404
    expect(page.get_by_role("heading", name=t(language, "Page not found"))).to_be_visible()
    screenshot(f"errors-404-{language}")
    back = t(language, "Back to the dashboard of %(name)s", name=tenant.account.name)
    page.get_by_role("link", name=back).click()
    expect(page).to_have_url(f"{server}{tenant.url('')}")

    def boom(**kwargs):
        raise RuntimeError("the dashboard broke")

    monkeypatch.setattr("headwater.workspace.views.dashboard_get", boom)
    response = page.goto(f"{server}{tenant.url('')}")
    assert response.status == 500
    expect(page.get_by_role("heading", name=t(language, "Something went wrong"))).to_be_visible()
    screenshot(f"errors-500-{language}")
    monkeypatch.undo()
    page.get_by_role("link", name=t(language, "Go to the start page")).click()
    expect(page.get_by_role("heading", name=t(language, "Something went wrong"))).to_have_count(0)
