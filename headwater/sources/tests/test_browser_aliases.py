"""The aliases panel of the source settings page in Chromium: add, refuse, re-point inline, delete; both languages."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.sources.models import SourceAlias
from headwater.sources.services import source_alias_create, source_alias_update
from headwater.testing.factories import SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


def aliases(account):
    """The stored aliases. The live server's thread shares SQLite's in-memory database: while it still finishes the
    request the page already shows (its session write), the table can be locked for a moment, so read again."""
    for _attempt in range(50):
        try:
            return sorted(SourceAlias.objects.for_account(account).values_list("text", "source__name"))
        except OperationalError:
            time.sleep(0.1)
    return sorted(SourceAlias.objects.for_account(account).values_list("text", "source__name"))


@pytest.fixture
def open_settings(page, live_server, browser_login, tenant):
    def go(language="en"):
        browser_login(tenant.admin)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url('settings/sources/')}")
        return page

    return go


@pytest.fixture
def catalogue(tenant):
    return (
        SourceFactory(account=tenant.account, name="Facebook Ads", position=1),
        SourceFactory(account=tenant.account, name="Google Ads", position=2),
    )


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_admin_adds_repoints_and_deletes_aliases(open_settings, screenshot, tenant, catalogue, language):
    page = open_settings(language)
    panel = page.locator("#sources-aliases")
    expect(panel.get_by_role("heading", name=t(language, "Aliases"))).to_be_visible()
    expect(panel.get_by_text(t(language, "No aliases yet."))).to_be_visible()

    text = panel.get_by_label(t(language, "Alias"), exact=True)
    source = panel.get_by_label(t(language, "Stands for the source"))
    add = panel.get_by_role("button", name=t(language, "Add alias"))

    # A refusal stays in place, next to the field, and writes nothing.
    text.fill("google ads")
    source.select_option(label="Facebook Ads")
    add.click()
    expect(panel.locator(".field__error")).to_contain_text("Google Ads")
    assert aliases(tenant.account) == []

    panel.get_by_label(t(language, "Alias"), exact=True).fill("FB")
    panel.get_by_label(t(language, "Stands for the source")).select_option(label="Facebook Ads")
    panel.get_by_role("button", name=t(language, "Add alias")).click()
    expect(panel.get_by_role("status")).to_be_visible()
    panel.get_by_label(t(language, "Alias"), exact=True).fill("Adwords")
    panel.get_by_label(t(language, "Stands for the source")).select_option(label="Facebook Ads")
    panel.get_by_role("button", name=t(language, "Add alias")).click()
    expect(panel.get_by_role("row", name="Adwords")).to_be_visible()
    assert aliases(tenant.account) == [("Adwords", "Facebook Ads"), ("FB", "Facebook Ads")]
    # The history below heard of it (out of band).
    expect(page.locator("#sources-history")).to_contain_text("Adwords")

    # Adwords was a mistake: point it at Google Ads in the row itself.
    panel.get_by_role("link", name=f"{t(language, 'Change')} “Adwords”").click()
    editing = panel.get_by_label(t(language, "New spelling of “%(alias)s”", alias="Adwords"))
    expect(editing).to_be_focused()
    panel.locator(".alias-edit").get_by_label(t(language, "Stands for the source")).select_option(label="Google Ads")
    panel.get_by_role("button", name=t(language, "Save alias")).click()
    expect(panel.locator(".alias-edit")).to_have_count(0)
    expect(panel.get_by_role("row", name="Adwords")).to_contain_text("Google Ads")
    assert aliases(tenant.account) == [("Adwords", "Google Ads"), ("FB", "Facebook Ads")]
    page.evaluate("window.scrollTo(0, 0)")  # from the top, so the sticky header does not cover the panel
    screenshot(f"source-aliases-{language}")

    panel.get_by_role("button", name=f"{t(language, 'Delete')} “FB”").click()
    expect(panel.get_by_role("row", name="FB")).to_have_count(0)
    assert aliases(tenant.account) == [("Adwords", "Google Ads")]


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_stale_alias_edit_shows_the_conflict_and_changes_nothing(
    open_settings, screenshot, tenant, catalogue, language
):
    fb, _google = catalogue
    alias = source_alias_create(account=tenant.account, user=tenant.admin, source=fb, text="FB")
    page = open_settings(language)
    panel = page.locator("#sources-aliases")
    panel.get_by_role("link", name=f"{t(language, 'Change')} “FB”").click()
    editing = panel.get_by_label(t(language, "New spelling of “%(alias)s”", alias="FB"))
    editing.fill("Fejsbuk")
    # Another admin respells it meanwhile.
    source_alias_update(account=tenant.account, user=None, alias=alias, text="Facebook")
    panel.get_by_role("button", name=t(language, "Save alias")).click()
    message = t(
        language,
        "The alias “%(alias)s” was changed by someone else in the meantime. Reload the page and try again.",
        alias="Facebook",
    )
    expect(panel.get_by_role("alert")).to_contain_text(message.split("”")[-1].strip())
    expect(panel.locator(".alias-edit input[name='alias-edit-text']")).to_have_value("Fejsbuk")
    assert aliases(tenant.account) == [("Facebook", "Facebook Ads")]
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(f"source-alias-conflict-{language}")
