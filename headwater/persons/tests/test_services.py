from __future__ import annotations

import pytest

from headwater.core.errors import Conflict, NotFound, ValidationFailed
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.persons.services import person_create, person_delete, person_update
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


def history(account, record):
    return list(
        SourceChange.objects.for_account(account)
        .filter(record_type="person", record_id=record.pk)
        .order_by("at", "id")
        .values_list("old_source_id", "new_source_id", "how", "user_id")
    )


def switch(account, *, enabled=True, default=True):
    account.sources_enabled = enabled
    account.source_default_from_contact = default
    account.save()
    return account


class TestCreate:
    def test_creates_person_in_company(self, tenant, account):
        company = CompanyFactory(account=account)
        person = person_create(
            account=account, user=tenant.member, first_name=" Anna ", last_name=" Nowak ", company=company.pk
        )
        person.refresh_from_db()
        assert (person.first_name, person.last_name, person.company) == ("Anna", "Nowak", company)
        assert person.full_name == "Anna Nowak"

    def test_first_name_optional_last_name_required(self, tenant, account):
        assert person_create(account=account, user=tenant.member, last_name="Kowalski").first_name == ""
        with pytest.raises(ValidationFailed) as exc:
            person_create(account=account, user=tenant.member, first_name="Jan", last_name="  ")
        assert list(exc.value.fields) == ["last_name"]

    def test_company_of_another_account_is_refused(self, tenant, other_tenant, account):
        foreign = CompanyFactory(account=other_tenant.account)
        for value in (foreign, foreign.pk, 987654321):
            with pytest.raises(ValidationFailed) as exc:
                person_create(account=account, user=tenant.member, last_name="Nowak", company=value)
            assert list(exc.value.fields) == ["company"]
        assert not Person.objects.for_account(account).exists()


class TestDefaulting:
    """The seed's automatic transfer: a new person takes the company's source when the option is on."""

    def test_company_source_is_the_default(self, tenant, account):
        switch(account)
        web = SourceFactory(account=account)
        company = CompanyFactory(account=account, source=web)
        person = person_create(account=account, user=tenant.member, last_name="Nowak", company=company)
        assert person.source == web
        assert history(account, person) == [(None, web.pk, HowChanged.DEFAULT, tenant.member.pk)]

    def test_option_off_gives_no_source(self, tenant, account):
        switch(account, default=False)
        company = CompanyFactory(account=account, source=SourceFactory(account=account))
        person = person_create(account=account, user=tenant.member, last_name="Nowak", company=company)
        assert person.source is None
        assert history(account, person) == []

    def test_feature_off_gives_no_source(self, tenant, account):
        switch(account, enabled=False, default=True)
        company = CompanyFactory(account=account, source=SourceFactory(account=account))
        person = person_create(account=account, user=tenant.member, last_name="Nowak", company=company)
        assert person.source is None

    def test_no_company_gives_no_source(self, tenant, account):
        switch(account)
        assert person_create(account=account, user=tenant.member, last_name="Nowak").source is None

    def test_archived_company_source_is_not_carried(self, tenant, account):
        switch(account)
        company = CompanyFactory(account=account, source=SourceFactory(account=account, archived=True))
        person = person_create(account=account, user=tenant.member, last_name="Nowak", company=company)
        assert person.source is None

    def test_explicit_none_and_explicit_source_win_over_the_default(self, tenant, account):
        switch(account)
        web, fair = SourceFactory(account=account), SourceFactory(account=account)
        company = CompanyFactory(account=account, source=web)
        none = person_create(account=account, user=tenant.member, last_name="A", company=company, source=None)
        picked = person_create(account=account, user=tenant.member, last_name="B", company=company, source=fair)
        kept = person_create(
            account=account,
            user=tenant.member,
            last_name="C",
            company=company,
            source=web,
            source_how=HowChanged.DEFAULT,
        )
        assert none.source is None
        assert picked.source == fair
        assert history(account, picked)[0][2] == HowChanged.TYPED
        assert history(account, kept)[0][2] == HowChanged.DEFAULT

    def test_changing_the_company_later_is_not_retroactive(self, tenant, account):
        switch(account)
        web = SourceFactory(account=account)
        person = person_create(account=account, user=tenant.member, last_name="Nowak")
        company = CompanyFactory(account=account, source=web)
        updated = person_update(account=account, user=tenant.member, person=person, version=1, company=company)
        assert updated.company == company
        assert updated.source is None


class TestUpdateDelete:
    def test_conflict_on_stale_version(self, tenant, account):
        person = PersonFactory(account=account, last_name="Nowak")
        person_update(account=account, user=tenant.member, person=person, version=1, position="CEO")
        with pytest.raises(Conflict):
            person_update(account=account, user=tenant.member, person=person, version=1, position="CTO")
        person.refresh_from_db()
        assert (person.position, person.version) == ("CEO", 2)

    def test_moving_to_another_accounts_company_is_refused(self, tenant, other_tenant, account):
        person = PersonFactory(account=account)
        foreign = CompanyFactory(account=other_tenant.account)
        with pytest.raises(ValidationFailed):
            person_update(account=account, user=tenant.member, person=person, version=1, company=foreign.pk)
        person.refresh_from_db()
        assert person.company is None

    def test_clearing_the_company(self, tenant, account):
        person = PersonFactory(company=CompanyFactory(account=account))
        assert (
            person_update(account=account, user=tenant.member, person=person, version=1, company=None).company is None
        )

    def test_delete_keeps_deals_unlinked(self, tenant, account):
        person = PersonFactory(account=account)
        deal = DealFactory(person=person)
        person_delete(account=account, user=tenant.member, person=person)
        deal.refresh_from_db()
        assert deal.person is None
        assert Deal.objects.for_account(account).filter(pk=deal.pk).exists()

    def test_delete_of_another_accounts_person_is_not_found(self, tenant, other_tenant, account):
        foreign = PersonFactory(account=other_tenant.account)
        with pytest.raises(NotFound):
            person_delete(account=account, user=tenant.member, person=foreign)
        assert Person.objects.for_account(other_tenant.account).filter(pk=foreign.pk).exists()
