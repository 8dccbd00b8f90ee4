from __future__ import annotations

import pytest

from headwater.core.errors import NotFound
from headwater.sources import selectors, services
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory


@pytest.fixture
def account(tenant):
    return tenant.account


@pytest.mark.django_db
class TestUsage:
    def test_counts_per_kind_and_other_account_ignored(self, account, other_tenant):
        google = SourceFactory(account=account, name="Google", position=1)
        fair = SourceFactory(account=account, name="Fair", position=2)
        unused = SourceFactory(account=account, name="Unused", position=3)
        company = CompanyFactory(account=account, source=google)
        CompanyFactory(account=account, source=fair)
        PersonFactory(company=company, source=google)
        PersonFactory(company=company)
        DealFactory(company=company, source=google)
        DealFactory(company=company, source=google)
        theirs = SourceFactory(account=other_tenant.account, name="Google")
        DealFactory(account=other_tenant.account, source=theirs)

        rows = selectors.source_list_with_usage(account=account)

        assert [(r.source, r.companies, r.persons, r.deals, r.total) for r in rows] == [
            (google, 1, 1, 2, 4),
            (fair, 1, 0, 0, 1),
            (unused, 0, 0, 0, 0),
        ]
        assert selectors.source_usage(account=account, source=google).counts == {
            "companies": 1,
            "persons": 1,
            "deals": 2,
        }

    def test_constant_number_of_queries(self, account, django_assert_num_queries):
        for i in range(12):
            source = SourceFactory(account=account, position=i)
            DealFactory(account=account, source=source)
            CompanyFactory(account=account, source=source)
        with django_assert_num_queries(4):
            rows = selectors.source_list_with_usage(account=account)
        assert len(rows) == 12

    def test_usage_of_foreign_source_is_not_found(self, account, other_tenant):
        with pytest.raises(NotFound):
            selectors.source_usage(account=account, source=SourceFactory(account=other_tenant.account))


@pytest.mark.django_db
class TestGet:
    def test_own_foreign_missing(self, account, other_tenant):
        mine = SourceFactory(account=account)
        assert selectors.source_get(account=account, source_id=mine.pk) == mine
        for bad in (SourceFactory(account=other_tenant.account).pk, 999_999, "1", None):
            with pytest.raises(NotFound):
                selectors.source_get(account=account, source_id=bad)


@pytest.mark.django_db
def test_events_newest_first_limited_and_scoped(tenant, other_tenant):
    for name in ("A", "B", "C"):
        services.source_create(account=tenant.account, user=tenant.admin, name=name)
    services.source_create(account=other_tenant.account, user=other_tenant.admin, name="Theirs")
    events = list(selectors.source_events(account=tenant.account, limit=2))
    assert [e.source_name for e in events] == ["C", "B"]
    assert [e.source_name for e in selectors.source_events(account=tenant.account, limit=2, offset=2)] == ["A"]


@pytest.mark.django_db
class TestChoices:
    def test_active_in_order_plus_archived_current(self, account, other_tenant):
        b = SourceFactory(account=account, name="B", position=2)
        a = SourceFactory(account=account, name="A", position=1)
        old = SourceFactory(account=account, name="Old", position=0, archived=True)
        SourceFactory(account=other_tenant.account, name="Theirs")
        assert list(selectors.source_choices(account=account)) == [a, b]
        assert list(selectors.source_choices(account=account, current=old)) == [old, a, b]
        assert list(selectors.source_choices(account=account, current=a)) == [a, b]


@pytest.mark.django_db
class TestDefaultFor:
    @pytest.fixture
    def on(self, account):
        account.sources_enabled = True
        account.source_default_from_contact = True
        account.save()
        return account

    def test_person_first_then_company(self, on):
        web = SourceFactory(account=on, name="Web")
        fair = SourceFactory(account=on, name="Fair")
        company = CompanyFactory(account=on, source=web)
        person = PersonFactory(company=company, source=fair)
        assert selectors.source_default_for(account=on, company=company, person=person) == fair
        person.source = None
        assert selectors.source_default_for(account=on, company=company, person=person) == web
        assert selectors.source_default_for(account=on, company=None, person=None) is None

    def test_archived_contact_source_is_not_carried_over(self, on):
        web = SourceFactory(account=on, name="Web")
        old = SourceFactory(account=on, name="Old", archived=True)
        company = CompanyFactory(account=on, source=web)
        person = PersonFactory(company=company, source=old)
        assert selectors.source_default_for(account=on, company=company, person=person) == web
        assert selectors.source_default_for(account=on, company=None, person=person) is None

    @pytest.mark.parametrize(("enabled", "default"), [(False, True), (True, False), (False, False)])
    def test_off(self, account, enabled, default):
        account.sources_enabled, account.source_default_from_contact = enabled, default
        account.save()
        company = CompanyFactory(account=account, source=SourceFactory(account=account))
        assert selectors.source_default_for(account=account, company=company, person=None) is None

    def test_foreign_contact_ignored(self, on, other_tenant):
        theirs = CompanyFactory(account=other_tenant.account, source=SourceFactory(account=other_tenant.account))
        assert selectors.source_default_for(account=on, company=theirs, person=None) is None
