"""Lead forms in Chromium: a visitor on a landing site served on another port (which includes the embed script from
our server) lands with a campaign, browses, accepts the site's consent banner and sends the embedded form; comes back
from a search engine and sends it again. An admin builds a form; a visitor without JavaScript uses its hosted page.
In English and Polish."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.capture.models import RecordTouches
from headwater.capture.services import capture_rules_seed_defaults
from headwater.leadforms.models import LeadForm
from headwater.leadforms.tests.helpers import make_form
from headwater.persons.models import Person
from headwater.records.tests.api_contract import enable_sources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
<script src="{server}/f/embed.js" data-consent="required" defer></script>
<script src="site.js" defer></script>
</body></html>
"""
# The site's own consent banner: it calls Headwater.consent() when the visitor accepts.
SITE_JS = """document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("accept");
  if (button) { button.addEventListener("click", function () { window.Headwater.consent(); button.remove(); }); }
});
"""


def t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # the stdlib's parameter name
        pass


@pytest.fixture
def landing_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static site on its own port (another origin than the live server)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def _build_site(folder: Path, *, server: str, key: str, language: str) -> None:
    (folder / "site.js").write_text(SITE_JS)
    one = '<p>Offer</p><a href="page2.html" id="next">Next page</a>'
    two = (
        '<div class="banner"><p>Cookies?</p><button type="button" id="accept">Accept</button></div>'
        f'<div data-headwater-form="{key}"><a href="{server}/f/{key}">Form</a></div>'
    )
    for name, title, body in (("page1.html", "Page one", one), ("page2.html", "Page two", two)):
        (folder / name).write_text(PAGE.format(lang=language, title=title, body=body, server=server))


@pytest.mark.parametrize("language", ["en", "pl"])
@override_settings(LEADFORM_MIN_FILL_SECONDS=1)
def test_a_visitor_brings_the_campaign_through_the_embedded_form(  # noqa: PLR0917 — pytest injects fixtures by name
    live_server, page, tenant, landing_site, screenshot, language
):
    account = tenant.account
    account.language = language
    account.save()
    enable_sources(account)
    capture_rules_seed_defaults(account=account, user=tenant.admin)
    site, folder = landing_site
    form = make_form(account, allowed_origins=[site], thank_you="", consent_text="")
    _build_site(folder, server=live_server.url, key=form.public_key, language=language)

    def send(email: str) -> None:
        page.get_by_label(t(language, "Last name")).fill("Nowak")
        page.get_by_label(t(language, "First name")).fill("Ola")
        page.get_by_label(t(language, "E-mail")).fill(email)
        page.wait_for_timeout(1100)  # the form's least fill time
        page.get_by_role("button", name=t(language, "Send")).click()
        expect(page.get_by_role("status")).to_have_text(t(language, "Thank you! We will be in touch."))

    page.goto(f"{site}/page1.html?utm_source=newsletter&utm_medium=email&utm_campaign=december")
    assert page.evaluate("window.localStorage.length") == 0  # no consent yet: nothing stored
    page.click("#next")
    expect(page.get_by_label(t(language, "Last name"))).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    # The consent handler stores the visit after the click returns: wait for it (it failed now and then in CI).
    page.wait_for_function("() => (window.localStorage.getItem('headwater.visit') || '').includes('newsletter')")
    screenshot(f"leadforms-embedded-{language}")
    send("ola@example.pl")
    person = Person.objects.for_account(account).get()
    pointers = RecordTouches.objects.for_account(account).get(record_type="person", record_id=person.pk)
    first = pointers.first_touch
    assert (first.utm_source, first.utm_medium, first.utm_campaign) == ("newsletter", "email", "december")
    assert first.landing_url.startswith(f"{site}/page1.html?utm_source=newsletter")
    assert person.source is not None
    assert person.source.name == t(language, "E-mail campaign")

    # A second visit, from a search engine, a second submission: the same person, a new last touch.
    page.goto(f"{site}/page1.html", referer="https://www.google.com/search?q=crm")
    page.click("#next")
    send("OLA@example.pl")
    person = Person.objects.for_account(account).get()
    pointers.refresh_from_db()
    assert pointers.first_touch == first
    assert pointers.last_touch != first
    assert pointers.last_touch.referrer == "https://www.google.com/search?q=crm"
    assert pointers.last_touch.resolved_source.name == t(language, "Organic search")
    assert person.source.name == t(language, "E-mail campaign")


@pytest.mark.parametrize("language", ["en", "pl"])
@override_settings(LEADFORM_MIN_FILL_SECONDS=1)
def test_an_admin_builds_a_form_and_a_visitor_sends_it_without_javascript(  # noqa: PLR0917 — pytest injects fixtures by name
    live_server, browser, browser_login, tenant, screenshot, language
):
    page = browser_login(tenant.admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{tenant.url('settings/capture/forms/')}")
    page.get_by_role("link", name=t(language, "Add a form")).click()
    page.get_by_role("textbox", name=t(language, "Name"), exact=True).fill("Kontakt")
    page.get_by_label(t(language, "Phone")).select_option("optional")
    page.get_by_label(t(language, "Consent text")).fill("I agree / Zgadzam się")
    page.get_by_label(t(language, "Websites allowed to embed the form")).fill("shop.example.pl")
    page.get_by_role("button", name=t(language, "Save the form")).click()
    expect(page.locator("#id_allowed_origins_error")).to_be_visible()
    screenshot(f"leadforms-form-error-{language}")
    page.get_by_label(t(language, "Websites allowed to embed the form")).fill("https://shop.example.pl")
    page.get_by_role("button", name=t(language, "Save the form")).click()
    expect(page.locator("#hosted-url")).to_be_visible()
    screenshot(f"leadforms-snippet-{language}")
    form = LeadForm.objects.for_account(tenant.account).get()

    context = browser.new_context(java_script_enabled=False, locale="pl-PL" if language == "pl" else "en-US")
    visitor = context.new_page()
    visitor.goto(f"{live_server.url}/f/{form.public_key}?utm_source=newsletter")
    visitor.get_by_label(t(language, "Last name")).fill("Kowalska")
    visitor.get_by_label(t(language, "E-mail")).fill("not an address")
    visitor.wait_for_timeout(1100)  # the form's least fill time
    visitor.get_by_role("button", name=t(language, "Send")).click()
    expect(visitor.get_by_text(t(language, "Enter a valid e-mail address."))).to_be_visible()
    expect(
        visitor.get_by_text(t(language, "Tick the box to give your consent; we cannot take the form without it."))
    ).to_be_visible()
    visitor.screenshot(path=str(Path("var/screenshots") / f"leadforms-hosted-errors-{language}.png"), full_page=True)
    visitor.get_by_label(t(language, "E-mail")).fill("anna@example.pl")
    visitor.get_by_label("I agree / Zgadzam się").check()
    visitor.get_by_role("button", name=t(language, "Send")).click()
    expect(visitor.get_by_role("status")).to_have_text(t(language, "Thank you! We will be in touch."))
    person = Person.objects.for_account(tenant.account).get()
    assert person.last_name == "Kowalska"
    touch = RecordTouches.objects.for_account(tenant.account).get(record_id=person.pk).first_touch
    assert (touch.utm_source, touch.consent) == ("newsletter", True)
    context.close()
