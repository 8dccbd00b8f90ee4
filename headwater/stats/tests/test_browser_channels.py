"""Channels in Chromium, in English and Polish: the admin puts a source in a channel from the catalogue, and the
Statistics page rolls it up, folds a channel's sources away without any script, and filters by channel."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.stats.tests.sample import build_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.mark.parametrize("language", ["en", "pl"])
def test_channels_from_the_catalogue_to_the_statistics(  # noqa: PLR0917 — fixtures, passed by pytest
    page, live_server, browser_login, tenant, screenshot, language
):
    sample = build_sample(tenant.account, owner=tenant.member, other_owner=tenant.admin)
    account, admin = tenant.account, tenant.admin
    paid = channel_create(account=account, user=admin, name=t(language, "Paid search"))
    word = channel_create(account=account, user=admin, name=t(language, "Referral"))
    source_set_channel(account=account, user=admin, source=sample.referral, channel_id=word.pk)
    source_set_channel(account=account, user=admin, source=sample.fair, channel_id=word.pk)

    browser_login(admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    # The catalogue's picker: Website goes to "Paid search".
    page.goto(f"{live_server.url}{tenant.url('settings/sources/')}")
    page.get_by_label(t(language, "Channel of “%(name)s”", name="Website")).select_option(label=paid.name)
    # The picker shows the new value before the change is saved: wait for the server's answer, or the next page
    # can be read before the change lands (seen under load).
    with page.expect_response(lambda response: f"/{sample.website.pk}/channel/" in response.url) as answer:
        page.locator(f"#source-{sample.website.pk} .source-channel button").click()
    assert answer.value.ok
    expect(page.locator(f"#channel-of-{sample.website.pk}")).to_have_value(str(paid.pk))

    page.goto(f"{live_server.url}{tenant.url('stats/sources/')}")
    table = page.locator("#stats-closed")
    channel_rows = table.locator("tr.stats-channel__row")
    expect(channel_rows).to_have_count(3)
    expect(channel_rows.nth(0)).to_contain_text(paid.name)
    expect(channel_rows.nth(2)).to_contain_text(t(language, "No channel"))
    fair_row = table.locator("tr.stats-channel__source", has_text="Trade fair")
    expect(fair_row).to_be_visible()
    screenshot(f"stats-channels-{language}")

    # Folding a channel hides its sources (CSS only) and keeps its totals row.
    table.locator("tbody.stats-channel").nth(1).locator(".stats-channel__toggle").uncheck()
    expect(fair_row).to_be_hidden()
    expect(channel_rows.nth(1)).to_be_visible()
    screenshot(f"stats-channels-folded-{language}")

    # The channel filter.
    page.get_by_label(t(language, "Channel"), exact=True).select_option(label=word.name)
    page.get_by_role("button", name=t(language, "Show")).click()
    expect(page).to_have_url(re.compile(rf"[?&]channel={word.pk}(&|$)"))
    names = table.locator("tbody th[scope=row]")
    expect(names.first).to_contain_text(word.name)
    expect(table.locator("tr", has_text="Website")).to_have_count(0)
