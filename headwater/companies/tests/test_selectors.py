from __future__ import annotations

import pytest

from headwater.companies.selectors import (
    COMPANY_SORTS,
    company_delete_impact,
    company_links,
    company_list,
    company_lookup,
    company_page,
)
from headwater.core.errors import NotFound
from headwater.core.pagination import ordering_from_param
from headwater.records.listing import RecordFilters
from headwater.sources.selectors import source_history_for_record
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(qs.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", ["Acme"]),
        ("ACME", ["Acme"]),
        ("pl999", ["Beta"]),
        ("+48 12", ["Gamma"]),
        ("kraków", ["Acme"]),
        ("office@", ["Gamma"]),
        ("acme kraków", ["Acme"]),
        ("acme gdańsk", []),
        ("100%", []),
    ],
)
def test_search_fields(account, q, expected):
    CompanyFactory(account=account, name="Acme", city="Kraków")
    CompanyFactory(account=account, name="Beta", tax_id="PL999")
    CompanyFactory(account=account, name="Gamma", phone="+48 12 345", email="office@gamma.test")
    assert names(company_list(account=account, filters=RecordFilters(q=q))) == expected


def test_owner_and_source_filters(tenant, account):
    web = SourceFactory(account=account)
    CompanyFactory(account=account, name="Mine", owner=tenant.member, source=web)
    CompanyFactory(account=account, name="Nobody's")
    assert names(company_list(account=account, filters=RecordFilters(owner=tenant.member.pk))) == ["Mine"]
    assert names(company_list(account=account, filters=RecordFilters(unowned=True))) == ["Nobody's"]
    assert names(company_list(account=account, filters=RecordFilters(source=web.pk))) == ["Mine"]
    assert names(company_list(account=account, filters=RecordFilters(no_source=True))) == ["Nobody's"]


def test_page_sorted_by_city_with_ties(account):
    for name, city in (("A", "Łódź"), ("B", "Gdańsk"), ("C", "Gdańsk"), ("D", "")):
        CompanyFactory(account=account, name=name, city=city)
    _, ordering = ordering_from_param("city", COMPANY_SORTS, "name")
    page = company_page(
        account=account, filters=RecordFilters(), ordering=ordering, cursor=None, page_size=10, count_limit=100
    )
    cities = [c.city for c in page.rows]
    assert cities[0] == ""
    assert cities[1:3] == ["Gdańsk", "Gdańsk"]
    assert [c.name for c in page.rows[1:3]] == ["B", "C"]


def test_lookup_keeps_the_selected_company_first(account, other_tenant):
    chosen = CompanyFactory(account=account, name="Zeta")
    CompanyFactory.create_batch(3, account=account, name="Acme")
    rows = company_lookup(account=account, q="acme", selected=chosen.pk, limit=2)
    assert rows[0] == chosen
    assert len(rows) == 3
    foreign = CompanyFactory(account=other_tenant.account, name="Acme")
    assert foreign not in company_lookup(account=account, q="acme", selected=foreign.pk)


def test_links_and_delete_impact(account):
    company = CompanyFactory(account=account)
    PersonFactory.create_batch(2, company=company)
    DealFactory.create_batch(3, company=company)
    DealFactory(account=account)
    links = company_links(account=account, company=company, limit=1)
    assert (len(links.persons), links.person_count, len(links.deals), links.deal_count) == (1, 2, 1, 3)
    assert company_delete_impact(account=account, company=company) == {"persons": 2, "deals": 3}


def test_source_history_is_scoped(account, other_tenant):
    company = CompanyFactory(account=account)
    with pytest.raises(NotFound):
        source_history_for_record(account=other_tenant.account, record=company)
    assert list(source_history_for_record(account=account, record=company)) == []
