"""Accounts in Chromium: sign up, log in and out, language switching, account switching, members and invitations."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.core.models import Account
from headwater.testing.factories import CompanyFactory, DealFactory, MembershipFactory, PersonFactory
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


def html_lang(page):
    return page.locator("html").get_attribute("lang")


def test_sign_up(page, live_server, screenshot):
    page.goto(f"{live_server.url}/signup/")
    expect(page.get_by_role("heading", name="Create your Headwater account")).to_be_visible()
    page.get_by_label("Your name").fill("Ada Founder")
    page.get_by_label("E-mail").fill("ada@example.test")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Company or team name").fill("Ada Analytics")
    page.get_by_label("Account address").fill("ada")
    page.get_by_label("Base currency").select_option("EUR")
    page.get_by_label(re.compile(r"^Default language")).select_option("en")
    page.get_by_role("button", name="Create account").click()
    # A weak password is explained next to the field, and what was typed stays.
    expect(page.locator("#field-password .field__error")).to_contain_text("too short")
    expect(page.get_by_label("Company or team name")).to_have_value("Ada Analytics")
    screenshot("accounts-signup-errors-en")
    assert not User.objects.filter(email="ada@example.test").exists()

    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/a/ada/$"))
    expect(page.get_by_role("heading", name="Ada Analytics", level=1)).to_be_visible()
    expect(page.get_by_text("Welcome to Headwater! Your account is ready.")).to_be_visible()
    screenshot("accounts-dashboard-empty-en")
    account = Account.objects.get(slug="ada")
    assert Membership.objects.for_account(account).get(user__email="ada@example.test").role == Role.ADMIN


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
    Account.objects.filter(pk=tenant.account.pk).update(language="en")
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


def test_account_default_language_applies_until_the_user_chooses(page, live_server, browser_login, tenant):
    Account.objects.filter(pk=tenant.account.pk).update(language="pl")
    browser_login(tenant.member)
    page.goto(f"{live_server.url}{tenant.url('')}")
    assert html_lang(page) == "pl"
    page.get_by_label(t("pl", "Language"), exact=True).select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server.url}{tenant.url('')}")
    assert html_lang(page) == "en"


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


def test_members_add_invite_and_remove(page, live_server, browser_login, screenshot, tenant, browser):  # noqa: PLR0917 — pytest injects fixtures by name
    company = CompanyFactory(account=tenant.account, owner=tenant.member, name="Owned Co")
    PersonFactory(company=company, owner=tenant.member)
    DealFactory(company=company, owner=tenant.member)
    browser_login(tenant.admin)
    page.goto(f"{live_server.url}{tenant.url('settings/members/')}")
    expect(page.get_by_role("heading", name="Add a member")).to_be_visible()

    page.get_by_label("E-mail").fill("newbie@example.test")
    page.get_by_label(re.compile(r"^Name\b")).fill("Nina Newbie")
    page.get_by_label(re.compile(r"^Role\W*$")).select_option("viewer")
    page.get_by_role("button", name="Add member").click()
    link_field = page.get_by_role("textbox", name="Invitation link")
    expect(link_field).to_be_visible()
    invitation_url = link_field.input_value()
    assert "/invitation/" in invitation_url
    expect(page.get_by_role("cell", name="newbie@example.test")).to_be_visible()
    screenshot("accounts-members-en")

    # The invitee opens the link in their own browser, chooses a password and is in.
    context = browser.new_context()
    invitee = context.new_page()
    invitee.goto(invitation_url)
    expect(invitee.get_by_text("newbie@example.test")).to_be_visible()
    invitee.get_by_label(re.compile(r"^New password\W*$")).fill(NEW_PASSWORD)
    invitee.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Set password and log in").click()
    expect(invitee).to_have_url(re.compile(rf"/a/{tenant.account.slug}/$"))
    context.close()

    # Change a role from the table.
    page.goto(f"{live_server.url}{tenant.url('settings/members/')}")
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
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill("admin@demo.test")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()
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
