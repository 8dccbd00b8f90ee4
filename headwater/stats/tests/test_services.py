from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.core.errors import Conflict, ValidationFailed
from headwater.stats.models import ExchangeRate
from headwater.stats.services import exchange_rate_create, exchange_rate_delete, exchange_rate_update

pytestmark = pytest.mark.django_db


def test_create_normalises_the_code_and_ties_the_rate_to_the_base(tenant):
    rate = exchange_rate_create(account=tenant.account, user=tenant.admin, currency=" usd ", rate=Decimal("3.95"))
    assert (rate.currency, rate.base_currency, rate.rate, rate.version) == ("USD", "PLN", Decimal("3.95"), 1)


@pytest.mark.parametrize(
    ("currency", "rate", "field"),
    [
        ("US", Decimal("1"), "currency"),
        ("U$D", Decimal("1"), "currency"),
        ("PLN", Decimal("1"), "currency"),
        ("USD", Decimal("0"), "rate"),
        ("USD", Decimal("-2"), "rate"),
        ("USD", Decimal("1.000000001"), "rate"),
        ("USD", Decimal("1E+7"), "rate"),
        ("USD", Decimal("NaN"), "rate"),
    ],
)
def test_create_refuses_bad_input(tenant, currency, rate, field):
    with pytest.raises(ValidationFailed) as caught:
        exchange_rate_create(account=tenant.account, user=tenant.admin, currency=currency, rate=rate)
    assert field in caught.value.fields
    assert not ExchangeRate.objects.for_account(tenant.account).exists()


def test_one_rate_per_currency_per_account(tenant, other_tenant):
    exchange_rate_create(account=tenant.account, user=None, currency="EUR", rate=Decimal("4"))
    with pytest.raises(ValidationFailed) as caught:
        exchange_rate_create(account=tenant.account, user=None, currency="eur", rate=Decimal("5"))
    assert "currency" in caught.value.fields
    # Another account keeps its own rates.
    exchange_rate_create(account=other_tenant.account, user=None, currency="EUR", rate=Decimal("5"))


def test_update_is_refused_for_a_stale_version(tenant):
    rate = exchange_rate_create(account=tenant.account, user=None, currency="EUR", rate=Decimal("4"))
    updated = exchange_rate_update(
        account=tenant.account, user=tenant.admin, exchange_rate=rate, version=1, rate=Decimal("4.5")
    )
    assert (updated.rate, updated.version, updated.updated_by) == (Decimal("4.5"), 2, tenant.admin)
    with pytest.raises(Conflict):
        exchange_rate_update(account=tenant.account, user=None, exchange_rate=rate, version=1, rate=Decimal("9"))
    rate.refresh_from_db()
    assert rate.rate == Decimal("4.5")


def test_update_cannot_reach_another_account(tenant, other_tenant):
    theirs = exchange_rate_create(account=other_tenant.account, user=None, currency="EUR", rate=Decimal("4"))
    with pytest.raises(Conflict):
        exchange_rate_update(account=tenant.account, user=None, exchange_rate=theirs, version=1, rate=Decimal("1"))
    exchange_rate_delete(account=tenant.account, user=None, exchange_rate=theirs)
    assert ExchangeRate.objects.for_account(other_tenant.account).filter(pk=theirs.pk).exists()


def test_update_moves_an_old_rate_to_the_new_base(tenant):
    rate = ExchangeRate.unscoped.create(
        account=tenant.account, currency="EUR", base_currency="USD", rate=Decimal("1.1")
    )
    updated = exchange_rate_update(
        account=tenant.account, user=None, exchange_rate=rate, version=1, rate=Decimal("4.3")
    )
    assert updated.base_currency == "PLN"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999.99999999"), places=8))
def test_any_valid_rate_is_stored_exactly(tenant, rate):
    # Each example starts from no rate: the fixture's account is shared by all examples.
    ExchangeRate.objects.for_account(tenant.account).delete()
    stored = exchange_rate_create(account=tenant.account, user=None, currency="EUR", rate=rate)
    stored.refresh_from_db()
    assert stored.rate == rate
