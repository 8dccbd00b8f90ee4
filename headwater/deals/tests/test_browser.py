"""Companies, persons and deals in Chromium: the create flow from a company, the live source pre-fill, lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language, text, **params):
    """The UI text in `language`: the tests keep passing when the Polish translation arrives."""
    with translation.override(language):
        message = gettext(text)
    return message % params if params else message


@pytest.fixture
def sources(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.source_default_from_contact = True
    account.save()
    return {
        name: SourceFactory(account=account, name=name, position=i)
        for i, name in enumerate(("Website", "Trade fair", "Referral"), start=1)
    }


@pytest.fixture
def shot(page, screenshot):
    def take(name):
        page.evaluate("window.scrollTo(0, 0)")
        return screenshot(name)

    return take


@pytest.fixture
def open_as_member(page, live_server, browser_login, tenant):
    def go(path, language=None):
        browser_login(tenant.member)
        if language:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}{tenant.url(path)}")
        return page

    return go


def source_value(page):
    return page.locator("#id_source").input_value()


def combobox(page, label):
    return page.get_by_role("combobox", name=label, exact=True)


def chosen(page, name):
    """The value the typeahead `name` will submit (its hidden select)."""
    return page.locator(f'select[name="{name}"]')


def pick(page, label, typed, option):
    """Keyboard only: type into the typeahead `label`, move to `option` with the arrow keys, press Enter."""
    box = combobox(page, label)
    box.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(typed)
    target = page.get_by_role("option", name=option, exact=True)
    expect(target).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    for _ in range(60):
        if target.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", target.get_attribute("id") or "")
    page.keyboard.press("Enter")
    expect(box).to_have_attribute("aria-expanded", "false")
    return box


def test_company_then_person_then_deal_with_the_source_carried_over(open_as_member, shot, tenant, sources):
    fair = sources["Trade fair"]
    page = open_as_member("companies/")
    page.get_by_role("link", name="Add company").click()
    page.get_by_label("Company name").fill("Acme Browser Sp. z o.o.")
    page.get_by_label("City").fill("Kraków")
    page.get_by_label("Tax ID").fill("PL5260001246")
    page.get_by_label("Acquisition source").select_option(label="Trade fair")
    shot("records-company-form-en")
    page.get_by_role("button", name="Add company").click()
    expect(page.get_by_text("Company “Acme Browser Sp. z o.o.” added.")).to_be_visible()
    expect(page.get_by_role("heading", name="Acme Browser Sp. z o.o.")).to_be_visible()
    company = Company.objects.for_account(tenant.account).get()
    assert company.source == fair

    # "Add person" on the company page opens the form linked to it, the company's source pre-filled.
    page.get_by_role("link", name="Add person").click()
    expect(combobox(page, "Company")).to_have_value("Acme Browser Sp. z o.o.")
    expect(chosen(page, "company")).to_have_value(str(company.pk))
    assert source_value(page) == str(fair.pk)
    page.get_by_label("First name").fill("Anna")
    page.get_by_label("Last name").fill("Nowak")
    page.get_by_label("Position").fill("Head of purchasing")
    shot("records-person-form-prefilled-en")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Person “Anna Nowak” added.")).to_be_visible()
    person = Person.objects.for_account(tenant.account).get()
    assert (person.company, person.source) == (company, fair)
    how = SourceChange.objects.for_account(tenant.account).get(record_type="person").how
    assert how == HowChanged.DEFAULT

    page.get_by_role("link", name="Add deal").click()
    expect(chosen(page, "person")).to_have_value(str(person.pk))
    expect(combobox(page, "Person")).to_have_value("Anna Nowak · Acme Browser Sp. z o.o.")
    expect(chosen(page, "company")).to_have_value(str(company.pk))
    assert source_value(page) == str(fair.pk)
    page.get_by_label("Deal name").fill("Framework agreement 2027")
    page.get_by_label("Value").fill("125000.50")
    shot("records-deal-form-en")
    page.get_by_role("button", name="Add deal").click()
    expect(page.get_by_text("Deal “Framework agreement 2027” added.")).to_be_visible()
    expect(page.locator(".deal-value")).to_have_text("125,000.50 PLN")
    shot("records-deal-detail-en")
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.company, deal.person, deal.source) == (company, person, fair)

    # The company page lists both; its history says how the source was set.
    page.get_by_role("link", name="Acme Browser Sp. z o.o.").first.click()
    expect(page.get_by_role("link", name="Anna Nowak")).to_be_visible()
    expect(page.get_by_role("link", name="Framework agreement 2027")).to_be_visible()
    expect(page.locator(".history")).to_contain_text("Trade fair")
    shot("records-company-detail-en")

    # Lists: the search box filters live (htmx swaps the table, the URL keeps the search).
    CompanyFactory.create_batch(3, account=tenant.account)
    page.get_by_role("link", name="Companies", exact=True).click()
    page.get_by_label("Search", exact=True).fill("acme browser")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Acme Browser Sp. z o.o.")
    expect(page).to_have_url(re.compile(r"q=acme(\+|%20)browser"))
    shot("records-company-list-en")
    # Typed without accents, found all the same ("Kraków").
    page.get_by_label("Search", exact=True).fill("acme krakow")
    expect(page).to_have_url(re.compile(r"q=acme(\+|%20)krakow"))
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Acme Browser Sp. z o.o.")
    PersonFactory(account=tenant.account, first_name="Jan", last_name="Dynowski")
    page.get_by_role("link", name="Persons", exact=True).click()
    page.get_by_label("Search", exact=True).fill("nowak")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Anna Nowak")
    shot("records-person-list-en")
    # Two letters find the words they begin (Nowak), not the letters inside one (Dynowski); the hint says so.
    page.get_by_label("Search", exact=True).fill("no")
    expect(page).to_have_url(re.compile(r"q=no(&|$)"))
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Anna Nowak")
    expect(page.get_by_text("One or two letters match the start of a word")).to_be_visible()
    shot("records-person-short-search-en")
    page.get_by_role("link", name="Deals", exact=True).click()
    page.get_by_label("Search", exact=True).fill("framework")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("125,000.50 PLN")
    shot("records-deal-list-en")


@pytest.fixture
def contacts(tenant, sources):
    """More companies than a picker renders, so Zeta and Plain are reachable only through the search."""
    CompanyFactory.create_batch(55, account=tenant.account, name="Filler company")
    return {
        "alpha": CompanyFactory(account=tenant.account, name="Alpha Widgets", source=sources["Website"]),
        "zeta": CompanyFactory(account=tenant.account, name="Zeta Works", source=sources["Trade fair"]),
        "plain": CompanyFactory(account=tenant.account, name="Plain Co"),
    }


def live_prefill_flow(page, sources, contacts, label="Company"):
    """Pick a company → the source fills; pick a source by hand → changing the company keeps it."""
    web, fair, referral = sources["Website"], sources["Trade fair"], sources["Referral"]
    alpha, zeta = contacts["alpha"], contacts["zeta"]

    pick(page, label, "alpha", "Alpha Widgets")
    expect(chosen(page, "company")).to_have_value(str(alpha.pk))
    assert source_value(page) == str(web.pk)

    # Zeta is not among the first 50 options the page came with: the typeahead asks the server.
    expect(chosen(page, "company").locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    pick(page, label, "zeta", "Zeta Works")
    expect(chosen(page, "company")).to_have_value(str(zeta.pk))
    assert source_value(page) == str(fair.pk)
    pick(page, label, "plain", "Plain Co")
    assert source_value(page) == ""

    # A hand-made choice is never overwritten by a later change of the company.
    page.locator("#id_source").select_option(str(referral.pk))
    pick(page, label, "alpha", "Alpha Widgets")
    expect(chosen(page, "company")).to_have_value(str(alpha.pk))
    assert source_value(page) == str(referral.pk)
    return alpha, referral


def test_live_prefill_on_the_deal_form(open_as_member, shot, tenant, sources, contacts):
    anna = PersonFactory(
        account=tenant.account, first_name="Anna", last_name="Person-source", source=sources["Referral"]
    )
    page = open_as_member("deals/new/")
    alpha, referral = live_prefill_flow(page, sources, contacts)
    page.locator("#id_name").fill("Hand-picked source")
    shot("records-deal-form-live-prefill-en")
    page.get_by_role("button", name="Add deal").click()
    expect(page.get_by_text("Deal “Hand-picked source” added.")).to_be_visible()
    page.reload()
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.company, deal.source) == (alpha, referral)
    expect(page.locator("dl.details")).to_contain_text("Referral")
    expect(page.locator(".history")).to_contain_text("chosen by a user")

    # On a fresh form the person's source wins over the company's while the user has not chosen by hand.
    page.goto(page.url.replace(f"/deals/{deal.pk}/", "/deals/new/"))
    pick(page, "Company", "alpha", "Alpha Widgets")
    assert source_value(page) == str(sources["Website"].pk)
    pick(page, "Person", "person-source", "Anna Person-source")
    expect(chosen(page, "person")).to_have_value(str(anna.pk))
    assert source_value(page) == str(sources["Referral"].pk)


def test_live_prefill_in_polish(open_as_member, shot, tenant, sources, contacts):
    page = open_as_member("persons/new/")
    page.get_by_label("Language", exact=True).select_option("pl")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page).to_have_url(re.compile(r"/persons/new/$"))
    alpha, referral = live_prefill_flow(page, sources, contacts, label="Firma")
    page.locator("#id_last_name").fill("Wiśniewska")
    shot("records-person-form-live-prefill-pl")
    page.locator("form.record-form button.button--primary").click()
    expect(page.locator(".message--success")).to_be_visible()
    page.reload()
    person = Person.objects.for_account(tenant.account).get()
    assert (person.company, person.source) == (alpha, referral)
    expect(page.locator("dl.details")).to_contain_text("Referral")
    shot("records-person-detail-pl")
    page.goto(page.url.replace(f"/persons/{person.pk}/", "/persons/"))
    page.locator("#id_q").fill("wiśniewska")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Alpha Widgets")
    shot("records-person-list-pl")
    # Two letters: the words they begin, and the hint in Polish, on a phone too.
    page.locator("#id_q").fill("wi")
    expect(page).to_have_url(re.compile(r"q=wi(&|$)"))
    expect(page.locator("#records")).to_contain_text("Wiśniewska")
    expect(page.get_by_text("Słowo z jednej lub dwóch liter musi zaczynać wyraz")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_text("Słowo z jednej lub dwóch liter musi zaczynać wyraz")).to_be_visible()
    shot("records-person-short-search-pl-phone")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(page.url.split("/persons/")[0] + "/deals/")
    shot("records-deal-list-pl")


def test_picking_a_person_fills_in_their_company(open_as_member, shot, tenant, sources, contacts):
    """The company follows the picked person until the user picks a company by hand; the source follows too."""
    alpha, zeta, plain = contacts["alpha"], contacts["zeta"], contacts["plain"]
    PersonFactory(company=zeta, first_name="Ola", last_name="Żuławska")
    jan = PersonFactory(company=alpha, first_name="Jan", last_name="Łoś", source=sources["Referral"])
    page = open_as_member("deals/new/")
    company = chosen(page, "company")

    # Zeta is not among the company options the form rendered: picking Ola adds it and selects it.
    expect(company.locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    pick(page, "Person", "żuławska", "Ola Żuławska · Zeta Works")
    expect(company).to_have_value(str(zeta.pk))
    expect(combobox(page, "Company")).to_have_value("Zeta Works")
    assert source_value(page) == str(sources["Trade fair"].pk)  # Ola has none: her company's
    shot("records-deal-person-fills-company-en")

    # A company filled in this way follows the next person.
    pick(page, "Person", "łoś", "Jan Łoś · Alpha Widgets")
    expect(company).to_have_value(str(alpha.pk))
    expect(combobox(page, "Company")).to_have_value("Alpha Widgets")
    assert source_value(page) == str(sources["Referral"].pk)  # Jan's own

    # One chosen by hand stays, whoever is picked next; the source still follows the person.
    pick(page, "Company", "plain", "Plain Co")
    pick(page, "Person", "żuławska", "Ola Żuławska · Zeta Works")
    expect(company).to_have_value(str(plain.pk))
    assert source_value(page) == ""  # neither Ola nor Plain Co has a source

    # Emptied by hand (the text deleted, the field left), the field is empty again: the next person fills it.
    combobox(page, "Company").focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.press("Tab")
    expect(company).to_have_value("")
    pick(page, "Person", "łoś", "Jan Łoś · Alpha Widgets")
    expect(company).to_have_value(str(alpha.pk))
    page.locator("#id_name").fill("Przegląd roczny")
    page.get_by_role("button", name="Add deal").click()
    expect(page.get_by_text("Deal “Przegląd roczny” added.")).to_be_visible()
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.company, deal.person, deal.source) == (alpha, jan, sources["Referral"])
    assert SourceChange.objects.for_account(tenant.account).get(record_id=deal.pk).how == HowChanged.DEFAULT

    # The list finds it by the person's name in capitals (Unicode case folding, on SQLite too).
    page.get_by_role("link", name="Deals", exact=True).click()
    page.get_by_label("Search", exact=True).fill("ŁOŚ przegląd")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Przegląd roczny")
    shot("records-deal-list-unicode-search-en")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_typeahead_creates_a_company_and_a_person_by_keyboard(open_as_member, shot, tenant, sources, language):
    """One typeahead field per contact: type, arrow down to "Create …", Enter; the record exists and is chosen."""
    web = sources["Website"]
    CompanyFactory(account=tenant.account, name="Nowak Consulting", source=web)
    page = open_as_member("deals/new/", language)
    company_label, person_label = t(language, "Company"), t(language, "Person")
    page.get_by_role("textbox", name=t(language, "Deal name")).focus()
    page.keyboard.type("Wdrożenie 2027")

    # A name that matches others only in part: the matches first, "Create company “Nowak”" last.
    box = combobox(page, company_label)
    box.focus()
    page.keyboard.type("Nowak")
    create_company = page.get_by_role("option", name=t(language, "Create company “%(name)s”", name="Nowak"))
    expect(create_company).to_be_visible()
    expect(page.get_by_role("option", name="Nowak Consulting")).to_be_visible()
    expect(box).to_have_attribute("aria-controls", "id_company_listbox")
    expect(page.locator("#id_company_listbox")).to_have_attribute("role", "listbox")
    page.keyboard.press("ArrowDown")
    expect(create_company).to_have_attribute("aria-selected", "true")
    shot(f"typeahead-create-company-{language}")
    # Escape closes the list and keeps the text; Down opens it again.
    page.keyboard.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(create_company).to_be_hidden()
    pick(page, company_label, "Nowak", t(language, "Create company “%(name)s”", name="Nowak"))
    expect(chosen(page, "company")).not_to_have_value("")  # created by the server, then chosen
    company = Company.objects.for_account(tenant.account).get(name="Nowak")
    expect(chosen(page, "company")).to_have_value(str(company.pk))
    expect(box).to_have_value("Nowak")
    assert (company.owner, company.source) == (tenant.member, None)

    # The person created from here joins the company picked here.
    pick(page, person_label, "Jan Kowalski", t(language, "Create person “%(name)s”", name="Jan Kowalski"))
    expect(combobox(page, person_label)).to_have_value("Jan Kowalski · Nowak")
    person = Person.objects.for_account(tenant.account).get(last_name="Kowalski")
    assert (person.first_name, person.company, person.owner) == ("Jan", company, tenant.member)
    expect(chosen(page, "person")).to_have_value(str(person.pk))
    shot(f"typeahead-created-person-{language}")

    # A refused name is said under the field, nothing is created and the choice stays.
    pick(page, company_label, "X" * 201, t(language, "Create company “%(name)s”", name="X" * 201))
    error = page.locator("#id_company_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("201")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(chosen(page, "company")).to_have_value(str(company.pk))
    assert Company.objects.for_account(tenant.account).count() == 2
    shot(f"typeahead-refused-{language}")
    box.focus()
    page.keyboard.press("Escape")  # back to the chosen company's name
    expect(box).to_have_value("Nowak")

    page.get_by_role("button", name=t(language, "Add deal")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".message--success")).to_be_visible()
    deal = Deal.objects.for_account(tenant.account).get()
    assert (deal.name, deal.company, deal.person) == ("Wdrożenie 2027", company, person)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_won_and_lost_from_the_deal_page_by_keyboard(open_as_member, shot, tenant, language):
    deal = DealFactory(account=tenant.account, name="Pilot 2027")
    page = open_as_member(f"deals/{deal.pk}/", language)
    details = page.locator("dl.details")
    expect(details).not_to_contain_text(t(language, "Closed on"))
    expect(details).not_to_contain_text(t(language, "Lost reason"))
    # The lost form is folded behind its button until asked for.
    lost_button = page.get_by_role("button", name=t(language, "Mark as lost"), exact=True)
    expect(lost_button).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_label(t(language, "Why was it lost?"))).to_be_hidden()
    shot(f"deal-status-buttons-{language}")

    page.get_by_role("button", name=t(language, "Mark as won")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".message--success")).to_have_text(
        t(language, "Deal “%(name)s” marked as won.", name="Pilot 2027")
    )
    expect(page.locator(".page-header .badge")).to_have_text(t(language, "Won"))
    deal.refresh_from_db()
    assert deal.status == "won"
    expect(page.locator("dl.details")).to_contain_text(t(language, "Closed on"))

    lost_button.focus()
    page.keyboard.press("Enter")
    expect(lost_button).to_have_attribute("aria-expanded", "true")
    reason = page.get_by_label(t(language, "Why was it lost?"))
    expect(reason).to_be_focused()
    page.keyboard.type("Za wysoka cena")
    shot(f"deal-lost-reason-{language}")
    page.keyboard.press("Enter")
    expect(page.locator(".message--success")).to_have_text(
        t(language, "Deal “%(name)s” marked as lost.", name="Pilot 2027")
    )
    expect(page.locator("dl.details")).to_contain_text("Za wysoka cena")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "Za wysoka cena")
    shot(f"deal-lost-{language}")

    page.get_by_role("button", name=t(language, "Reopen")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".message--success")).to_have_text(t(language, "Deal “%(name)s” reopened.", name="Pilot 2027"))
    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.lost_reason) == ("open", None, "")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_form_shows_closing_fields_for_closed_statuses_only(open_as_member, shot, tenant, language):
    page = open_as_member("deals/new/", language)
    closed_on = page.get_by_label(t(language, "Closed on"), exact=True)
    lost_reason = page.get_by_label(t(language, "Lost reason"), exact=True)
    expect(closed_on).to_be_hidden()
    expect(lost_reason).to_be_hidden()
    shot(f"deal-form-open-{language}")
    status = page.get_by_role("combobox", name=t(language, "Status"))
    status.select_option("won")
    expect(closed_on).to_be_visible()
    expect(lost_reason).to_be_hidden()
    status.select_option("lost")
    expect(closed_on).to_be_visible()
    expect(lost_reason).to_be_visible()
    shot(f"deal-form-lost-{language}")
    status.select_option("open")
    expect(closed_on).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_form_says_where_the_source_came_from(open_as_member, shot, tenant, sources, language):
    fair = sources["Trade fair"]
    fair.archived = True
    fair.save()
    CompanyFactory(account=tenant.account, name="Alpha Widgets", source=sources["Website"])
    CompanyFactory(account=tenant.account, name="Fair Co", source=fair)
    page = open_as_member("persons/new/", language)
    note = page.locator("#source-prefill-note")
    company_label = t(language, "Company")
    expect(note).to_have_attribute("aria-live", "polite")
    expect(page.locator("#id_source")).to_have_attribute("aria-describedby", "source-prefill-note")

    pick(page, company_label, "alpha", "Alpha Widgets")
    expect(note).to_have_text(t(language, "Source filled in from company %(name)s.", name="Alpha Widgets"))
    assert source_value(page) == str(sources["Website"].pk)
    shot(f"prefill-from-company-{language}")

    pick(page, company_label, "fair", "Fair Co")
    expect(note).to_have_text(
        t(
            language,
            "The source “%(source)s” of company %(name)s is archived, so nothing was filled in.",
            source="Trade fair",
            name="Fair Co",
        )
    )
    assert source_value(page) == ""
    shot(f"prefill-archived-{language}")

    # Chosen by hand: the sentence no longer applies.
    page.locator("#id_source").select_option(str(sources["Referral"].pk))
    expect(note).to_have_text("")

    # On a deal, the person's own source is named.
    anna = PersonFactory(account=tenant.account, first_name="Anna", last_name="Nowak", source=sources["Referral"])
    page.goto(page.url.replace("/persons/new/", "/deals/new/"))
    pick(page, t(language, "Person"), "nowak", "Anna Nowak")
    expect(page.locator("#source-prefill-note")).to_have_text(
        t(language, "Source filled in from person %(name)s.", name="Anna Nowak")
    )
    assert source_value(page) == str(anna.source.pk)


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_the_picker_is_a_search_then_select(open_as_member, shot, tenant, contacts):
    zeta = contacts["zeta"]
    page = open_as_member("deals/new/")
    page.get_by_role("textbox", name="Deal name").fill("Bez skryptów")
    select = page.locator('select[name="company"]')
    expect(select.locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    # Enter in the search box searches (a new search never saves), like its Search button.
    page.get_by_label("Search: Company").fill("zeta")
    page.get_by_label("Search: Company").press("Enter")
    expect(select.locator(f'option[value="{zeta.pk}"]')).to_have_count(1)
    assert not Deal.objects.for_account(tenant.account).exists()
    expect(select).to_be_focused()
    page.get_by_label("Search: Company").fill("plain")
    page.locator('button[name="_lookup"][value="company"]').click()
    expect(select.locator(f'option[value="{contacts["plain"].pk}"]')).to_have_count(1)
    expect(select.locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    page.get_by_label("Search: Company").fill("zeta")
    page.get_by_label("Search: Company").press("Enter")
    expect(page.get_by_role("textbox", name="Deal name")).to_have_value("Bez skryptów")
    select.select_option(str(zeta.pk))
    shot("typeahead-no-js-en")
    page.get_by_role("button", name="Add deal").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert Deal.objects.for_account(tenant.account).get().company == zeta


def test_the_filter_bar_picks_a_company_by_keyboard(open_as_member, shot, tenant, contacts):
    zeta = contacts["zeta"]
    DealFactory(company=zeta, name="Zeta renewal")
    DealFactory(company=contacts["alpha"], name="Alpha pilot")
    page = open_as_member("deals/")
    expect(page.locator("#records tbody tr")).to_have_count(2)
    pick(page, "Company", "zeta", "Zeta Works")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records")).to_contain_text("Zeta renewal")
    expect(page).to_have_url(re.compile(rf"company={zeta.pk}"))
    expect(page.get_by_role("option", name="Create company “zeta”")).to_have_count(0)
    shot("typeahead-filter-en")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_close_day_header_sorts_newest_close_first_then_oldest(open_as_member, shot, tenant, language):
    DealFactory(account=tenant.account, name="Still open")
    DealFactory(account=tenant.account, name="Won in March", status="won", closed_at=dt.date(2026, 3, 2))
    DealFactory(account=tenant.account, name="Lost in May", status="lost", closed_at=dt.date(2026, 5, 20))
    page = open_as_member("deals/", language)
    header = page.get_by_role("columnheader", name=t(language, "Closed on"))
    names = page.locator("#records tbody tr td:has(> a[href*='/deals/'])")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(names).to_have_text(["Lost in May", "Won in March", "Still open"])
    assert re.search(r"[?&]sort=-closed\b", page.url)
    shot(f"deals-by-close-day-{language}")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    # Ascending starts with the deals that have no close day.
    expect(names).to_have_text(["Still open", "Won in March", "Lost in May"])
