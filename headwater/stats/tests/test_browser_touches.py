"""The Statistics page grouped by touch, in Chromium, in English and Polish: the viewer picks "Group by", sees the
records per touch source and tracked against self-reported, and goes back to the record's source."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.capture import services as capture_services
from headwater.records.tests.api_contract import enable_sources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text):
    with translation.override(language):
        return gettext(text)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_group_by_last_and_first_touch(page, live_server, browser_login, tenant, screenshot, language):  # noqa: PLR0917 — fixtures, passed by pytest
    account = tenant.account
    account.language = language
    account.save(update_fields=["language"])
    enable_sources(account)
    capture_services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    with translation.override(language):
        email_campaign = gettext("E-mail campaign")
        organic = gettext("Organic search")
    mail = "https://shop.example.pl/?utm_source=newsletter&utm_medium=email"
    for email, landing, referrer, said in (
        ("a@example.pl", mail, "", email_campaign),
        ("b@example.pl", mail, "", ""),
        ("a@example.pl", "https://shop.example.pl/", "https://www.google.pl/", ""),
    ):
        capture_services.lead_capture(
            account=account,
            user=tenant.admin,
            channel="API",
            person={"last_name": email[0], "email": email},
            touch={"landing_url": landing, "referrer": referrer},
            self_reported=said,
        )

    browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}")
    page.get_by_label(t(language, "Group by")).select_option(label=t(language, "The last touch's source"))
    page.get_by_role("button", name=t(language, "Show")).click()
    expect(page).to_have_url(re.compile(r"[?&]group_by=last_touch(&|$)"))
    records = page.get_by_role("table", name=t(language, "Companies, persons and deals per touch source"))
    expect(records.get_by_role("row", name=re.compile(re.escape(organic)))).to_contain_text("1")
    reported = page.get_by_role("table", name=t(language, "Tracked and self-reported persons per source"))
    expect(reported).to_be_visible()
    screenshot(f"stats-touches-last-{language}")

    page.get_by_label(t(language, "Group by")).select_option(label=t(language, "The first touch's source"))
    page.get_by_role("button", name=t(language, "Show")).click()
    row = reported.get_by_role("row", name=re.compile(re.escape(email_campaign)))
    # a and b came from the newsletter; a said so: 2 tracked, 1 self-reported, 1 both, agreement 100%.
    expect(row.get_by_role("cell")).to_have_text(["2", "1", "1", re.compile(r"100[.,]0\s?%")])
    screenshot(f"stats-touches-first-{language}")

    page.get_by_label(t(language, "Group by")).select_option(label=t(language, "The record's source"))
    page.get_by_role("button", name=t(language, "Show")).click()
    expect(page.locator("#stats-contacts")).to_be_visible()
