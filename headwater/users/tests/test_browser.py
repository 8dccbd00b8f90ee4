"""Accounts in Chromium: sign up, log in and out, language, account switching, members and invitations."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from conftest import SCREENSHOT_DIR
from headwater.core.models import Account
from headwater.testing.factories import CompanyFactory, DealFactory, MembershipFactory, PersonFactory
from headwater.testing.mail import last_link
from headwater.users.models import Membership, Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a sturdy passphrase 42"


def t(language, text, **params):
    """The UI text in `language`: the tests keep passing when the Polish translation arrives."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture(autouse=True)
def _fail_fast(page):
    page.set_default_timeout(8000)


def screenshot_dir():
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def html_lang(page):
    return page.locator("html").get_attribute("lang")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_sign_up_confirm_and_log_in(page, live_server, screenshot, language):
    page.set_extra_http_headers({"Accept-Language": language})
    email = f"ada-{language}@example.test"
    page.goto(f"{live_server.url}/signup/")
    expect(page.get_by_role("heading", name=t(language, "Create your Headwater login"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(t(language, "Your name")).fill("Ada Founder")
    page.get_by_label(t(language, "E-mail")).fill("not an address")
    page.get_by_role("button", name=t(language, "Send me the link")).click()
    expect(page.locator("#field-email .field__error")).to_be_visible()
    page.get_by_label(t(language, "E-mail")).fill(email)
    page.get_by_role("button", name=t(language, "Send me the link")).click()
    expect(page.get_by_role("heading", name=t(language, "Check your inbox"))).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    screenshot(f"accounts-signup-sent-{language}")
    assert not User.objects.filter(email=email).exists()

    # The link from the e-mail: choose a password (a weak one is explained first).
    page.goto(f"{live_server.url}{last_link(email)}")
    expect(page.get_by_role("heading", name=t(language, "Choose your password"))).to_be_visible()
    expect(page.get_by_label(t(language, "Your name"))).to_have_value("Ada Founder")
    page.get_by_label(re.compile("^" + re.escape(t(language, "Password")) + r"\W*$")).fill("short")
    page.get_by_label(t(language, "Password again")).fill("short")
    page.get_by_role("button", name=t(language, "Create my login")).click()
    expect(page.locator("#field-password1 .field__error")).to_be_visible()
    screenshot(f"accounts-signup-password-{language}")
    page.get_by_label(re.compile("^" + re.escape(t(language, "Password")) + r"\W*$")).fill(NEW_PASSWORD)
    page.get_by_label(t(language, "Password again")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=t(language, "Create my login")).click()
    expect(page.get_by_role("heading", name=t(language, "Your accounts"))).to_be_visible()
    expect(
        page.get_by_text(t(language, "Your address is confirmed and your login is ready. Welcome to Headwater!"))
    ).to_be_visible()
    screenshot(f"accounts-signup-home-{language}")
    user = User.objects.get(email=email)
    assert user.email_confirmed
    assert user.language == language

    # Their first account, then out and in again with the password chosen.
    page.get_by_role("link", name=t(language, "Create a new account")).click()
    page.get_by_label(t(language, "Company or team name")).fill("Ada Analytics")
    page.get_by_label(t(language, "Account address")).fill(f"ada-{language}")
    page.get_by_role("button", name=t(language, "Create account")).click()
    expect(page.get_by_role("heading", name="Ada Analytics", level=1)).to_be_visible()
    page.get_by_text("Ada Founder", exact=True).click()
    page.get_by_role("button", name=t(language, "Log out")).click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.get_by_label(t(language, "E-mail")).fill(email)
    page.get_by_label(t(language, "Password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=t(language, "Log in")).click()
    expect(page).to_have_url(re.compile(rf"/a/ada-{language}/$"))
    assert Membership.objects.for_account(Account.objects.get(slug=f"ada-{language}")).get(user=user).role == Role.ADMIN


def test_log_in_and_out(page, live_server, screenshot, tenant):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="Log in to Headwater")).to_be_visible()
    screenshot("accounts-login-en")
    page.get_by_label("E-mail").fill(tenant.member.email)
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("The e-mail or password is incorrect.")
    screenshot("accounts-login-error-en")

    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/a/{tenant.account.slug}/$"))
    expect(page.get_by_role("heading", name=tenant.account.name, level=1)).to_be_visible()

    page.get_by_text(tenant.member.display_name, exact=True).click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto(f"{live_server.url}{tenant.url('')}")
    expect(page).to_have_url(re.compile(r"/login/\?next="))


def test_switch_language_to_polish_and_back(page, live_server, browser_login, screenshot, tenant):
    browser_login(tenant.admin)
    page.goto(f"{live_server.url}{tenant.url('')}")
    assert html_lang(page) == "en"
    page.get_by_label("Language", exact=True).select_option("pl")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page).to_have_url(re.compile(rf"{tenant.url('')}$"))
    expect(page.get_by_role("heading", name=t("pl", "Recent deals"))).to_be_visible()
    screenshot("accounts-dashboard-pl")
    page.goto(f"{live_server.url}{tenant.url('settings/members/')}")
    screenshot("accounts-members-pl")

    page.get_by_label(t("pl", "Language"), exact=True).select_option("en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Members", exact=False).first).to_be_visible()


def test_one_language_on_every_page(page, live_server, browser_login, tenant):
    """The account's default is Polish, the browser English: every page is English until the user picks Polish,
    then every page is Polish, in this browser and the next."""
    Account.objects.filter(pk=tenant.account.pk).update(language="pl")
    page.set_extra_http_headers({"Accept-Language": "en"})
    browser_login(tenant.member)
    for path in (tenant.url(""), tenant.url("companies/"), "/me/", "/accounts/new/"):
        page.goto(f"{live_server.url}{path}")
        assert html_lang(page) == "en", path
    page.get_by_label("Language", exact=True).select_option("pl")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    for path in (tenant.url(""), tenant.url("deals/"), "/me/", "/accounts/new/"):
        page.goto(f"{live_server.url}{path}")
        assert html_lang(page) == "pl", path
    page.context.clear_cookies()
    browser_login(tenant.member)
    assert html_lang(page) == "pl"


def test_switch_account(page, live_server, browser_login, screenshot, tenant, other_tenant):  # noqa: PLR0917 — pytest injects fixtures by name
    MembershipFactory(account=other_tenant.account, user=tenant.admin, role=Role.VIEWER)
    browser_login(tenant.admin)
    # With two accounts the start page lists them.
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()
    screenshot("accounts-home-en")
    page.get_by_role("link", name=tenant.account.name).click()
    expect(page.get_by_role("heading", name=tenant.account.name, level=1)).to_be_visible()

    page.get_by_text(f"Switch account: {tenant.account.name}").click()
    switcher = page.get_by_role("list", name="Switch account")
    expect(switcher).to_be_visible()
    switcher.get_by_role("link", name=re.compile(other_tenant.account.name)).click()
    expect(page).to_have_url(re.compile(rf"/a/{other_tenant.account.slug}/$"))
    expect(page.get_by_role("heading", name=other_tenant.account.name, level=1)).to_be_visible()
    # A viewer there: no settings link, no "new" buttons.
    expect(page.get_by_role("link", name="Account settings")).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_invite_someone_new_and_someone_existing(  # noqa: PLR0917 — pytest injects fixtures by name
    page, live_server, browser_login, screenshot, tenant, other_tenant, browser, language
):
    User.objects.filter(pk=tenant.admin.pk).update(language=language)  # the admin chose it earlier
    browser_login(tenant.admin)
    page.goto(f"{live_server.url}{tenant.url('settings/members/')}")
    expect(page.get_by_role("heading", name=t(language, "Invite a member"))).to_be_visible()

    # Someone new: the answer says the invitation went out, nothing more; the link goes to their inbox.
    page.get_by_label(t(language, "E-mail")).fill("newbie@example.test")
    page.get_by_label(re.compile("^" + re.escape(t(language, "Role")) + r"\W*$")).select_option("viewer")
    page.get_by_role("button", name=t(language, "Send invitation")).click()
    expect(page.get_by_role("status")).to_contain_text("newbie@example.test")
    # Someone who already has a login: the very same answer.
    page.get_by_label(t(language, "E-mail")).fill(other_tenant.member.email)
    page.get_by_role("button", name=t(language, "Send invitation")).click()
    expect(page.get_by_role("status")).to_contain_text(other_tenant.member.email)
    invitations = page.get_by_role("table").filter(has_text="newbie@example.test")
    expect(invitations.get_by_role("row")).to_have_count(3)
    expect(page.get_by_text(other_tenant.member.full_name)).to_have_count(0)
    screenshot(f"accounts-members-invited-{language}")

    # The newcomer opens the link in their own browser, chooses a name and password, and is in.
    newcomer = browser.new_context(extra_http_headers={"Accept-Language": language})
    invitee = newcomer.new_page()
    invitee.goto(f"{live_server.url}{last_link('newbie@example.test')}")
    expect(
        invitee.get_by_role("heading", name=t(language, "Join %(account)s", account=tenant.account.name))
    ).to_be_visible()
    invitee.get_by_label(t(language, "Your name")).fill("Nina Newbie")
    invitee.get_by_label(re.compile("^" + re.escape(t(language, "Password")) + r"\W*$")).fill(NEW_PASSWORD)
    invitee.get_by_label(t(language, "Password again")).fill(NEW_PASSWORD)
    invitee.screenshot(path=str(screenshot_dir() / f"accounts-invitation-new-{language}.png"), full_page=True)
    invitee.get_by_role("button", name=t(language, "Accept and create my login")).click()
    expect(invitee).to_have_url(re.compile(rf"/a/{tenant.account.slug}/$"))
    newcomer.close()

    # The existing user logs in as usual and finds the invitation on their start page.
    existing = browser.new_context(extra_http_headers={"Accept-Language": language})
    other = existing.new_page()
    other.goto(f"{live_server.url}/login/")
    other.get_by_label(t(language, "E-mail")).fill(other_tenant.member.email)
    other.get_by_label(t(language, "Password")).fill("correct horse battery")
    other.get_by_role("button", name=t(language, "Log in")).click()
    expect(other.get_by_role("heading", name=t(language, "Invitations"))).to_be_visible()
    expect(other.get_by_text(tenant.admin.email)).to_be_visible()
    other.screenshot(path=str(screenshot_dir() / f"accounts-invitation-existing-{language}.png"), full_page=True)
    other.get_by_role(
        "button", name=t(language, "Accept the invitation to %(account)s", account=tenant.account.name)
    ).click()
    expect(other).to_have_url(re.compile(rf"/a/{tenant.account.slug}/$"))
    expect(other.get_by_role("heading", name=tenant.account.name, level=1)).to_be_visible()
    existing.close()

    page.reload()
    expect(page.get_by_role("cell", name=other_tenant.member.email)).to_be_visible()
    expect(page.get_by_text(t(language, "No open invitations."))).to_be_visible()
    screenshot(f"accounts-members-joined-{language}")
    assert Membership.objects.for_account(tenant.account).get(user=other_tenant.member).role == Role.MEMBER
    assert Membership.objects.for_account(tenant.account).get(user__email="newbie@example.test").role == Role.VIEWER


def test_members_change_role_and_remove(page, live_server, browser_login, screenshot, tenant):
    company = CompanyFactory(account=tenant.account, owner=tenant.member, name="Owned Co")
    PersonFactory(company=company, owner=tenant.member)
    DealFactory(company=company, owner=tenant.member)
    browser_login(tenant.admin)
    page.goto(f"{live_server.url}{tenant.url('settings/members/')}")
    screenshot("accounts-members-en")

    # Change a role from the table.
    page.get_by_label(f"Role of {tenant.viewer.display_name}").select_option("member")
    page.get_by_role("row", name=re.compile(tenant.viewer.email)).get_by_role("button", name="Change role").click()
    expect(page.get_by_text(f"{tenant.viewer.display_name} is now: Member.")).to_be_visible()

    # Remove the member: the page counts their records first, then hands them over.
    page.get_by_role("row", name=re.compile(tenant.member.email)).get_by_role("link", name="Remove…").click()
    expect(page.get_by_text("Their records stay in the account. They own:")).to_be_visible()
    screenshot("accounts-member-remove-en")
    page.get_by_label("Give their records to").select_option(
        label=f"{tenant.admin.display_name} <{tenant.admin.email}>"
    )
    page.get_by_role("button", name="Remove member").click()
    expect(page.get_by_text(re.compile(r"was removed; 3 records now belong to"))).to_be_visible()
    company.refresh_from_db()
    assert company.owner == tenant.admin
    assert not Membership.objects.for_account(tenant.account).filter(user=tenant.member).exists()


def test_demo_login_and_dashboard(page, live_server, screenshot):
    """The logins `make run` prints work, and the demo dashboard has something to show."""
    from django.core.management import call_command  # noqa: PLC0415 — only this test loads the demo

    call_command("demo_data", stdout=None)
    page.set_extra_http_headers({"Accept-Language": "pl,en;q=0.5"})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill("admin@demo.test")
    page.get_by_label(t("pl", "Password")).fill("demo-password-2026")
    page.get_by_role("button", name=t("pl", "Log in")).click()
    expect(page.get_by_role("heading", name=t("pl", "Your accounts"))).to_be_visible()
    page.get_by_role("link", name="Demo Sp. z o.o.").click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", name="Demo Sp. z o.o.", level=1)).to_be_visible()
    expect(page.locator(".kpi__value").first).to_have_text("320")
    screenshot("accounts-dashboard-demo-pl")
    page.get_by_label(t("pl", "Language"), exact=True).select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Recent deals")).to_be_visible()
    screenshot("accounts-dashboard-demo-en")
    page.get_by_text("Switch account: Demo Sp. z o.o.").click()
    page.get_by_role("list", name="Switch account").get_by_role("link", name=re.compile("Acme Europe")).click()
    expect(page.get_by_role("heading", name="Acme Europe Ltd", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/a/demo/settings/members/")
    screenshot("accounts-members-demo-en")
