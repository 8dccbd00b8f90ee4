from __future__ import annotations

import pytest

from headwater.persons.models import Person
from headwater.records.tests.view_contract import RecordViewContract, sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {"first_name": "Anna", "last_name": "Nowak", "email": "", "phone": "", "position": "", "company": ""}
    return data | {"owner": "", "notes": ""} | overrides


def source_hows(account, person):
    return list(
        SourceChange.objects.for_account(account)
        .filter(record_type="person", record_id=person.pk)
        .values_list("how", flat=True)
    )


class TestPersonPages(RecordViewContract):
    app, model, factory = "persons", Person, PersonFactory
    label_field, factory_defaults = "last_name", {"first_name": ""}

    def form_data(self, **overrides):
        return form_data(first_name="", **overrides)


class TestList:
    def test_search_by_name_email_and_company(self, tenant, member_client):
        acme = CompanyFactory(account=tenant.account, name="Acme")
        PersonFactory(company=acme, first_name="Anna", last_name="Kowalska")
        PersonFactory(account=tenant.account, first_name="Jan", last_name="Nowak", email="jan@firm.test")
        PersonFactory(account=tenant.account, first_name="Jan", last_name="Zieliński")

        def names(**params):
            return {p.full_name for p in member_client.get(tenant.url("persons/"), params).context["page"].rows}

        assert names(q="acme") == {"Anna Kowalska"}
        assert names(q="jan nowak") == {"Jan Nowak"}
        assert names(q="FIRM.test") == {"Jan Nowak"}
        assert names(company=acme.pk) == {"Anna Kowalska"}

    def test_short_search_finds_words_that_begin_with_it_and_says_so(self, tenant, member_client):
        """ "ko" finds a surname, the second half of a double-barrelled one and a company name starting "Ko";
        not Makowski, where "ko" is inside the word. The search field says so, in both languages."""
        kolo = CompanyFactory(account=tenant.account, name="Kołobrzeg Port")
        PersonFactory(account=tenant.account, first_name="Jan", last_name="Kowalski")
        PersonFactory(account=tenant.account, first_name="Anna", last_name="Nowak-Kowalska")
        PersonFactory(company=kolo, first_name="Ewa", last_name="Lis")
        PersonFactory(account=tenant.account, first_name="Piotr", last_name="Makowski")
        response = member_client.get(tenant.url("persons/"), {"q": "ko"})
        found = {p.full_name for p in response.context["page"].rows}
        assert found == {"Jan Kowalski", "Anna Nowak-Kowalska", "Ewa Lis"}
        assert 'aria-describedby="id_q_helptext"' in response.text
        assert "One or two letters match the start of a word" in response.text
        member_client.cookies["django_language"] = "pl"
        polish = member_client.get(tenant.url("persons/"), {"q": "k"})
        assert {p.full_name for p in polish.context["page"].rows} == found
        assert "Słowo z jednej lub dwóch liter musi zaczynać wyraz" in polish.text

    def test_company_filter_of_another_account_is_404(self, tenant, other_tenant, member_client):
        foreign = CompanyFactory(account=other_tenant.account)
        assert member_client.get(tenant.url("persons/"), {"company": foreign.pk}).status_code == 404

    def test_sort_by_name_uses_last_then_first_name(self, tenant, member_client):
        for first, last in (("Zofia", "Adamska"), ("Adam", "Nowak"), ("Anna", "Nowak")):
            PersonFactory(account=tenant.account, first_name=first, last_name=last)
        rows = member_client.get(tenant.url("persons/"), {"sort": "name"}).context["page"].rows
        assert [p.full_name for p in rows] == ["Zofia Adamska", "Adam Nowak", "Anna Nowak"]


class TestCreate:
    def test_from_company_page_pre_links_and_pre_fills(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        acme = CompanyFactory(account=tenant.account, name="Acme", source=web)
        form = member_client.get(tenant.url("persons/new/"), {"company": acme.pk}).context["form"]
        assert form.initial["company"] == acme.pk
        assert form.initial["source"] == web.pk
        html = member_client.get(tenant.url("persons/new/"), {"company": acme.pk}).text
        assert "data-prefill-source" in html
        assert f'data-source="{web.pk}"' in html

    def test_no_prefill_when_option_off(self, tenant, member_client):
        sources_on(tenant.account, default=False)
        acme = CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account))
        response = member_client.get(tenant.url("persons/new/"), {"company": acme.pk})
        assert "source" not in response.context["form"].initial
        assert "data-prefill-source" not in response.text
        assert "data-source=" not in response.text

    @pytest.mark.parametrize("value", ["foreign", "999999", "abc"])
    def test_company_param_outside_the_account_is_404(self, tenant, other_tenant, member_client, value):
        if value == "foreign":
            value = CompanyFactory(account=other_tenant.account).pk
        assert member_client.get(tenant.url("persons/new/"), {"company": value}).status_code == 404

    def test_foreign_company_in_posted_form_is_404_and_nothing_saved(self, tenant, other_tenant, member_client):
        foreign = CompanyFactory(account=other_tenant.account)
        response = member_client.post(tenant.url("persons/new/"), form_data(company=foreign.pk))
        assert response.status_code == 404
        assert not Person.objects.for_account(tenant.account).exists()

    def test_kept_prefill_is_recorded_as_default(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account)
        acme = CompanyFactory(account=tenant.account, source=web)
        member_client.post(
            tenant.url("persons/new/"), form_data(company=acme.pk, source=web.pk, source_touched="False")
        )
        person = Person.objects.for_account(tenant.account).get()
        assert person.source == web
        assert source_hows(tenant.account, person) == [HowChanged.DEFAULT]

    def test_hand_picked_source_is_recorded_as_typed(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account)
        acme = CompanyFactory(account=tenant.account, source=web)
        member_client.post(tenant.url("persons/new/"), form_data(company=acme.pk, source=web.pk, source_touched="True"))
        person = Person.objects.for_account(tenant.account).get()
        assert source_hows(tenant.account, person) == [HowChanged.TYPED]

    def test_cleared_prefill_saves_no_source(self, tenant, member_client):
        sources_on(tenant.account)
        acme = CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account))
        member_client.post(tenant.url("persons/new/"), form_data(company=acme.pk, source="", source_touched="True"))
        person = Person.objects.for_account(tenant.account).get()
        assert person.source is None
        assert source_hows(tenant.account, person) == []

    def test_last_name_required_error_on_field(self, tenant, member_client):
        response = member_client.post(tenant.url("persons/new/"), form_data(last_name="   "))
        assert response.status_code == 200
        assert "field--error" in response.text
        assert not Person.objects.for_account(tenant.account).exists()


class TestEditDelete:
    def test_edit_does_not_re_default_when_company_changes(self, tenant, member_client):
        sources_on(tenant.account)
        person = PersonFactory(account=tenant.account, last_name="Nowak")
        acme = CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account))
        page = member_client.get(tenant.url(f"persons/{person.pk}/edit/")).text
        assert "data-prefill-source" not in page
        member_client.post(tenant.url(f"persons/{person.pk}/edit/"), form_data(company=acme.pk, source="", version=1))
        person.refresh_from_db()
        assert (person.company, person.source) == (acme, None)

    def test_detail_shows_company_deals_and_add_deal(self, tenant, member_client):
        acme = CompanyFactory(account=tenant.account, name="Acme")
        person = PersonFactory(company=acme, first_name="Anna", last_name="Nowak")
        DealFactory(person=person, name="Licence renewal")
        text = member_client.get(tenant.url(f"persons/{person.pk}/")).text
        assert "Acme" in text
        assert "Licence renewal" in text
        assert f"deals/new/?person={person.pk}" in text

    def test_delete_confirmation_and_delete(self, tenant, member_client):
        person = PersonFactory(account=tenant.account, first_name="Anna", last_name="Nowak")
        DealFactory.create_batch(2, person=person)
        assert "2 deals stay, without a person." in member_client.get(tenant.url(f"persons/{person.pk}/delete/")).text
        assert member_client.post(tenant.url(f"persons/{person.pk}/delete/")).status_code == 302
        assert not Person.objects.for_account(tenant.account).exists()
