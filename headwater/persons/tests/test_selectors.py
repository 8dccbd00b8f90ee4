from __future__ import annotations

import pytest

from headwater.persons.selectors import PersonFilters, person_label, person_list, person_lookup
from headwater.testing.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def full_names(qs):
    return sorted(p.full_name for p in qs)


def test_search_matches_every_word_across_fields(account):
    acme = CompanyFactory(account=account, name="Acme")
    PersonFactory(company=acme, first_name="Anna", last_name="Nowak", phone="600 100 200")
    PersonFactory(account=account, first_name="Anna", last_name="Kowalska", email="anna@k.test")
    assert full_names(person_list(account=account, filters=PersonFilters(q="anna"))) == ["Anna Kowalska", "Anna Nowak"]
    assert full_names(person_list(account=account, filters=PersonFilters(q="anna acme"))) == ["Anna Nowak"]
    assert full_names(person_list(account=account, filters=PersonFilters(q="600 100"))) == ["Anna Nowak"]
    assert full_names(person_list(account=account, filters=PersonFilters(q="k.test"))) == ["Anna Kowalska"]


def test_company_and_no_source_filters(account):
    acme = CompanyFactory(account=account)
    PersonFactory(company=acme, last_name="In")
    PersonFactory(account=account, last_name="Out")
    assert full_names(person_list(account=account, filters=PersonFilters(company=acme.pk)))[0].endswith("In")
    assert len(person_list(account=account, filters=PersonFilters(no_source=True))) == 2


def test_lookup_and_label(account):
    acme = CompanyFactory(account=account, name="Acme")
    anna = PersonFactory(company=acme, first_name="Anna", last_name="Nowak")
    solo = PersonFactory(account=account, first_name="", last_name="Solo")
    assert person_lookup(account=account, q="acme") == [anna]
    assert person_label(anna) == "Anna Nowak · Acme"
    assert person_label(solo) == "Solo"
