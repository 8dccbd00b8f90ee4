"""A company's REGON in Chromium: a wrong one is refused on its field with the reason, a right one is saved and
shown on the company's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from headwater.companies.models import Company

pytestmark = pytest.mark.django_db(transaction=True)


def test_regon_is_checked_on_the_form_and_shown_on_the_page(page, live_server, browser_login, tenant, screenshot):
    browser_login(tenant.member)
    page.goto(f"{live_server.url}{tenant.url('companies/new/')}")
    page.get_by_label("Company name").fill("Acme")
    page.get_by_label("REGON").fill("192 598 185")
    page.get_by_role("button", name="Add company").click()
    expect(page.get_by_text("is not a valid REGON: its check digit does not match")).to_be_visible()
    screenshot("company-regon-refused")
    assert not Company.objects.for_account(tenant.account).exists()
    page.get_by_label("REGON").fill("192 598 184")
    page.get_by_role("button", name="Add company").click()
    expect(page.locator("[data-field=regon]")).to_have_text("192598184")
    screenshot("company-regon-shown")
