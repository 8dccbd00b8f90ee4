"""Lead capture in Chromium: an admin tests a link, adds a rule (seeing the preview first), maps an unmatched value
and sees the waiting person take the source; in English and Polish."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.capture import services
from headwater.persons.models import Person
from headwater.records.tests.api_contract import enable_sources
from headwater.sources.models import Source
from headwater.testing.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_admin_tests_a_link_adds_a_rule_and_maps_a_value(live_server, browser_login, tenant, screenshot, language):
    account = tenant.account
    account.language = language
    account.save()
    enable_sources(account)
    services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    lead = services.lead_capture(
        account=account,
        user=None,
        channel="landing builder",
        person={"first_name": "Ola", "last_name": "Nowak", "email": "ola@example.pl"},
        touch={"landing_url": "https://shop.example.pl/?utm_source=podcast-xyz&utm_campaign=december"},
    )
    page = browser_login(tenant.admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    base = f"{live_server.url}{tenant.url('settings/capture/')}"

    page.goto(base + "test/")
    page.get_by_label(t(language, "Landing page address")).fill("https://shop.example.pl/offer")
    page.get_by_label(t(language, "Referrer"), exact=True).fill("https://l.facebook.com/l.php?u=x")
    page.get_by_role("button", name=t(language, "Test"), exact=True).click()
    social = t(language, "Social media")
    expect(page.locator("#link-test-result")).to_contain_text(t(language, "Source: %(name)s", name=social))
    expect(page.locator("#link-test-result")).to_contain_text("facebook.com")
    screenshot(f"capture-link-test-{language}")

    page.goto(base + "rules/add/")
    page.get_by_label(t(language, "utm_campaign is one of")).fill("december")
    page.get_by_label(t(language, "Then the source is")).select_option(label=t(language, "Paid search"))
    page.get_by_role("button", name=t(language, "Check the change")).click()
    expect(page.locator("#rule-preview")).to_contain_text("1")
    page.get_by_label(t(language, "Also apply the rules to past touches and their records now")).check()
    page.get_by_role("button", name=t(language, "Save the rule")).click()
    expect(page.get_by_role("row", name="utm_campaign = december")).to_be_visible()
    screenshot(f"capture-rules-{language}")
    person = Person.objects.for_account(account).get(pk=lead.person.pk)
    assert person.source.name == t(language, "Paid search")

    # Without that rule the utm_source waits; mapped to a new source, the person takes it.
    services.mapping_rule_delete(
        account=account,
        user=tenant.admin,
        rule=services.rule_list(account=account).get(utm_campaign="december"),
        apply_past=True,
    )
    page.goto(base + "unmatched/")
    expect(page.get_by_role("heading", name="podcast-xyz")).to_be_visible()
    page.get_by_label(t(language, "What it means")).select_option("new")
    page.get_by_label(t(language, "New source's name")).fill("Podcast")
    screenshot(f"capture-unmatched-{language}")
    page.get_by_role("button", name=t(language, "Save")).click()
    expect(page.get_by_text(t(language, "Nothing waits: every touch matched a rule or a source."))).to_be_visible()
    person.refresh_from_db()
    assert person.source == Source.objects.for_account(account).get(name="Podcast")

    page.goto(f"{live_server.url}{tenant.url(f'touches/person/{person.pk}/')}")
    expect(page.locator("#first-touch")).to_contain_text("Podcast")
    screenshot(f"capture-touches-{language}")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_viewer_sees_the_campaign_a_visit_gave_and_a_value_that_named_none(
    live_server, browser_login, tenant, screenshot, language
):
    account = tenant.account
    account.language = language
    account.save()
    enable_sources(account)
    services.capture_rules_seed_defaults(account=account, user=tenant.admin)
    email = Source.objects.for_account(account).get(name=t(language, "E-mail campaign"))
    CampaignFactory(source=email, name="Spring sale 2026")
    person = {"last_name": "Nowak", "email": "ola@example.pl"}
    for campaign in ("spring_sale_2026", "winter-2026"):
        lead = services.lead_capture(
            account=account,
            user=None,
            channel="Contact us",
            person=person,
            touch={"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": campaign},
        )
    page = browser_login(tenant.viewer)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url(f'persons/{lead.person.pk}/')}")
    expect(page.locator("[data-record-campaign]")).to_contain_text("Spring sale 2026")
    expect(page.locator(".history").last).to_contain_text(t(language, "set from the tracked visit"))
    page.get_by_role("link", name=t(language, "Tracked visits: first and last touch")).click()
    expect(page.locator("[data-touch-campaign]")).to_have_text(
        t(language, "campaign %(name)s", name="Spring sale 2026")
    )
    expect(page.locator("[data-touch-campaign-unmatched]")).to_have_text(
        t(language, "no campaign of %(source)s has this name", source=email.name)
    )
    screenshot(f"capture-touch-campaigns-{language}")
