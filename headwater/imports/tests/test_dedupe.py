"""Duplicate keys: the existing record each row is, in the issue's order, one query per batch, this account only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headwater.imports import values
from headwater.imports.dedupe import (
    CompanyKeys,
    PersonKeys,
    _company_name_key_in_full,
    company_keys,
    company_name_key,
    match_companies,
    match_persons,
    nip_key,
    phone_key,
    regon_key,
)
from headwater.testing.factories import CompanyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_name_keys_drop_case_accents_and_legal_forms():
    assert company_name_key("ŁÓDZKA Spółka Sp. z o.o.") == company_name_key("Łódzka spółka")
    assert company_name_key("Acme S.A.") == company_name_key("ACME") == "acme"
    assert company_name_key("Acme Ltd.") == "acme"


# Pieces of company names: legal forms, punctuation, single and double spaces, every other kind of space and line
# break, controls, Polish letters, an underscore (a word's character), and any character at all.
_NAME_PIECES = st.one_of(
    st.sampled_from(
        [
            " ",
            "  ",
            "Acme",
            "sp. z o.o.",
            "S.A.",
            "sp.j.",
            "Ltd",
            "GmbH",
            "&",
            "-",
            ".,;",
            "_",
            "\t",
            "\n",
            "\x00",
            "\x1c",
            "\x85",
            "\xa0",
            "\u2007",
            "\u2028",
            "\u3000",
            "\u200b",
            "\ufeff",
            "Łódź",
            "ŻURAW",
            "ß",
            "ﬁ",
        ]
    ),
    st.characters(),
)


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(_NAME_PIECES, max_size=8))
def test_a_company_name_key_by_its_shortcuts_is_the_key_in_full(pieces):
    text = "".join(pieces)
    assert company_name_key(text) == _company_name_key_in_full(text)


def test_companies_match_by_nip_then_regon_then_domain_then_name(tenant, other_tenant, django_assert_num_queries):
    account = tenant.account
    by_nip = CompanyFactory(account=account, name="Nip Co", tax_id="PL 526-000-12-46")
    by_regon = CompanyFactory(account=account, name="Regon Co", regon="192598184")
    by_site = CompanyFactory(account=account, name="Site Co", website="https://www.acme.pl/")
    by_name = CompanyFactory(account=account, name="Zakład Łódź Sp. z o.o.")
    # Another account's companies with every key: never found.
    CompanyFactory(account=other_tenant.account, name="Nip Co", tax_id="5260001246", website="acme.pl")
    rows = [
        CompanyKeys(tax_id="5260001246", name="Something else"),
        CompanyKeys(tax_id="", regon="192-598-184", name="Other"),
        CompanyKeys(website="http://acme.pl/kontakt", name="Other"),
        CompanyKeys(name="zakład łódź sp. z o.o."),
        CompanyKeys(name="Brand new", tax_id="7680002466"),
        CompanyKeys(),
    ]
    with django_assert_num_queries(1):
        found = match_companies(account=account, rows=rows)
    assert found == [by_nip, by_regon, by_site, by_name, None, None]


def test_the_nip_wins_over_the_name(tenant):
    account = tenant.account
    named = CompanyFactory(account=account, name="Acme")
    taxed = CompanyFactory(account=account, name="Other name", tax_id="5260001246")
    assert match_companies(account=account, rows=[CompanyKeys(tax_id="526-000-12-46", name="Acme")]) == [taxed]
    assert match_companies(account=account, rows=[CompanyKeys(name="ACME")]) == [named]


def test_persons_match_by_email_then_phone_then_name_in_the_company(tenant, other_tenant, django_assert_num_queries):
    account = tenant.account
    company = CompanyFactory(account=account)
    elsewhere = CompanyFactory(account=account)
    by_email = PersonFactory(company=company, first_name="Anna", last_name="Nowak", email="Anna@Firma.pl")
    by_phone = PersonFactory(company=company, first_name="Jan", last_name="Kowalski", phone="+48 600-100-200")
    by_name = PersonFactory(company=company, first_name="Zofia", last_name="Wiśniewska")
    PersonFactory(company=CompanyFactory(account=other_tenant.account), email="x@y.pl", last_name="Wiśniewska")
    rows = [
        PersonKeys(email="anna@firma.pl", last_name="Somebody"),
        PersonKeys(phone="600 100 200", last_name="Kowalski"),
        PersonKeys(first_name="zofia", last_name="WIŚNIEWSKA", company_id=company.pk),
        # The same name in another company is another person.
        PersonKeys(first_name="Zofia", last_name="Wiśniewska", company_id=elsewhere.pk),
        PersonKeys(email="x@y.pl", last_name="Other"),
    ]
    with django_assert_num_queries(1):
        found = match_persons(account=account, rows=rows)
    assert found == [by_email, by_phone, by_name, None, None]


def test_a_batch_without_keys_asks_nothing(tenant, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert match_companies(account=tenant.account, rows=[CompanyKeys()]) == [None]
        assert match_persons(account=tenant.account, rows=[PersonKeys(first_name="A")]) == [None]


def test_the_query_count_does_not_grow_with_the_batch(tenant, django_assert_num_queries):
    account = tenant.account
    for i in range(30):
        CompanyFactory(account=account, name=f"Firma {i}")
    rows = [CompanyKeys(name=f"Firma {i}") for i in range(300)]
    with django_assert_num_queries(1):
        found = match_companies(account=account, rows=rows)
    assert sum(company is not None for company in found) == 30


# A row's NIP, REGON and phone are their parsers' answers (plan.plan_row); the run takes those as their keys without
# parsing them again (dedupe.company_keys, run._Writer._person_matches): each answer must be its own key.
_DIGITS_AND_MARKS = st.text(st.sampled_from("0123456789 -+()PLpl"), max_size=20)
_PHONE_TEXTS = st.one_of(
    _DIGITS_AND_MARKS,
    st.builds(lambda d: f"{d[:3]} {d[3:6]} {d[6:]}", st.text(st.sampled_from("0123456789"), min_size=9, max_size=9)),
    st.sampled_from(
        (
            "+48 22 123 45 67",
            "+49 30 901820",
            "+39 06 4488 1234",
            "+44 20 7946 0958",
            "+1 202-555-0143",
            "+420 601 123 456",
            "0048 600 100 200",
            "(22) 123 45 67",
            "+48 800 100 100",
        )
    ),
)


@settings(max_examples=300, deadline=None)
@given(text=_PHONE_TEXTS)
def test_a_parsed_phone_is_its_own_key(text):
    try:
        parsed = values.parse_phone(text)
    except values.ValueProblem:
        return
    values._PHONES.clear()  # the key read afresh, not from the parser's memory of this number
    assert phone_key(parsed) == parsed
    assert phone_key(parsed, region="DE") == parsed


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_DIGITS_AND_MARKS, st.text(st.sampled_from("0123456789"), min_size=9, max_size=14)))
def test_a_parsed_nip_or_regon_is_its_own_key(text):
    for parse, key in ((values.parse_nip, nip_key), (values.parse_regon, regon_key)):
        try:
            parsed = parse(text)
        except values.ValueProblem:
            continue
        assert key(parsed) == parsed


def test_a_files_company_keys_are_the_full_keys_of_its_parsed_values():
    row = {
        "tax_id": values.parse_nip("PL 526-000-12-46"),
        "regon": values.parse_regon("192598184"),
        "website": "https://www.Acme.pl/kontakt",
        "name": "ACME Sp. z o.o.",
    }
    assert company_keys(row) == CompanyKeys(**row).normalised() == ("5260001246", "192598184", "acme.pl", "acme")
    assert company_keys({"name": "Acme"}) == CompanyKeys(name="Acme").normalised()
