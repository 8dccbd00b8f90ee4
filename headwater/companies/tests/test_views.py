from __future__ import annotations

import pytest

from headwater.companies.models import Company
from headwater.core import pagination
from headwater.records.tests.view_contract import RecordViewContract, sources_on
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Acme",
        "tax_id": "",
        "regon": "",
        "website": "",
        "email": "",
        "phone": "",
        "street": "",
        "postal_code": "",
    }
    data |= {"city": "", "country": "", "owner": "", "notes": ""}
    return data | overrides


class TestCompanyPages(RecordViewContract):
    app, model, factory = "companies", Company, CompanyFactory

    def form_data(self, **overrides):
        return form_data(**overrides)


class TestList:
    def test_search_and_owner_filter(self, tenant, member_client):
        CompanyFactory(account=tenant.account, name="Kowalski Sp. z o.o.", city="Kraków", owner=tenant.member)
        CompanyFactory(account=tenant.account, name="Nowak SA", tax_id="PL123", city="Gdańsk")
        found = member_client.get(tenant.url("companies/"), {"q": "pl123"}).text
        assert "Nowak SA" in found
        assert "Kowalski" not in found
        mine = member_client.get(tenant.url("companies/"), {"owner": tenant.member.pk}).text
        assert "Kowalski" in mine
        assert "Nowak SA" not in mine
        unowned = member_client.get(tenant.url("companies/"), {"owner": "none"}).text
        assert "Nowak SA" in unowned
        assert "Kowalski" not in unowned

    def test_source_filter_including_no_source(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        CompanyFactory(account=tenant.account, name="With Web", source=web)
        CompanyFactory(account=tenant.account, name="Without")
        with_web = member_client.get(tenant.url("companies/"), {"source": web.pk}).text
        assert "With Web" in with_web
        assert "Without" not in with_web
        none = member_client.get(tenant.url("companies/"), {"source": "none"}).text
        assert "Without" in none
        assert "With Web" not in none

    def test_source_column_and_filter_only_when_feature_on(self, tenant, member_client):
        CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account, name="Trade fair"))
        off = member_client.get(tenant.url("companies/")).text
        assert "Acquisition source" not in off
        assert "Trade fair" not in off
        sources_on(tenant.account)
        on = member_client.get(tenant.url("companies/")).text
        assert 'for="id_source"' in on
        assert "Trade fair" in on

    def test_sorting_marks_the_column_and_reverses(self, tenant, member_client):
        CompanyFactory(account=tenant.account, name="Aardvark Ltd")
        CompanyFactory(account=tenant.account, name="Zebra Ltd")
        asc = member_client.get(tenant.url("companies/"), {"sort": "name"}).text
        desc = member_client.get(tenant.url("companies/"), {"sort": "-name"}).text
        assert asc.index("Aardvark Ltd") < asc.index("Zebra Ltd")
        assert desc.index("Zebra Ltd") < desc.index("Aardvark Ltd")
        assert 'aria-sort="ascending"' in asc
        assert 'aria-sort="descending"' in desc
        # Unknown keys fall back to the default sort instead of reaching the ORM.
        assert member_client.get(tenant.url("companies/"), {"sort": "owner__password"}).status_code == 200

    def test_htmx_gets_the_table_only(self, tenant, member_client):
        CompanyFactory(account=tenant.account, name="Acme")
        response = member_client.get(tenant.url("companies/"), {"q": "acme"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'id="records"' in response.text
        assert "Acme" in response.text
        restore = member_client.get(
            tenant.url("companies/"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
        )
        assert "<html" in restore.text

    def test_pages_and_counts(self, tenant, member_client, settings):
        settings.LIST_PAGE_SIZE = 2
        for name in ("A", "B", "C", "D", "E"):
            CompanyFactory(account=tenant.account, name=f"Firm {name}")
        first = member_client.get(tenant.url("companies/")).context
        assert [c.name for c in first["page"].rows] == ["Firm A", "Firm B"]
        assert "1\u20132 of 5" in member_client.get(tenant.url("companies/")).text
        second = member_client.get(tenant.url("companies/"), {"cursor": first["page"].next_cursor}).context
        assert [c.name for c in second["page"].rows] == ["Firm C", "Firm D"]
        settings.LIST_COUNT_LIMIT = 3
        # The statistics' tallies know the whole list's total exactly; a search is counted up to the limit.
        assert "1\u20132 of 5" in member_client.get(tenant.url("companies/")).text
        assert "1\u20132 of more than 3" in member_client.get(tenant.url("companies/"), {"q": "firm"}).text

    def test_a_search_expected_to_match_many_shows_an_estimate_labelled_as_one(
        self, tenant, member_client, settings, monkeypatch
    ):
        settings.LIST_PAGE_SIZE = 2
        settings.LIST_COUNT_LIMIT = 3
        for name in ("A", "B", "C", "D", "E"):
            CompanyFactory(account=tenant.account, name=f"Firm {name}")
        # The planner's figure for a big account; a test table's own would depend on its statistics.
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 634_036)
        english = member_client.get(tenant.url("companies/"), {"q": "firm"})
        assert [c.name for c in english.context["page"].rows] == ["Firm A", "Firm B"]
        assert "1\u20132 of about 630,000 (estimated)" in english.text
        polish = member_client.get(tenant.url("companies/"), {"q": "firm", "lang": "pl"}, HTTP_ACCEPT_LANGUAGE="pl")
        assert "1\u20132 z około 630\xa0000 (szacunkowo)" in polish.text
        # Without a search the count is exact (the tallies): no estimate is asked for.
        assert "1\u20132 of 5" in member_client.get(tenant.url("companies/")).text

    def test_bad_filter_value_shows_an_error_not_a_crash(self, tenant, member_client):
        CompanyFactory(account=tenant.account, name="Acme")
        response = member_client.get(tenant.url("companies/"), {"owner": "abc"})
        assert response.status_code == 200
        assert "field__error" in response.text
        assert "Acme" not in response.text.split('id="records"')[1]


class TestDetail:
    def test_shows_fields_links_and_history(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        company = CompanyFactory(account=tenant.account, name="Acme", city="Kraków", source=web)
        SourceChange.unscoped.create(
            account=tenant.account,
            record_type="company",
            record_id=company.pk,
            new_source_id=web.pk,
            new_name="Web",
            how=HowChanged.TYPED,
            user=tenant.admin,
        )
        PersonFactory(company=company, first_name="Anna", last_name="Nowak")
        DealFactory(company=company, name="Big order")
        text = member_client.get(tenant.url(f"companies/{company.pk}/")).text
        for expected in ("Acme", "Kraków", "Anna Nowak", "Big order", "Source history", "Admin of Alpha"):
            assert expected in text
        assert f"persons/new/?company={company.pk}" in text
        assert f"deals/new/?company={company.pk}" in text

    def test_archived_source_is_marked(self, tenant, member_client):
        sources_on(tenant.account)
        company = CompanyFactory(account=tenant.account, source=SourceFactory(account=tenant.account, archived=True))
        assert "badge--archived" in member_client.get(tenant.url(f"companies/{company.pk}/")).text


class TestWrite:
    def test_every_field_has_a_label(self, tenant, member_client):
        sources_on(tenant.account)
        text = member_client.get(tenant.url("companies/new/")).text
        for field in ("name", "tax_id", "website", "email", "phone", "street", "postal_code", "city", "country"):
            assert f'<label for="id_{field}">' in text
        assert "Acquisition source" in text

    def test_create_then_redirect_with_message(self, tenant, member_client):
        response = member_client.post(
            tenant.url("companies/new/"), form_data(name=" Acme ", city="Kraków", owner=tenant.member.pk), follow=True
        )
        company = Company.objects.for_account(tenant.account).get()
        assert (company.name, company.city, company.owner, company.created_by) == (
            "Acme",
            "Kraków",
            tenant.member,
            tenant.member,
        )
        assert response.redirect_chain[-1][0].endswith(f"/companies/{company.pk}/")
        assert "Company “<bdi>Acme</bdi>” added." in response.text

    def test_errors_shown_next_to_fields_and_nothing_saved(self, tenant, member_client):
        response = member_client.post(tenant.url("companies/new/"), form_data(name="", email="nope", city="x\x00"))
        assert response.status_code == 200
        assert response.text.count('class="field__error"') >= 2
        assert not Company.objects.for_account(tenant.account).exists()

    def test_control_character_refused_by_service_shown_on_field(self, tenant, member_client):
        response = member_client.post(tenant.url("companies/new/"), form_data(city="Kra\x07ków"))
        assert response.status_code == 200
        assert "control character" in response.text
        assert not Company.objects.for_account(tenant.account).exists()

    def test_owner_of_another_account_is_refused(self, tenant, other_tenant, member_client):
        response = member_client.post(tenant.url("companies/new/"), form_data(owner=other_tenant.member.pk))
        assert response.status_code == 200
        assert not Company.objects.for_account(tenant.account).exists()

    def test_foreign_or_archived_source_in_form_is_refused(self, tenant, other_tenant, member_client):
        sources_on(tenant.account)
        for source in (
            SourceFactory(account=other_tenant.account),
            SourceFactory(account=tenant.account, archived=True),
        ):
            response = member_client.post(tenant.url("companies/new/"), form_data(source=source.pk))
            assert response.status_code == 200
            assert "Select a valid choice" in response.text
        assert not Company.objects.for_account(tenant.account).exists()

    def test_editing_with_sources_off_keeps_the_source(self, tenant, member_client):
        web = SourceFactory(account=tenant.account)
        company = CompanyFactory(account=tenant.account, name="Old", source=web)
        member_client.post(tenant.url(f"companies/{company.pk}/edit/"), form_data(name="New", version=1))
        company.refresh_from_db()
        assert (company.name, company.source) == ("New", web)

    def test_edit_changes_then_clears_the_source(self, tenant, member_client):
        sources_on(tenant.account)
        web = SourceFactory(account=tenant.account, name="Web")
        fair = SourceFactory(account=tenant.account, name="Fair")
        company = CompanyFactory(account=tenant.account, source=web)
        url = tenant.url(f"companies/{company.pk}/edit/")
        assert member_client.post(url, form_data(version=1, source=fair.pk)).status_code == 302
        company.refresh_from_db()
        assert (company.source, company.version) == (fair, 2)
        assert member_client.post(url, form_data(version=2, source="")).status_code == 302
        company.refresh_from_db()
        assert (company.source, company.version) == (None, 3)
        changes = SourceChange.objects.for_account(tenant.account).filter(record_type="company", record_id=company.pk)
        assert list(changes.order_by("id").values_list("new_source_id", "how"))[-2:] == [
            (fair.pk, HowChanged.TYPED),
            (None, HowChanged.TYPED),
        ]

    def test_edit_keeps_archived_source_and_offers_it(self, tenant, member_client):
        sources_on(tenant.account)
        old = SourceFactory(account=tenant.account, name="Old fair", archived=True)
        SourceFactory(account=tenant.account, name="Retired", archived=True)
        company = CompanyFactory(account=tenant.account, source=old)
        page = member_client.get(tenant.url(f"companies/{company.pk}/edit/")).text
        assert "Old fair (archived)" in page
        assert "Retired" not in page
        response = member_client.post(
            tenant.url(f"companies/{company.pk}/edit/"), form_data(name="Renamed", version=1, source=old.pk)
        )
        assert response.status_code == 302
        company.refresh_from_db()
        assert (company.name, company.source) == ("Renamed", old)

    def test_delete_confirmation_says_what_stays(self, tenant, member_client):
        company = CompanyFactory(account=tenant.account, name="Acme")
        PersonFactory.create_batch(3, company=company)
        DealFactory.create_batch(5, company=company)
        page = member_client.get(tenant.url(f"companies/{company.pk}/delete/")).text
        assert "3 persons and 5 deals stay, without a company." in page
        response = member_client.post(tenant.url(f"companies/{company.pk}/delete/"), follow=True)
        assert "Company “<bdi>Acme</bdi>” deleted." in response.text
        assert not Company.objects.for_account(tenant.account).exists()

    def test_lookup_is_scoped_and_bounded(self, tenant, other_tenant, member_client):
        CompanyFactory(account=other_tenant.account, name="Acme Foreign")
        CompanyFactory.create_batch(60, account=tenant.account, name="Acme Local")
        text = member_client.get(tenant.url("companies/lookup/"), {"company_search": "acme"}).text
        assert "Acme Foreign" not in text
        assert text.count('role="option"') == 50
