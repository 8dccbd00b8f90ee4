"""Column guessing: Polish and English header names, case, accents and punctuation; unknown names ignored."""

from __future__ import annotations

import pytest
from django.utils import translation

from headwater.imports.columns import SYNONYMS, guess_mapping, guess_target, target_by_key, targets
from headwater.imports.samples import template_columns
from headwater.records.registry import record_kinds


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Nazwa firmy", "company.name"),
        ("Firma", "company.name"),
        ("Company", "company.name"),
        ("NIP", "company.tax_id"),
        ("REGON", "company.regon"),
        ("E-mail", "person.email"),
        ("Telefon", "person.phone"),
        ("Phone", "person.phone"),
        ("Imię", "person.first_name"),
        ("Nazwisko", "person.last_name"),
        ("First name", "person.first_name"),
        ("Źródło", "source"),
        ("Source", "source"),
        ("Wartość", "deal.value"),
        ("Value", "deal.value"),
        ("Waluta", "deal.currency"),
        ("Etap", "deal.status"),
        ("Status", "deal.status"),
        ("Opiekun", "owner"),
        ("Owner", "owner"),
        ("Strona www", "company.website"),
        # Case, accents and punctuation do not matter.
        ("  NAZWA_FIRMY ", "company.name"),
        ("zrodlo", "source"),
        ("e mail", "person.email"),
        ("IMIE:", "person.first_name"),
        ("wartosc", "deal.value"),
        # The forms' own labels, in both languages, count too.
        ("Postal code", "company.postal_code"),
        ("Expected close date", "deal.expected_close_date"),
        ("Stanowisko", "person.position"),
    ],
)
def test_header_names(header, target):
    assert guess_target(header) == target


@pytest.mark.parametrize("header", ["Kolumna 7", "", "xyz", "Lp.", "ID"])
def test_unknown_headers_are_ignored(header):
    assert guess_target(header) is None


def test_a_field_goes_to_the_first_column_that_names_it():
    assert guess_mapping(["Firma", "Nazwa firmy", "NIP"]) == ["company.name", None, "company.tax_id"]


def test_the_targets_come_from_the_registered_kinds():
    keys = {target.key for target in targets()}
    for kind in record_kinds():
        assert any(key.startswith(f"{kind.noun}.") for key in keys)
    # The kinds' forms: a company's name, a person's surname, a deal's value.
    assert {"company.name", "person.last_name", "deal.value", "owner", "source"} <= keys
    # Never the links between the row's records, nor the forms' bookkeeping.
    assert not keys & {"person.company", "deal.company", "deal.person", "company.version"}


def test_every_synonym_names_a_real_target():
    known = target_by_key()
    assert set(SYNONYMS) <= set(known)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_template_file_maps_itself(language):
    with translation.override(language):
        columns = template_columns()
        assert guess_mapping([name for _key, name in columns]) == [key for key, _name in columns]
