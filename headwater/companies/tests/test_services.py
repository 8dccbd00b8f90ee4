from __future__ import annotations

import pytest

from headwater.companies.models import Company
from headwater.companies.services import company_create, company_delete, company_update
from headwater.core.errors import Conflict, FeatureDisabled, NotFound, ValidationFailed
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import HowChanged, SourceChange
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def history(account, record):
    return list(
        SourceChange.objects.for_account(account)
        .filter(record_type=record._meta.model_name, record_id=record.pk)
        .order_by("at", "id")
        .values_list("old_source_id", "new_source_id", "how")
    )


@pytest.fixture
def sources_on(account):
    account.sources_enabled = True
    account.source_default_from_contact = True
    account.save()
    return account


class TestCreate:
    def test_creates_with_trimmed_fields_and_audit(self, tenant, account):
        company = company_create(
            account=account,
            user=tenant.member,
            name="  Acme  ",
            city=" Kraków ",
            email="office@acme.test",
            owner=tenant.viewer,
            notes="  keep\n  indentation ",
        )
        company.refresh_from_db()
        assert (company.name, company.city, company.owner, company.created_by) == (
            "Acme",
            "Kraków",
            tenant.viewer,
            tenant.member,
        )
        assert company.notes == "  keep\n  indentation "
        assert company.version == 1
        assert company.account == account

    def test_owner_given_as_id(self, tenant, account):
        company = company_create(account=account, user=tenant.admin, name="Acme", owner=tenant.member.pk)
        assert company.owner == tenant.member

    @pytest.mark.parametrize("name", ["", "   ", None])
    def test_name_required(self, tenant, account, name):
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=account, user=tenant.admin, name=name)
        assert "name" in exc.value.fields
        assert not Company.objects.for_account(account).exists()

    def test_invalid_email_and_nul_are_refused_per_field(self, tenant, account):
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=account, user=tenant.admin, name="Acme", email="not-an-email", city="Ber\x00lin")
        assert set(exc.value.fields) >= {"email", "city"}
        assert not Company.objects.for_account(account).exists()

    def test_too_long_name_is_refused(self, tenant, account):
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=account, user=tenant.admin, name="x" * 201)
        assert "name" in exc.value.fields

    def test_owner_from_another_account_is_refused(self, tenant, other_tenant, account):
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=account, user=tenant.admin, name="Acme", owner=other_tenant.member)
        assert "owner" in exc.value.fields
        outsider = UserFactory()
        with pytest.raises(ValidationFailed):
            company_create(account=account, user=tenant.admin, name="Acme", owner=outsider.pk)
        assert not Company.objects.for_account(account).exists()

    def test_source_of_another_account_is_refused(self, tenant, other_tenant, sources_on):
        foreign = SourceFactory(account=other_tenant.account)
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=sources_on, user=tenant.admin, name="Acme", source=foreign)
        assert "source" in exc.value.fields
        with pytest.raises(ValidationFailed):
            company_create(account=sources_on, user=tenant.admin, name="Acme", source=foreign.pk)
        assert not Company.objects.for_account(sources_on).exists()

    def test_archived_source_is_refused_for_a_new_choice(self, tenant, sources_on):
        archived = SourceFactory(account=sources_on, archived=True, name="Old fair")
        with pytest.raises(ValidationFailed) as exc:
            company_create(account=sources_on, user=tenant.admin, name="Acme", source=archived)
        assert "archived" in exc.value.fields["source"][0]

    def test_explicit_source_is_recorded_with_how(self, tenant, sources_on):
        web = SourceFactory(account=sources_on)
        typed = company_create(account=sources_on, user=tenant.admin, name="Typed", source=web)
        api = company_create(account=sources_on, user=tenant.admin, name="Api", source=web, source_how=HowChanged.API)
        assert typed.source == web
        assert history(sources_on, typed) == [(None, web.pk, HowChanged.TYPED)]
        assert history(sources_on, api) == [(None, web.pk, HowChanged.API)]

    def test_unset_or_none_source_gives_no_source_and_no_history(self, tenant, sources_on):
        unset = company_create(account=sources_on, user=tenant.admin, name="Unset")
        none = company_create(account=sources_on, user=tenant.admin, name="None", source=None)
        assert unset.source is None
        assert none.source is None
        assert history(sources_on, unset) == history(sources_on, none) == []

    def test_source_while_feature_off_is_refused(self, tenant, account):
        web = SourceFactory(account=account)
        for value in (web, None):
            with pytest.raises(FeatureDisabled) as exc:
                company_create(account=account, user=tenant.admin, name="Acme", source=value)
            assert "source" in exc.value.fields
        assert not Company.objects.for_account(account).exists()


class TestUpdate:
    def test_changes_named_fields_and_bumps_version(self, tenant, account):
        company = CompanyFactory(account=account, name="Old", city="Gdańsk")
        before = company.updated_at
        updated = company_update(account=account, user=tenant.member, company=company, version=1, name=" New ")
        assert (updated.name, updated.city, updated.version) == ("New", "Gdańsk", 2)
        assert updated.updated_at > before
        company.refresh_from_db()
        assert company.name == "New"

    def test_stale_version_is_a_conflict_and_changes_nothing(self, tenant, account):
        company = CompanyFactory(account=account, name="Old")
        company_update(account=account, user=tenant.member, company=company, version=1, name="First")
        with pytest.raises(Conflict):
            company_update(account=account, user=tenant.member, company=company, version=1, name="Second")
        company.refresh_from_db()
        assert (company.name, company.version) == ("First", 2)

    @pytest.mark.parametrize("key", ["account", "id", "version", "created_by", "created_at", "nmae"])
    def test_unknown_or_protected_keys_are_refused(self, tenant, account, key):
        company = CompanyFactory(account=account, name="Old")
        with pytest.raises(TypeError):
            company_update(account=account, user=tenant.member, company=company, version=1, **{key: 1})
        company.refresh_from_db()
        assert company.version == 1

    def test_other_accounts_company_is_not_found(self, tenant, other_tenant, account):
        foreign = CompanyFactory(account=other_tenant.account, name="Theirs")
        with pytest.raises(NotFound):
            company_update(account=account, user=tenant.member, company=foreign, version=1, name="Mine")
        foreign.refresh_from_db()
        assert foreign.name == "Theirs"

    def test_update_without_source_keeps_it_even_with_feature_off(self, tenant, sources_on):
        web = SourceFactory(account=sources_on)
        company = company_create(account=sources_on, user=tenant.admin, name="Acme", source=web)
        sources_on.sources_enabled = False
        sources_on.save()
        updated = company_update(account=sources_on, user=tenant.admin, company=company, version=1, name="Acme 2")
        assert updated.source == web
        with pytest.raises(FeatureDisabled):
            company_update(account=sources_on, user=tenant.admin, company=company, version=2, source=None)
        company.refresh_from_db()
        assert company.source == web

    def test_keeping_an_archived_source_is_fine_choosing_one_is_not(self, tenant, sources_on):
        old = SourceFactory(account=sources_on)
        other_old = SourceFactory(account=sources_on, archived=True)
        company = company_create(account=sources_on, user=tenant.admin, name="Acme", source=old)
        old.archived = True
        old.save()
        kept = company_update(account=sources_on, user=tenant.admin, company=company, version=1, source=old, city="X")
        assert kept.source == old
        assert len(history(sources_on, company)) == 1
        with pytest.raises(ValidationFailed):
            company_update(account=sources_on, user=tenant.admin, company=company, version=2, source=other_old)

    def test_source_change_writes_history_with_how(self, tenant, sources_on):
        web, fair = SourceFactory(account=sources_on), SourceFactory(account=sources_on)
        company = company_create(account=sources_on, user=tenant.admin, name="Acme", source=web)
        company_update(
            account=sources_on, user=tenant.member, company=company, version=1, source=fair, source_how=HowChanged.API
        )
        company_update(account=sources_on, user=tenant.member, company=company, version=2, source=None)
        assert history(sources_on, company) == [
            (None, web.pk, HowChanged.TYPED),
            (web.pk, fair.pk, HowChanged.API),
            (fair.pk, None, HowChanged.TYPED),
        ]

    def test_failed_validation_rolls_back_the_source_history(self, tenant, sources_on):
        web = SourceFactory(account=sources_on)
        company = CompanyFactory(account=sources_on, name="Acme")
        with pytest.raises(ValidationFailed):
            company_update(account=sources_on, user=tenant.admin, company=company, version=1, source=web, email="bad")
        company.refresh_from_db()
        assert company.source is None
        assert company.version == 1
        assert history(sources_on, company) == []


class TestDelete:
    def test_linked_persons_and_deals_stay_unlinked(self, tenant, account):
        company = CompanyFactory(account=account)
        person = PersonFactory(company=company)
        deal = DealFactory(company=company, person=person)
        company_delete(account=account, user=tenant.member, company=company)
        assert not Company.objects.for_account(account).filter(pk=company.pk).exists()
        person.refresh_from_db()
        deal.refresh_from_db()
        assert person.company is None
        assert deal.company is None
        assert deal.person == person
        assert (person.version, deal.version) == (2, 2)
        assert Person.objects.for_account(account).count() == 1
        assert Deal.objects.for_account(account).count() == 1

    def test_other_accounts_company_is_not_found(self, tenant, other_tenant, account):
        foreign = CompanyFactory(account=other_tenant.account)
        with pytest.raises(NotFound):
            company_delete(account=account, user=tenant.admin, company=foreign)
        assert Company.objects.for_account(other_tenant.account).filter(pk=foreign.pk).exists()
