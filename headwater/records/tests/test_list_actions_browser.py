"""The list's action bar in Chromium: tick rows (or every matching record), set the source, see the result; the
export buttons download the filtered list."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.deals.models import Deal
from headwater.records.tests.view_contract import sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture
def open_as(page, live_server, browser_login):
    def go(user, path, language="en"):
        browser_login(user)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{path}")
        return page

    return go


@pytest.mark.parametrize("language", ["en", "pl"])
def test_tick_two_deals_and_set_their_source(open_as, tenant, screenshot, language):
    sources_on(tenant.account)
    fair = SourceFactory(account=tenant.account, name="Trade fair")
    chosen = [DealFactory(account=tenant.account, name=f"Licence {i}") for i in (1, 2)]
    left = DealFactory(account=tenant.account, name="Support")
    page = open_as(tenant.member, tenant.url("deals/?sort=name"), language)
    for deal in chosen:
        page.get_by_role("checkbox", name=t(language, "Select %(name)s", name=deal.name)).check()
    expect(page.get_by_text(t(language, "%(count)s chosen on this page", count=2))).to_be_visible()
    source = t(language, "Set %(field)s", field=t(language, "Acquisition source").lower())
    page.get_by_label(source, exact=True).select_option(label="Trade fair")
    screenshot(f"list-bulk-chosen-{language}")
    page.get_by_role("button", name=t(language, "Apply to the chosen records")).click()
    with translation.override(language):
        done = translation.ngettext("%(count)s record changed.", "%(count)s records changed.", 2) % {"count": 2}
    expect(page.get_by_text(done)).to_be_visible()
    screenshot(f"list-bulk-done-{language}")
    assert sorted(Deal.objects.for_account(tenant.account).filter(source=fair).values_list("name", flat=True)) == [
        "Licence 1",
        "Licence 2",
    ]
    left.refresh_from_db()
    assert left.source_id is None
    assert SourceChange.objects.for_account(tenant.account).filter(how=HowChanged.BULK).count() == 2


def test_every_matching_record_and_the_export_buttons(open_as, tenant, screenshot):
    sources_on(tenant.account)
    web = SourceFactory(account=tenant.account, name="Web")
    for i in range(30):
        DealFactory(account=tenant.account, name=f"Web deal {i}", source=web)
    DealFactory(account=tenant.account, name="Elsewhere")
    page = open_as(tenant.admin, tenant.url(f"deals/?source={web.pk}"))
    # The page shows 25 of them; the option names all 30.
    page.get_by_label("All 30 records matching this filter").check()
    page.get_by_label("Set owner", exact=True).select_option(label=tenant.viewer.display_name)
    screenshot("list-bulk-all-matching")
    page.get_by_role("button", name="Apply to the chosen records").click()
    expect(page.get_by_text("30 records changed.")).to_be_visible()
    assert Deal.objects.for_account(tenant.account).filter(owner=tenant.viewer).count() == 30
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename.startswith(f"deals-{tenant.account.slug}-")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 31  # the header and the 30 filtered deals
    assert not any("Elsewhere" in line for line in lines)
