"""The company and person typeahead through its pages: options, the no-JavaScript search, creating a record, and
the sentence that says where a pre-filled source came from (the browser side: deals/tests/test_browser.py)."""

from __future__ import annotations

import pytest

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, PersonFactory, SourceFactory
from headwater.testing.forms import form_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources(tenant):
    account = tenant.account
    account.sources_enabled = True
    account.source_default_from_contact = True
    account.save()
    fair = SourceFactory(account=account, name="Trade fair", archived=True)
    return {"web": SourceFactory(account=account, name="Website"), "fair": fair}


def _note(html):
    start = html.index('id="source-prefill-note"')
    return html[html.index(">", start) + 1 : html.index("</p>", start)]


class TestOptions:
    def test_the_field_is_a_select_with_a_search_fallback(self, tenant, member_client):
        html = member_client.get(tenant.url("deals/new/")).content.decode()
        for name in ("company", "person"):
            assert f'<select name="{name}" id="id_{name}">' in html
            assert f'name="{name}_search"' in html
            assert f'name="_lookup" value="{name}"' in html
        assert 'data-create-url="/a/alpha/companies/quick-create/"' in html
        assert 'data-create-url="/a/alpha/persons/quick-create/"' in html
        # The first submit button saves: Enter in a text field must not press a picker's Search button.
        assert html.index('class="default-submit"') < html.index('name="_lookup"')
        toolbar = member_client.get(tenant.url("deals/")).content.decode()
        assert "data-combobox" in toolbar
        assert "data-create-url" not in toolbar  # a filter picks, it never creates
        assert 'name="_lookup"' not in toolbar

    def test_options_say_what_the_prefill_copies_or_why_not(self, tenant, member_client, sources):
        CompanyFactory(account=tenant.account, name="Active Co", source=sources["web"])
        CompanyFactory(account=tenant.account, name="Fair Co", source=sources["fair"])
        html = member_client.get(tenant.url("companies/lookup/"), {"company_search": "co"}).content.decode()
        assert f'data-name="Active Co" data-source="{sources["web"].pk}">Active Co</li>' in html
        assert 'data-name="Fair Co" data-source-archived="Trade fair">Fair Co</li>' in html


class TestSearchWithoutJavaScript:
    def test_search_shows_the_matches_keeps_what_was_typed_and_saves_nothing(self, tenant, member_client):
        CompanyFactory.create_batch(55, account=tenant.account, name="Filler")
        zeta = CompanyFactory(account=tenant.account, name="Zeta Works")
        page = member_client.get(tenant.url("deals/new/")).content.decode()
        assert f'value="{zeta.pk}"' not in page  # beyond the first 50 options
        data = form_values(page) | {"name": "Typed first", "value": "12,50", "company_search": "zeta"}
        response = member_client.post(tenant.url("deals/new/"), data | {"_lookup": "company"})
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<option value="{zeta.pk}"' in html
        assert "Filler" not in html.split('name="company"')[1].split("</select>")[0]
        assert '<select name="company" autofocus id="id_company">' in html
        assert 'value="Typed first"' in html
        assert 'value="zeta"' in html
        assert "field__error" not in html
        assert not Deal.objects.for_account(tenant.account).exists()
        # Then choose and save, as a browser without JavaScript would.
        chosen = form_values(html) | {"company": str(zeta.pk)}
        assert member_client.post(tenant.url("deals/new/"), chosen).status_code == 302
        deal = Deal.objects.for_account(tenant.account).get()
        assert (deal.name, deal.company, str(deal.value)) == ("Typed first", zeta, "12.50")

    def test_the_filter_bar_searches_with_its_filter_button(self, tenant, member_client):
        CompanyFactory.create_batch(55, account=tenant.account, name="Filler")
        zeta = CompanyFactory(account=tenant.account, name="Zeta Works")
        html = member_client.get(tenant.url("persons/"), {"company_search": "zeta"}).content.decode()
        assert f'<option value="{zeta.pk}"' in html
        assert 'value="zeta"' in html

    @pytest.mark.parametrize(("path", "pickers"), [("deals/", ("company", "person")), ("persons/", ("company",))])
    def test_the_filter_bar_offers_the_chosen_record_and_a_search_s_matches_only(
        self, tenant, member_client, path, pickers
    ):
        """The first 50 records are not rendered into a filter bar (the combobox asks the lookup URL): half of a
        deal list page's time at a million deals went into them."""
        companies = CompanyFactory.create_batch(3, account=tenant.account, name="Alpha Co")
        persons = PersonFactory.create_batch(3, account=tenant.account, last_name="Nowak")
        chosen = {"company": companies[1], "person": persons[1]}

        def options(html, name):
            select = html.split(f'<select name="{name}"')[1].split("</select>")[0]
            return select.count("<option")

        html = member_client.get(tenant.url(path)).content.decode()
        assert all(options(html, name) == 1 for name in pickers)  # the empty choice alone
        html = member_client.get(tenant.url(path), {name: chosen[name].pk for name in pickers}).content.decode()
        for name in pickers:
            assert options(html, name) == 2
            assert f'<option value="{chosen[name].pk}" selected' in html
        html = member_client.get(tenant.url(path), {"company_search": "alpha"}).content.decode()
        assert options(html, "company") == 4


class TestCreateFromTheTypeahead:
    def test_a_member_creates_a_company_owned_by_them(self, tenant, member_client):
        answer = member_client.post(tenant.url("companies/quick-create/"), {"name": "  Nowa Firma  "})
        assert answer.status_code == 200
        company = Company.objects.for_account(tenant.account).get()
        assert (company.name, company.owner, company.created_by) == ("Nowa Firma", tenant.member, tenant.member)
        assert f'<li role="option" data-value="{company.pk}" data-name="Nowa Firma">Nowa Firma</li>' in answer.text

    def test_a_person_joins_the_picked_company_and_takes_its_source(self, tenant, member_client, sources):
        acme = CompanyFactory(account=tenant.account, name="Acme", source=sources["web"])
        answer = member_client.post(
            tenant.url("persons/quick-create/"), {"name": "Anna Maria Nowak", "company": str(acme.pk)}
        )
        assert answer.status_code == 200
        person = Person.objects.for_account(tenant.account).get()
        assert (person.first_name, person.last_name, person.company) == ("Anna Maria", "Nowak", acme)
        assert (person.source, person.owner) == (sources["web"], tenant.member)
        change = SourceChange.objects.for_account(tenant.account).get(record_type="person")
        assert change.how == HowChanged.DEFAULT
        assert f'data-company="{acme.pk}"' in answer.text
        assert "Anna Maria Nowak · Acme</li>" in answer.text

    @pytest.mark.parametrize(
        ("path", "data", "message"),
        [
            ("companies/quick-create/", {"name": "N" * 500}, "At most 200 characters; you typed 500."),
            ("companies/quick-create/", {"name": "   "}, "This field is required."),
            ("persons/quick-create/", {"name": "Jan " + "K" * 150}, "At most 100 characters; you typed 150."),
            ("persons/quick-create/", {"name": "Jan", "company": "¹"}, "Choose a company of this account."),
            ("persons/quick-create/", {"name": "Jan", "company": "999999"}, "Choose a company of this account."),
        ],
    )
    def test_refused_input_says_why_and_creates_nothing(self, tenant, member_client, path, data, message):
        answer = member_client.post(tenant.url(path), data)
        assert answer.status_code == 400
        assert answer.content.decode().strip() == f'<p class="field__error" role="alert">{message}</p>'

        assert not Company.objects.for_account(tenant.account).exists()
        assert not Person.objects.for_account(tenant.account).exists()

    def test_viewers_cannot_create_and_nobody_creates_with_get(self, tenant, viewer_client, member_client):
        assert viewer_client.post(tenant.url("companies/quick-create/"), {"name": "X"}).status_code == 403
        assert viewer_client.post(tenant.url("persons/quick-create/"), {"name": "X"}).status_code == 403
        assert member_client.get(tenant.url("companies/quick-create/"), {"name": "X"}).status_code == 405
        assert not Company.objects.for_account(tenant.account).exists()
        assert not Person.objects.for_account(tenant.account).exists()


class TestPrefillExplained:
    def test_the_form_says_which_company_the_source_came_from(self, tenant, member_client, sources):
        acme = CompanyFactory(account=tenant.account, name="Acme", source=sources["web"])
        html = member_client.get(tenant.url("persons/new/"), {"company": acme.pk}).content.decode()
        assert _note(html) == "Source filled in from company Acme."
        assert 'aria-describedby="source-prefill-note"' in html

    def test_a_person_s_source_wins_and_is_named(self, tenant, member_client, sources):
        acme = CompanyFactory(account=tenant.account, name="Acme", source=sources["fair"])
        anna = PersonFactory(company=acme, first_name="Anna", last_name="Nowak", source=sources["web"])
        html = member_client.get(tenant.url("deals/new/"), {"person": anna.pk}).content.decode()
        assert _note(html) == "Source filled in from person Anna Nowak."

    def test_an_archived_source_is_why_nothing_was_filled_in(self, tenant, member_client, sources):
        fair_co = CompanyFactory(account=tenant.account, name="Fair Co", source=sources["fair"])
        html = member_client.get(tenant.url("persons/new/"), {"company": fair_co.pk}).content.decode()
        assert _note(html) == "The source “Trade fair” of company Fair Co is archived, so nothing was filled in."
        assert '<option value="" selected>' in html.split('name="source"')[1]
        member_client.cookies["django_language"] = "pl"
        polish = member_client.get(tenant.url("persons/new/"), {"company": fair_co.pk}).content.decode()
        assert "Fair Co" in _note(polish)
        assert "Trade fair" in _note(polish)
        assert "archived" not in _note(polish)

    def test_after_a_refused_save_the_note_stays_unless_the_source_was_chosen(self, tenant, member_client, sources):
        acme = CompanyFactory(account=tenant.account, name="Acme", source=sources["web"])
        data = {"last_name": "", "company": str(acme.pk), "source": str(sources["web"].pk), "source_touched": "False"}
        html = member_client.post(tenant.url("persons/new/") + f"?company={acme.pk}", data).content.decode()
        assert _note(html) == "Source filled in from company Acme."
        html = member_client.post(
            tenant.url("persons/new/") + f"?company={acme.pk}", data | {"source_touched": "True"}
        ).content.decode()
        assert _note(html) == ""

    def test_no_note_when_the_default_rule_is_off_or_on_an_edit_form(self, tenant, member_client, sources):
        acme = CompanyFactory(account=tenant.account, name="Acme", source=sources["web"])
        person = PersonFactory(company=acme)
        assert "source-prefill-note" not in member_client.get(tenant.url(f"persons/{person.pk}/edit/")).text
        tenant.account.source_default_from_contact = False
        tenant.account.save()
        assert "source-prefill-note" not in member_client.get(tenant.url("persons/new/"), {"company": acme.pk}).text
