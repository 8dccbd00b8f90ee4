"""Companies, persons and deals in Chromium: the create flow from a company, the live source pre-fill, lists."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, PersonFactory, SourceFactory

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
    expect(page.get_by_label("Company", exact=True)).to_have_value(str(company.pk))
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
    expect(page.get_by_label("Person", exact=True)).to_have_value(str(person.pk))
    expect(page.get_by_label("Company", exact=True)).to_have_value(str(company.pk))
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


def live_prefill_flow(page, sources, contacts):
    """Pick a company → the source fills; pick a source by hand → changing the company keeps it."""
    web, fair, referral = sources["Website"], sources["Trade fair"], sources["Referral"]
    alpha, zeta, plain = contacts["alpha"], contacts["zeta"], contacts["plain"]

    company = page.locator("#id_company")
    company.select_option(str(alpha.pk))
    assert source_value(page) == str(web.pk)

    # Zeta is not among the first 50 options: the search-as-you-type brings it in, the choice stays meanwhile.
    expect(company.locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    page.locator("#id_company_search").fill("zeta")
    expect(company.locator(f'option[value="{zeta.pk}"]')).to_have_count(1)
    expect(company).to_have_value(str(alpha.pk))
    company.select_option(str(zeta.pk))
    assert source_value(page) == str(fair.pk)
    page.locator("#id_company_search").fill("plain")
    expect(company.locator(f'option[value="{plain.pk}"]')).to_have_count(1)
    company.select_option(str(plain.pk))
    assert source_value(page) == ""

    # A hand-made choice is never overwritten by a later change of the company.
    page.locator("#id_source").select_option(str(referral.pk))
    page.locator("#id_company_search").fill("alpha")
    expect(company.locator(f'option[value="{alpha.pk}"]')).to_have_count(1)
    company.select_option(str(alpha.pk))
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
    page.locator("#id_company").select_option(str(alpha.pk))
    assert source_value(page) == str(sources["Website"].pk)
    page.locator("#id_person_search").fill("person-source")
    expect(page.locator(f'#id_person option[value="{anna.pk}"]')).to_have_count(1)
    page.locator("#id_person").select_option(str(anna.pk))
    assert source_value(page) == str(sources["Referral"].pk)


def test_live_prefill_in_polish(open_as_member, shot, tenant, sources, contacts):
    page = open_as_member("persons/new/")
    page.get_by_label("Language", exact=True).select_option("pl")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page).to_have_url(re.compile(r"/persons/new/$"))
    alpha, referral = live_prefill_flow(page, sources, contacts)
    page.locator("#id_last_name").fill("Wiśniewska")
    shot("records-person-form-live-prefill-pl")
    page.locator("form.record-form button[type=submit]").click()
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
    ola = PersonFactory(company=zeta, first_name="Ola", last_name="Żuławska")
    jan = PersonFactory(company=alpha, first_name="Jan", last_name="Łoś", source=sources["Referral"])
    page = open_as_member("deals/new/")
    company, person = page.locator("#id_company"), page.locator("#id_person")

    # Zeta is not among the company options the form rendered: picking Ola adds it and selects it.
    expect(company.locator(f'option[value="{zeta.pk}"]')).to_have_count(0)
    person.select_option(str(ola.pk))
    expect(company).to_have_value(str(zeta.pk))
    expect(company.locator("option:checked")).to_have_text("Zeta Works")
    assert source_value(page) == str(sources["Trade fair"].pk)  # Ola has none: her company's
    shot("records-deal-person-fills-company-en")

    # A company filled in this way follows the next person.
    person.select_option(str(jan.pk))
    expect(company).to_have_value(str(alpha.pk))
    assert source_value(page) == str(sources["Referral"].pk)  # Jan's own

    # One chosen by hand stays, whoever is picked next; the source still follows the person.
    page.locator("#id_company_search").fill("plain")
    expect(company.locator(f'option[value="{plain.pk}"]')).to_have_count(1)
    company.select_option(str(plain.pk))
    person.select_option(str(ola.pk))
    expect(company).to_have_value(str(plain.pk))
    assert source_value(page) == ""  # neither Ola nor Plain Co has a source

    # Emptied by hand, the field is empty again: the next person fills it.
    company.select_option("")
    person.select_option(str(jan.pk))
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
