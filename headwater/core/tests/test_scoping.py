from __future__ import annotations

import pytest

from headwater.companies.models import Company
from headwater.core.models import Account, TenantScopeError
from headwater.testing.factories import CompanyFactory


@pytest.mark.django_db
class TestFailClosedManager:
    def test_unscoped_queries_raise(self, tenant):
        CompanyFactory(account=tenant.account)
        with pytest.raises(TenantScopeError):
            list(Company.objects.all())
        with pytest.raises(TenantScopeError):
            Company.objects.filter(name__startswith="C").count()
        with pytest.raises(TenantScopeError):
            Company.objects.exists()
        with pytest.raises(TenantScopeError):
            Company.objects.update(name="x")
        with pytest.raises(TenantScopeError):
            Company.objects.all().delete()
        with pytest.raises(TenantScopeError):
            Company.objects.get(pk=1)
        with pytest.raises(TenantScopeError):
            list(Company.objects.iterator())
        assert Company.unscoped.count() == 1  # the deliberately named bypass still works

    def test_scope_survives_chaining_and_limits_to_the_account(self, tenant, other_tenant):
        mine = CompanyFactory(account=tenant.account, name="Mine")
        CompanyFactory(account=other_tenant.account, name="Theirs")
        qs = Company.objects.filter(name__in=["Mine", "Theirs"]).for_account(tenant.account).order_by("name")
        assert list(qs) == [mine]
        assert list(Company.objects.for_account(tenant.account).filter(pk=mine.pk).values_list("name", flat=True)) == [
            "Mine"
        ]

    def test_scope_needs_a_saved_account(self):
        with pytest.raises(TenantScopeError):
            Company.objects.for_account(Account(slug="x"))
