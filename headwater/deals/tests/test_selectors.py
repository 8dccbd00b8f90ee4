from __future__ import annotations

from decimal import Decimal

import pytest

from headwater.core.pagination import ordering_from_param
from headwater.deals.selectors import DEAL_DEFAULT_SORT, DEAL_SORTS, DealFilters, deal_list, deal_page
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_filters(account):
    acme = CompanyFactory(account=account, name="Acme")
    anna = PersonFactory(account=account, first_name="Anna", last_name="Nowak")
    DealFactory(company=acme, name="A", status="won")
    DealFactory(person=anna, name="B")
    DealFactory(account=account, name="C", status="lost")

    def names(**kw):
        return sorted(deal_list(account=account, filters=DealFilters(**kw)).values_list("name", flat=True))

    assert names(status="won") == ["A"]
    assert names(company=acme.pk) == ["A"]
    assert names(person=anna.pk) == ["B"]
    assert names(q="nowak") == ["B"]
    assert names(q="acme") == ["A"]


def test_default_sort_is_newest_first_and_value_sort_is_exact(account):
    older = DealFactory(account=account, value=Decimal("5.00"))
    newer = DealFactory(account=account, value=Decimal("5.00"))
    _, ordering = ordering_from_param(None, DEAL_SORTS, DEAL_DEFAULT_SORT)
    page = deal_page(
        account=account, filters=DealFilters(), ordering=ordering, cursor=None, page_size=1, count_limit=10
    )
    assert page.rows == [newer]
    following = deal_page(
        account=account, filters=DealFilters(), ordering=ordering, cursor=page.next_cursor, page_size=1, count_limit=10
    )
    assert following.rows == [older]
    _, by_value = ordering_from_param("value", DEAL_SORTS, DEAL_DEFAULT_SORT)
    first = deal_page(
        account=account, filters=DealFilters(), ordering=by_value, cursor=None, page_size=1, count_limit=10
    )
    second = deal_page(
        account=account, filters=DealFilters(), ordering=by_value, cursor=first.next_cursor, page_size=1, count_limit=10
    )
    assert {first.rows[0].pk, second.rows[0].pk} == {older.pk, newer.pk}
