"""The API's browser-facing parts in Chromium: the Swagger docs page under our CSP, and the token panel on /me/."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.users.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def t(language, text):
    with translation.override(language):
        return gettext(text)


def watch_console(page):
    """Console errors, uncaught exceptions and failed requests (CSP violations are reported as console errors)."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if _console_problem(msg) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and _ours(r.url) else None)
    page.add_init_script(CSP_PROBE)
    return problems


def _console_problem(msg):
    # A failed load is also seen by the response listener, which knows the URL (and skips the favicon).
    return msg.type == "error" and not msg.text.startswith("Failed to load resource")


def _ours(url):
    # The browser asks for /favicon.ico on its own; we serve none, and that 404 is not a page's fault.
    return not url.endswith("/favicon.ico") and "/api/v1/me" not in url


def test_docs_page_renders_every_operation_without_csp_violations(page, live_server, screenshot):
    problems = watch_console(page)
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Headwater API")).to_be_visible()
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 30
    expect(page.get_by_text("List companies")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert page.evaluate("window.__csp") == []
    assert problems == []
    screenshot("api-docs-en")


@pytest.fixture
def profile_page(page, live_server, browser_login, tenant):
    """The member's /me/ page in `language`, with console problems watched; returns (page, problems, base url)."""

    def open_page(language):
        problems = watch_console(page)
        browser_login(tenant.member)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}/me/")
        return page, problems, live_server.url

    return open_page


@pytest.mark.parametrize("language", ["en", "pl"])
def test_token_panel_create_use_and_revoke(profile_page, tenant, screenshot, language):
    page, problems, base = profile_page(language)
    panel = page.locator("#api-tokens")
    expect(panel.get_by_text(t(language, "You have no API tokens yet."))).to_be_visible()
    panel.get_by_label(t(language, "Token name")).fill("Website form")
    panel.get_by_label(t(language, "Account")).select_option(label=tenant.account.name)
    page.evaluate("window.__noReload = true")
    panel.get_by_role("button", name=t(language, "Create token")).click()
    secret_field = page.get_by_label(t(language, "Your new token"))
    expect(secret_field).to_be_visible()
    assert page.evaluate("window.__noReload") is True  # htmx swapped the panel, no full page load
    secret = secret_field.input_value()
    assert secret.startswith("hw_")
    token = ApiToken.unscoped.get(membership__user=tenant.member)
    expect(panel.locator("tbody tr")).to_have_count(1)
    expect(panel.locator("tbody")).to_contain_text(token.prefix)
    assert page.evaluate("window.__csp") == []
    assert problems == []
    screenshot(f"api-tokens-created-{language}")

    api = page.request.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status == 200
    assert api.json()["user"]["email"] == tenant.member.email

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name=t(language, "Revoke")).click()
    expect(page.locator("#api-tokens tbody")).to_have_count(0)
    expect(page.get_by_text(t(language, "You have no API tokens yet."))).to_be_visible()
    refused = page.request.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
    # The secret was only ever in that one response.
    page.reload()
    expect(page.get_by_text(t(language, "You have no API tokens yet."))).to_be_visible()
    assert secret not in page.content()
    assert page.evaluate("window.__csp") == []
    assert problems == []
    screenshot(f"api-tokens-revoked-{language}")
