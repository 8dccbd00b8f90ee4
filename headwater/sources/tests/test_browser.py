"""The source settings page in Chromium: switches, add, inline rename, order (buttons and drag), archive, delete."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.deals.models import Deal
from headwater.sources.selectors import source_list
from headwater.sources.services import source_rename
from headwater.testing.factories import CompanyFactory, DealFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def names(account):
    return list(source_list(account=account).values_list("name", flat=True))


def t(language, text, **params):
    """The UI text in `language`: tests keep passing when the Polish translation arrives."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture
def open_settings(page, live_server, browser_login, tenant):
    """Log the admin in and open the source settings page, optionally in another language."""

    def go(language=None):
        browser_login(tenant.admin)
        if language:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url('settings/sources/')}")
        return page

    return go


@pytest.fixture
def shot(page, screenshot):
    """A full-page screenshot from the top, so the sticky header does not cover the content."""

    def take(name):
        page.evaluate("window.scrollTo(0, 0)")
        return screenshot(name)

    return take


def row_names(page):
    return page.locator("#sources-catalogue tbody .source-name").all_inner_texts()


@pytest.fixture
def catalogue(tenant):
    google = SourceFactory(account=tenant.account, name="Google", position=1)
    fair = SourceFactory(account=tenant.account, name="Fair", position=2)
    partner = SourceFactory(account=tenant.account, name="Partner", position=3)
    company = CompanyFactory(account=tenant.account, source=google)
    DealFactory(company=company, source=google)
    DealFactory(company=company, source=google)
    return google, fair, partner


@pytest.mark.usefixtures("catalogue")
def test_settings_page_in_english(open_settings, shot, tenant):
    page = open_settings()
    expect(page.get_by_role("heading", name="Sources", exact=True)).to_be_visible()

    # The second switch is explained and disabled until the first is ticked (sources.js enables it live).
    second = page.get_by_label("Set the source by default from the person or company")
    expect(second).to_be_disabled()
    page.get_by_label("Acquisition sources on").check()
    expect(second).to_be_enabled()
    second.check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Source settings saved.")).to_be_visible()
    expect(page.get_by_label("Acquisition sources on")).to_be_checked()
    tenant.account.refresh_from_db()
    assert tenant.account.sources_enabled
    assert tenant.account.source_default_from_contact

    # Add through htmx: the list refreshes in place (the marker survives: no full page load).
    page.evaluate("window.__noReload = true")
    page.get_by_label("New source").fill("  Newsletter  ")
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_text("Source “Newsletter” added.")).to_be_visible()
    assert row_names(page) == ["Google", "Fair", "Partner", "Newsletter"]
    assert page.evaluate("window.__noReload") is True
    expect(page.get_by_text("Added “Newsletter”.")).to_be_visible()

    # A duplicate: the error sits next to the field, and what was typed stays.
    page.get_by_label("New source").fill("GOOGLE")
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_text("A source named “Google” already exists.")).to_be_visible()
    expect(page.get_by_label("New source")).to_have_value("GOOGLE")
    shot("sources-settings-add-error-en")

    # Inline rename; Escape cancels it.
    page.get_by_role("link", name="Rename “Newsletter”").click()
    page.get_by_label("New name for “Newsletter”").press("Escape")
    expect(page.get_by_label("New name for “Newsletter”")).to_have_count(0)
    page.get_by_role("link", name="Rename “Newsletter”").click()
    field = page.get_by_label("New name for “Newsletter”")
    expect(field).to_be_focused()
    field.fill("E-mail newsletter")
    shot("sources-settings-rename-en")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Source renamed to “E-mail newsletter”.")).to_be_visible()
    assert row_names(page) == ["Google", "Fair", "Partner", "E-mail newsletter"]

    # Keyboard-accessible order buttons.
    page.get_by_role("button", name="Move “E-mail newsletter” up").click()
    expect(page.get_by_text("“E-mail newsletter” is now in place 3 of 4.")).to_be_visible()
    expect(page.locator("#sources-catalogue tbody .source-name").nth(2)).to_have_text("E-mail newsletter")
    assert names(tenant.account) == ["Google", "Fair", "E-mail newsletter", "Partner"]
    expect(page.get_by_role("button", name="Move “Google” up")).to_be_disabled()

    # Drag and drop: Partner to the top, by its handle (the row's middle is the channel picker, a form control).
    rows = page.locator("#sources-catalogue tbody tr")
    with page.expect_response(lambda r: r.url.endswith("/settings/sources/reorder/")) as reorder:
        rows.filter(has_text="Partner").locator(".source-row__handle").drag_to(
            rows.filter(has_text="Google"), target_position={"x": 20, "y": 2}
        )
    assert reorder.value.status == 200
    expect(page.locator("#sources-catalogue tbody .source-name").first).to_have_text("Partner")
    expect(page.get_by_text("Order saved.")).to_be_visible()
    assert names(tenant.account) == ["Partner", "Google", "Fair", "E-mail newsletter"]
    page.reload()
    assert row_names(page) == ["Partner", "Google", "Fair", "E-mail newsletter"]

    # Archive, with the badge.
    page.get_by_role("button", name="Archive “Fair”").click()
    expect(page.get_by_text("Source “Fair” archived.")).to_be_visible()
    expect(page.locator("#sources-catalogue tbody tr", has_text="Fair").locator(".badge--archived")).to_be_visible()
    shot("sources-settings-en")

    # Delete a used source: the counts and the three choices; merge into Partner.
    page.get_by_role("link", name="Delete “Google”").click()
    expect(page.get_by_role("heading", name="Delete the source “Google”")).to_be_visible()
    expect(page.get_by_role("link", name="1 company")).to_be_visible()
    expect(page.get_by_role("link", name="2 deals")).to_be_visible()
    expect(page.get_by_label("I understand that 3 records lose their source")).to_be_visible()
    expect(page.get_by_role("button", name="Archive “Google”")).to_be_visible()
    page.get_by_label("Move its records to").select_option(label="Partner")
    shot("sources-delete-used-en")
    page.get_by_role("button", name="Merge and delete").click()
    expect(page.get_by_text("“Google” merged into “Partner”: 3 records moved.")).to_be_visible()
    assert names(tenant.account) == ["Partner", "Fair", "E-mail newsletter"]
    assert Deal.objects.for_account(tenant.account).filter(source__name="Partner").count() == 2
    expect(page.get_by_text(re.compile(r"Merged “Google” into “Partner”"))).to_be_visible()
    shot("sources-settings-after-merge-en")


def test_stale_rename_in_the_browser_keeps_the_typed_name(open_settings, catalogue):
    google = catalogue[0]
    page = open_settings()
    page.get_by_role("link", name="Rename “Google”").click()
    page.get_by_label("New name for “Google”").fill("Google Ads")
    # Another admin renames it meanwhile.
    google.name, google.name_key, google.version = "Search", "search", google.version + 1
    google.save()
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text(re.compile("changed by someone else"))).to_be_visible()
    # The label shows the current name; what the admin typed is still there, and saving again now works.
    field = page.get_by_label("New name for “Search”")
    expect(field).to_have_value("Google Ads")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Source renamed to “Google Ads”.")).to_be_visible()
    google.refresh_from_db()
    assert google.name == "Google Ads"


@pytest.mark.usefixtures("catalogue")
def test_settings_page_in_polish(open_settings, shot):
    page = open_settings("pl")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.get_by_label(t("pl", "Acquisition sources on")).check()
    page.get_by_role("button", name=t("pl", "Save"), exact=True).click()
    page.get_by_label(t("pl", "New source")).fill("Targi branżowe 2027")
    page.get_by_role("button", name=t("pl", "Add source")).click()
    expect(page.locator("#sources-catalogue tbody .source-name").last).to_have_text("Targi branżowe 2027")
    # Polish look-alike of an existing name: refused, naming it.
    page.get_by_label(t("pl", "New source")).fill("Targi  Branzowe 2027")
    page.get_by_role("button", name=t("pl", "Add source")).click()
    expect(page.locator(".field__error")).to_contain_text("„Targi branżowe 2027”")
    page.get_by_label(t("pl", "New source")).fill("")
    # A move with the keyboard: the Polish notice, the focus kept, one history entry.
    up = page.get_by_role("button", name=t("pl", "Move “%(name)s” up", name="Targi branżowe 2027"))
    up.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_text(
            t("pl", "“%(name)s” is now in place %(place)d of %(count)d.", name="Targi branżowe 2027", place=3, count=4)
        )
    ).to_be_visible()
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#sources-history li.source-event").first).to_contain_text(
        t(
            "pl",
            "Moved “%(name)s” from place %(start)s to %(end)s of %(count)s.",
            name="Targi branżowe 2027",
            start=4,
            end=2,
            count=4,
        )
    )
    shot("sources-settings-pl")
    page.get_by_role("link", name=t("pl", "Delete") + " “Google”").click()
    expect(page.get_by_label(t("pl", "Move its records to"))).to_be_visible()
    shot("sources-delete-used-pl")


def test_keyboard_reordering_keeps_the_focus_and_writes_one_entry(open_settings, shot, tenant, catalogue):
    """Issue 11: each ↑ lost the focus (the row is swapped), and every step wrote an entry listing all names."""
    for i in range(3):
        SourceFactory(account=tenant.account, name=f"Extra {i}", position=10 + i)
    page = open_settings()
    # A mark on the window: if Enter posted the form natively (htmx had not bound the swapped-in form yet), the page
    # reloads, the mark is gone, and so is the focus.
    page.evaluate("window.sameDocument = true")
    up = page.get_by_role("button", name="Move “Extra 2” up")
    up.focus()
    for place in (5, 4, 3, 2):
        page.keyboard.press("Enter")
        expect(page.get_by_text(f"“Extra 2” is now in place {place} of 6.")).to_be_visible()
        assert page.evaluate("window.sameDocument === true"), "Enter reloaded the page instead of an htmx swap"
        # The same button of the same row, in the freshly swapped row, has the focus: Enter again moves it again.
        expect(page.get_by_role("button", name="Move “Extra 2” up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("“Extra 2” is now in place 1 of 6.")).to_be_visible()
    # At the top ↑ is disabled: ↓ has the focus, so the keyboard user is not dropped to the top of the page.
    expect(page.get_by_role("button", name="Move “Extra 2” up")).to_be_disabled()
    expect(page.get_by_role("button", name="Move “Extra 2” down")).to_be_focused()
    assert row_names(page)[0] == "Extra 2"
    assert names(tenant.account)[0] == "Extra 2"
    history = page.locator("#sources-history li.source-event")
    expect(history.first).to_contain_text("Moved “Extra 2” from place 6 to 1 of 6.")
    assert history.filter(has_text="Moved").count() == 1
    shot("sources-keyboard-reorder-en")


def test_clear_and_delete_recovers_when_the_usage_changed_meanwhile(open_settings, shot, tenant, catalogue):
    """Issue 11: after "now 2" the form kept the old count and ticked box, so every confirm failed until a reload."""
    google = catalogue[0]
    page = open_settings()
    page.get_by_role("link", name="Delete “Google”").click()
    page.get_by_label("I understand that 3 records lose their source").check()
    # Another tab assigns Google to one more deal.
    DealFactory(account=tenant.account, source=google)
    page.get_by_role("button", name="Clear and delete").click()
    expect(page.get_by_text("changed in the meantime (now 4)")).to_be_visible()
    confirm = page.get_by_label("I understand that 4 records lose their source")
    expect(confirm).not_to_be_checked()
    shot("sources-clear-count-changed-en")
    confirm.check()
    page.get_by_role("button", name="Clear and delete").click()
    expect(page.get_by_text("Source “Google” deleted; 4 records no longer have a source.")).to_be_visible()
    assert "Google" not in names(tenant.account)


def test_a_right_to_left_name_stays_inside_its_sentence(open_settings, shot, tenant):
    """A name saved before overrides were refused (written straight to the database) and a Hebrew name: the
    page isolates each, so the quotes and words after them stay in place (see the screenshot)."""
    legacy = SourceFactory(account=tenant.account, name="Facebook \u202eAds", position=1)
    hebrew = SourceFactory(account=tenant.account, name="\u05e4\u05e8\u05e1\u05d5\u05dd", position=2)
    source_rename(
        account=tenant.account, user=tenant.admin, source=hebrew, name="\u05e4\u05e8\u05e1\u05d5\u05dd 2", version=1
    )
    page = open_settings()
    expect(page.locator(f"#source-{legacy.pk} .source-name bdi")).to_have_text("Facebook \u202eAds")
    sentence = page.locator("#sources-history li.source-event .source-event__what").first
    expect(sentence.locator("bdi")).to_have_count(2)
    shot("sources-rtl-names-en")
