"""The search key: folding, the keys, the search filter on both databases, the fill the migrations run, loaders."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.companies.selectors import company_list
from headwater.companies.services import company_create, company_delete, company_update
from headwater.core import pagination
from headwater.core.errors import ValidationFailed
from headwater.core.models import Account
from headwater.core.pagination import Ordering, keyset_page
from headwater.deals.models import Deal
from headwater.deals.selectors import DealFilters, deal_list
from headwater.deals.services import deal_create, deal_update
from headwater.demo.loader import demo_data_load
from headwater.persons.models import Person
from headwater.persons.selectors import PersonFilters, person_list
from headwater.persons.services import person_create, person_delete, person_update
from headwater.records import search
from headwater.records.listing import RecordFilters
from headwater.records.search import (
    SEARCH_PIN_ORDER,
    WORD_SEPARATORS,
    company_search_key,
    deal_search_key,
    fill_search_keys,
    fold,
    person_search_key,
    search_filter,
    search_terms,
    uses_trigrams,
)
from headwater.records.services import search_key_of
from headwater.testing.api import api_for
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory


class TestFold:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("WIŚNIEWSKA", "Wiśniewska"),
            ("ŁÓDŹ", "łódź"),
            ("ｋｒａｋóｗ", "Kraków"),  # full-width letters (NFKC)
            ("Kraków", "Krako\u0301w"),  # combining accent vs precomposed
            ("STRASSE", "Straße"),  # case folding, not lower()
            ("ﬁrma", "FIRMA"),  # the "fi" ligature
            ("１２３", "123"),  # noqa: RUF001 — full-width digits on purpose
            ("wisniewska", "Wiśniewska"),  # accents are dropped: typed without them, still found
            ("lodz", "Łódź"),  # a letter with a stroke does not decompose: folded by hand
            ("zolc", "żółć"),
            ("oresund", "Øresund"),
            ("istanbul", "İstanbul"),
            ("nowak-kowalska", "Nowak\u2013Kowalska"),  # typographic dashes and quotes: what the keyboard has
            ('"kowalski"', "\u201eKowalski\u201d"),
            ("o'neill", "O\u2019Neill"),
        ],
    )
    def test_variants_fold_to_the_same_text(self, typed, stored):
        assert fold(typed) == fold(stored)

    @pytest.mark.parametrize(("one", "other"), [("kot", "kat"), ("lodz", "łodzie"), ("ą", "ę"), ("한", "한국")])
    def test_different_letters_stay_different(self, one, other):
        assert fold(one) != fold(other)

    @given(st.text(max_size=30))
    def test_folded_text_has_no_combining_marks(self, text):
        assert not any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", fold(text)))

    @given(st.text(max_size=30))
    def test_folding_is_idempotent(self, text):
        assert fold(fold(text)) == fold(text)

    def test_terms_are_split_after_folding_and_deduplicated(self):
        # NFKC turns U+00A8 (a spacing diaeresis) into a space and a combining mark: split after folding.
        assert search_terms("  Acme\u00a0KRAKÓW acme ") == ["acme", "krakow"]
        assert search_terms("") == []

    @pytest.mark.parametrize(
        ("term", "indexed"),
        [
            ("abc", True),
            ("żuł", True),
            ("a.bcd", True),
            ("zx", False),
            ("sp.", False),
            ("---", False),
            ("a-b-c", False),
        ],
    )
    def test_which_terms_the_trigram_index_can_answer(self, term, indexed):
        assert uses_trigrams(term) is indexed


class TestKeys:
    def test_company_key_has_every_searchable_field_and_bare_digits(self):
        key = company_search_key(
            name="Acme Sp. z o.o.",
            tax_id="PL 526-000-12-46",
            email="Biuro@Acme.PL",
            phone="+48 12 345 67 89",
            city="Kraków",
            website="https://acme.pl",
        )
        for part in ("acme sp. z o.o.", "pl 526-000-12-46", "biuro@acme.pl", "+48 12 345 67 89", "krakow"):
            assert part in key
        assert "48123456789" in key
        assert "5260001246" in key

    @given(text=st.text(max_size=20), ascii_text=st.text(alphabet=st.characters(max_codepoint=127), max_size=20))
    def test_a_keys_bare_digits_are_every_digit_of_the_part(self, text, ascii_text):
        # The ASCII shortcut of search._digits against the test of every character (str.isdigit).
        for part in (text, ascii_text):
            assert search._digits(part) == "".join(ch for ch in part if ch.isdigit())

    def test_empty_parts_leave_no_gaps(self):
        key = person_search_key(first_name="", last_name="Nowak", email="", phone="", position="", company_name="")
        assert key == "nowak"

    def test_whitespace_inside_a_part_becomes_one_space(self):
        # Only " " separates words in a key: the separator class PostgreSQL's index can use has no other space.
        key = company_search_key(
            name="Acme\t \u2028Sp.\u1680z o.o.", tax_id="", email="", phone="", city="", website=""
        )
        assert key == "acme sp. z o.o."

    def test_word_separators_are_what_postgresql_can_index(self):
        """Spaces, punctuation and symbols, all below U+0800 (pg_trgm cannot use a higher one in a character
        class), never a letter or digit; the typographic dashes and quotes are folded into ASCII ones."""
        assert all(ord(ch) < 0x800 and not ch.isalnum() for ch in WORD_SEPARATORS)
        assert set(" -.,@/&'\"()+_:;!?«»·§") <= WORD_SEPARATORS
        assert all(fold(ch) in WORD_SEPARATORS for ch in "\u2013\u2014\u2019\u201e\u201d")

    def test_deal_key_names_its_company_and_person(self):
        assert (
            deal_search_key(name="Licencje", company_name="ACME", person_name="Anna Nowak")
            == "licencje acme anna nowak"
        )


def names(qs, attr="name"):
    return sorted(getattr(row, attr) for row in qs)


def reference_match(term: str, key: str) -> bool:
    """The search rule in plain Python: a word with three letters or digits in a row occurs anywhere in the key;
    a shorter one at the start of a word, which begins at the start of the key, after a separator, and at each
    separator itself (so ".pl" is found in "acme.pl")."""
    if any(all(ch.isalnum() for ch in term[i : i + 3]) for i in range(len(term) - 2)):
        return term in key
    starts = [i for i in range(len(key)) if i == 0 or key[i - 1] in WORD_SEPARATORS or key[i] in WORD_SEPARATORS]
    return any(key[i : i + len(term)] == term for i in starts)


EN_DASHED = "Nowak\u2013Kowalska"

# Letters (Polish and ASCII, upper case too), digits, separators that need escaping in a regular expression, the
# typographic dashes and quotes folding turns into ASCII, a character pg_trgm cannot use (王), tabs and spaces.
SHORT_ALPHABET = "koKOłŁz9.-@'\"„”\u2013_\\^$[]()|*+? \t王"


@pytest.mark.django_db
class TestSearch:
    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("WIŚNIEWSKA", ["Ogrody Wiśniewska"]),
            ("wiśniewska", ["Ogrody Wiśniewska"]),
            ("wisniewska", ["Ogrody Wiśniewska"]),  # typed without accents
            ("krakow", ["Acme", "Ogrody Wiśniewska"]),
            ("gdansk", ["Beta"]),
            ("ｏｇｒｏｄｙ", ["Ogrody Wiśniewska"]),  # noqa: RUF001 — full-width on purpose
            ("ogrody gdańsk", []),  # every word must match
            ("ogrody kraków", ["Ogrody Wiśniewska"]),
            ("KRAKÓW", ["Acme", "Ogrody Wiśniewska"]),
            ("600100200", ["Acme"]),  # bare digits find a formatted phone number
            ("600 100", ["Acme"]),
            ("kr", ["Acme", "Ogrody Wiśniewska"]),  # short words begin a word ("Kraków")
            ("ra", []),  # ... and are not found inside one
            ("o", ["Ogrody Wiśniewska"]),
            ("60", ["Acme"]),  # "+48 600 100 200": "600" is a word
            ("00", []),
            ("48", ["Acme"]),  # after "+"
            ("+4", ["Acme"]),  # a word that starts with a separator is found where it occurs
            ("100%", []),  # LIKE wildcards are literal
            ("a_me", []),
            ("%", []),  # so are regular expression characters
            (".*", []),
        ],
    )
    def test_company_search(self, account, q, expected):
        CompanyFactory(account=account, name="Acme", city="Kraków", phone="+48 600 100 200")
        CompanyFactory(account=account, name="Ogrody Wiśniewska", city="KRAKÓW")
        CompanyFactory(account=account, name="Beta", city="Gdańsk")
        assert names(company_list(account=account, filters=RecordFilters(q=q))) == expected

    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            # One or two letters find the words they begin, after a space, a hyphen, a dot, an @, a quote...
            ("ko", ["Jan Kowalski", "Kołobrzeg Port", "Nowak-Kowalska", EN_DASHED, "PHU „Kowal”", "biuro"]),
            ("KO", ["Jan Kowalski", "Kołobrzeg Port", "Nowak-Kowalska", EN_DASHED, "PHU „Kowal”", "biuro"]),
            ("k", ["Jan Kowalski", "Kołobrzeg Port", "Nowak-Kowalska", EN_DASHED, "PHU „Kowal”", "biuro"]),
            ("po", ["Kołobrzeg Port"]),  # not "Sp. z o.o." (no word starts "po"), not "biuro" inside a word
            ("sp.", ["Sp. z o.o. Ogrody"]),  # no trigram: a word start too
            ("o.o", ["Sp. z o.o. Ogrody"]),
            ("z", ["Sp. z o.o. Ogrody"]),
            ("pl", ["biuro"]),  # "kontakt@kowalski.pl"
            (".pl", ["biuro"]),
            ("ak", []),  # Makowski, Nowak: inside words only
            ("zx", []),
            ("ko port", ["Kołobrzeg Port"]),  # every word must match
            ("ko makowski", []),
            ("kow", ["Jan Kowalski", "Makowski", "Nowak-Kowalska", EN_DASHED, "PHU „Kowal”", "biuro"]),
        ],
    )
    def test_short_words_find_the_words_they_begin(self, account, q, expected):
        for name in ("Jan Kowalski", "Makowski", "Nowak-Kowalska", EN_DASHED, "Kołobrzeg Port", "PHU „Kowal”"):
            CompanyFactory(account=account, name=name)
        CompanyFactory(account=account, name="Sp. z o.o. Ogrody")
        CompanyFactory(account=account, name="biuro", email="kontakt@kowalski.pl")
        assert names(company_list(account=account, filters=RecordFilters(q=q))) == expected

    def test_every_separator_starts_a_word_on_this_database(self, account):
        """Each separator is written into the regular expression (escaped where it must be): the database finds
        "ko" after every one of them, and a word that is itself a separator and a letter wherever it occurs."""
        # (Not spaces, which split the typed words, nor what folding turns into something else: an acute accent
        # into a space.)
        separators = sorted(sep for sep in WORD_SEPARATORS if not sep.isspace() and fold(sep) == sep)
        for sep in separators:
            CompanyFactory(account=account, name=f"x{sep}ko")
        CompanyFactory(account=account, name="xko")
        found = {c.name for c in search_filter(Company.objects.for_account(account), "ko")}
        assert found == {f"x{sep}ko" for sep in separators}
        for sep in separators:
            assert {c.name for c in search_filter(Company.objects.for_account(account), f"{sep}k")} == {f"x{sep}ko"}

    def test_persons_by_company_name_and_unicode_case(self, account):
        acme = CompanyFactory(account=account, name="Żuławski i Córki")
        PersonFactory(company=acme, first_name="Anna", last_name="Wiśniewska")
        PersonFactory(account=account, first_name="Jan", last_name="WIŚNIEWSKI")
        assert names(person_list(account=account, filters=PersonFilters(q="żuławski")), "last_name") == ["Wiśniewska"]
        found = person_list(account=account, filters=PersonFilters(q="wiśniewsk"))
        assert names(found, "last_name") == ["WIŚNIEWSKI", "Wiśniewska"]
        assert names(person_list(account=account, filters=PersonFilters(q="ANNA ŻUŁAWSKI")), "last_name") == [
            "Wiśniewska"
        ]

    def test_deals_by_company_and_person_name(self, account):
        acme = CompanyFactory(account=account, name="Acme")
        anna = PersonFactory(account=account, first_name="Anna", last_name="Kowalska")
        DealFactory(company=acme, person=anna, name="Licencje")
        DealFactory(account=account, name="Serwis")
        assert names(deal_list(account=account, filters=DealFilters(q="acme"))) == ["Licencje"]
        assert names(deal_list(account=account, filters=DealFilters(q="KOWALSKA licencje"))) == ["Licencje"]
        assert names(deal_list(account=account, filters=DealFilters(q="kowalska serwis"))) == []

    def test_other_accounts_never_match(self, account, other_tenant):
        CompanyFactory(account=other_tenant.account, name="Acme")
        assert list(company_list(account=account, filters=RecordFilters(q="acme"))) == []

    @given(
        text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=60),
        start=st.integers(0, 30),
        length=st.integers(1, 30),
        upper=st.booleans(),
    )
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_the_database_matches_exactly_what_folding_says(self, account, text, start, length, upper):
        """Found if and only if every folded word matches the folded name as `reference_match` says: LIKE and
        the regular expressions add nothing (no case games, no wildcards) and miss nothing, on SQLite as on
        PostgreSQL."""
        Company.objects.for_account(account).delete()
        company = CompanyFactory(account=account, name=text)
        key = " ".join(fold(text).split())
        assert company.search_key == key
        piece = text[start : start + length] or text
        if upper:
            piece = piece.upper()
        terms = search_terms(piece)
        found = search_filter(Company.objects.for_account(account), piece)
        assert (company in found) == all(reference_match(t, key) for t in terms)

    @given(
        names=st.lists(st.text(alphabet=SHORT_ALPHABET, min_size=1, max_size=14), min_size=1, max_size=8),
        query=st.lists(st.text(alphabet=SHORT_ALPHABET, min_size=1, max_size=3), min_size=1, max_size=2),
    )
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_short_searches_find_what_plain_python_finds(self, account, names, query):
        """One- to three-character words over letters, separators, typographic punctuation and a CJK character:
        the database finds exactly the records a plain-Python reading of the rule finds."""
        Company.objects.for_account(account).delete()
        companies = [CompanyFactory(account=account, name=name) for name in names]
        typed = " ".join(query)
        expected = {
            c.pk
            for c in companies
            if all(reference_match(t, " ".join(fold(c.name).split())) for t in search_terms(typed))
        }
        assert {c.pk for c in search_filter(Company.objects.for_account(account), typed)} == expected
        # As the lists scope a search (the account compared as a bigint on PostgreSQL): the same rows.
        assert {c.pk for c in company_list(account=account, filters=RecordFilters(q=typed))} == expected

    def test_short_only_search_reads_two_queries(self, account, django_assert_num_queries):
        CompanyFactory.create_batch(3, account=account, name="Acme")
        qs = search_filter(Company.objects.for_account(account), "ac")
        with django_assert_num_queries(2):
            page = keyset_page(
                qs, ordering=Ordering(("name",)), cursor=None, page_size=2, count_limit=100, pin_limit=10
            )
        assert (len(page.rows), page.total) == (2, 3)


def test_a_search_through_the_api_reads_its_page_in_one_query_the_page_in_two(tenant, member_client):
    """One read path, two costs: the page counts its matches (reading their ids, and reading its page among them
    when they are few; on PostgreSQL after asking the planner whether they are few, which runs nothing); the API
    shows no count, so it reads the page alone (core/pagination.keyset_page)."""
    CompanyFactory.create_batch(3, account=tenant.account, name="Zebra works")
    CompanyFactory.create_batch(2, account=tenant.account, name="Other")
    api = api_for(tenant, "viewer")
    api.get("/me")  # last_used_at written now, not inside the measured request
    with CaptureQueriesContext(connection) as ctx:
        body = api.get("/companies", {"q": "zebra", "ordering": "name", "limit": 2}).json()
    assert len(body["items"]) == 2
    assert body["next"]
    reads = [q["sql"] for q in ctx.captured_queries if "companies_company" in q["sql"]]
    assert len(reads) == 1
    with CaptureQueriesContext(connection) as ctx:
        page = member_client.get(tenant.url("companies/"), {"q": "zebra", "sort": "name"}).context["page"]
    assert page.total == 3
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "companies_company"' in q["sql"]]
    planned = [sql for sql in reads if sql.startswith("EXPLAIN ")]
    assert len(planned) == (1 if connection.vendor == "postgresql" else 0)
    reads = [sql for sql in reads if sql not in planned]
    assert len(reads) == 2
    # Among the ids: on PostgreSQL one array parameter of the key's type (core/pagination._among).
    assert (" = ANY(" if connection.vendor == "postgresql" else " IN (") in reads[1]
    if connection.vendor == "postgresql":
        assert "::bigint[]" in reads[1]


@pytest.mark.django_db
class TestPinnedPages:
    @given(
        names=st.lists(st.sampled_from(["a", "b", "B", "c"]), max_size=12),
        pin_limit=st.sampled_from([0, 3, 100]),
        pin_order=st.sampled_from([(), SEARCH_PIN_ORDER]),
        page_size=st.integers(1, 4),
    )
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_pinning_changes_no_page(self, account, names, pin_limit, pin_order, page_size):
        Company.objects.for_account(account).delete()
        Company.unscoped.bulk_create([Company(account=account, name=n) for n in names])
        qs = Company.objects.for_account(account)
        ordering = Ordering(("name",))
        expected = list(qs.order_by(*ordering.order_by(qs.model)).values_list("pk", flat=True))
        seen, cursor = [], None
        while True:
            page = keyset_page(
                qs,
                ordering=ordering,
                cursor=cursor,
                page_size=page_size,
                count_limit=50,
                pin_limit=pin_limit,
                pin_order=pin_order,
            )
            seen += [r.pk for r in page.rows]
            assert page.total == len(names)
            if not page.has_next:
                break
            cursor = page.next_cursor
        assert seen == expected

    def test_pinned_pages_read_back_as_they_read_forward(self, account, monkeypatch):
        """Newest first, the pin's order, a page's ids are chosen from the keys the pin read (`pagination._read`):
        forward and back, with creation instants shared by several deals, the same pages as the plain read's; and
        in other orders (a close day empty for some deals, read in two parts; a name) as before."""
        days = [None, dt.date(2026, 1, 5), dt.date(2026, 1, 5), None, dt.date(2025, 12, 1), dt.date(2026, 3, 1)]
        instant = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
        for i, day in enumerate([*days, None, dt.date(2026, 1, 5)]):
            deal = DealFactory(account=account, name=f"Zebra {i % 3}", closed_at=day)
            Deal.unscoped.filter(pk=deal.pk).update(created_at=instant + dt.timedelta(microseconds=i % 3))
        DealFactory(account=account, name="Other", closed_at=None)
        qs = search_filter(Deal.objects.for_account(account), "zebra").select_related("company")
        orderings = [Ordering(("created_at",), descending=True), Ordering(("created_at",))]
        orderings += [Ordering(("closed_at",), descending=True), Ordering(("closed_at",)), Ordering(("name",))]
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 8)  # few: the pin reads the keys (SQLite too)
        for ordering in orderings:
            plain, pinned = (_walk(qs, ordering, pin_limit=pin_limit) for pin_limit in (0, 100))
            assert pinned == plain
            assert sorted(pk for page in plain[0] for pk in page) == sorted(qs.values_list("pk", flat=True))
            assert len(plain[0]) == 4

    def test_a_page_in_the_pins_order_reads_only_its_rows(self, account, monkeypatch):
        """Six matches newest first, a page of two: the pin reads the matches' keys, and the page reads only its
        rows and the next page's first, not all six joined to their linked records."""
        for _ in range(6):
            DealFactory(account=account, name="Zebra")
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 6)  # the planner expects few (SQLite too)
        qs = search_filter(Deal.objects.for_account(account), "zebra").select_related("company", "owner")
        ordering = Ordering(("created_at",), descending=True)
        page, ctx = _pinned_first_page(qs, ordering)
        _matches, rows = (q["sql"] for q in ctx.captured_queries)
        first_three = list(qs.order_by(*ordering.order_by(Deal)).values_list("pk", flat=True)[:3])
        assert _ids_among(rows) == set(first_three)
        assert [r.pk for r in page.rows] == first_three[:2]
        assert page.total == 6

    def test_a_page_in_another_order_reads_only_its_rows(self, account, monkeypatch):
        """By name, not the pin's usual order: where the planner expects few matches, the pin reads their keys in
        the list's own order (sorted by the database, in its collation), and the page reads only its rows and the
        next page's first, not all six (a typical account's 1,260 persons of `ko`)."""
        for name in ("Zebra f", "Zebra b", "Zebra e", "Zebra a", "Zebra d", "Zebra c"):
            CompanyFactory(account=account, name=name)
        CompanyFactory(account=account, name="Other")
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 6)  # the planner expects few (SQLite too)
        qs = search_filter(Company.objects.for_account(account), "zebra")
        ordering = Ordering(("name",))
        page, ctx = _pinned_first_page(qs, ordering)
        matches, rows = (q["sql"] for q in ctx.captured_queries)
        table = '"companies_company"'
        assert matches.split(" FROM ")[0] == f'SELECT {table}."name" AS "name", {table}."id" AS "pk"'
        assert " ORDER BY 1 ASC, 2 ASC " in matches  # by name, then id
        first_three = list(qs.order_by("name", "pk").values_list("pk", flat=True)[:3])
        assert _ids_among(rows) == set(first_three)
        assert [r.name for r in page.rows] == ["Zebra a", "Zebra b"]
        assert page.total == 6

    @pytest.mark.parametrize("planned", [0, None])
    def test_a_pin_that_finds_nothing_is_the_page(self, account, monkeypatch, planned):
        """No match: the pin read them all, so the page is empty without a read of its own (by name, with or
        without an estimate: SQLite has none). On PostgreSQL the page read `id = ANY('{}')`; Django sends SQLite
        no statement for an empty `IN` anyway."""
        CompanyFactory(account=account, name="Other")
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: planned)
        qs = search_filter(Company.objects.for_account(account), "zebra")
        page, ctx = _pinned_first_page(qs, Ordering(("name",)))
        assert len(ctx.captured_queries) == 1
        assert (page.rows, page.total, page.has_next) == ([], 0, False)

    def test_a_cursor_whose_row_left_the_matches_reads_as_without_the_pin(self, account, monkeypatch):
        """The cursor's row no longer matches (renamed since): its key is not among the pinned ones, and a name is
        compared by the database, as without the pin, forward and back."""
        for name in ("Zebra a", "Zebra b", "Zebra c", "Zebra d", "Zebra e"):
            CompanyFactory(account=account, name=name)
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 5)
        qs = search_filter(Company.objects.for_account(account), "zebra")
        ordering = Ordering(("name",))

        def read(cursor, pin_limit):
            return keyset_page(
                qs,
                ordering=ordering,
                cursor=cursor,
                page_size=2,
                count_limit=100,
                pin_limit=pin_limit,
                pin_order=SEARCH_PIN_ORDER,
                estimate_when_many=True,
            )

        first = read(None, 10)
        second = read(first.next_cursor, 10)
        assert [r.name for r in second.rows] == ["Zebra c", "Zebra d"]
        Company.unscoped.filter(pk=first.rows[-1].pk).update(name="Other b", search_key="other b")
        Company.unscoped.filter(pk=second.rows[-1].pk).update(name="Other d", search_key="other d")
        for cursor in (first.next_cursor, second.prev_cursor, second.next_cursor):
            pinned, plain = read(cursor, 10), read(cursor, 0)
            assert [r.pk for r in pinned.rows] == [r.pk for r in plain.rows]
        assert [r.name for r in read(first.next_cursor, 10).rows] == ["Zebra c", "Zebra e"]
        assert [r.name for r in read(second.next_cursor, 10).rows] == ["Zebra e"]

    @pytest.mark.parametrize("expected", [11, None])
    def test_the_pin_reads_no_keys_where_the_planner_expects_more_than_it_pins(self, account, monkeypatch, expected):
        """Expected to match more than `pin_limit` (not pinned), or with no estimate at all (SQLite: a common search
        there would parse 10,001 instants for nothing), the pin reads only ids."""
        for _ in range(4):
            DealFactory(account=account, name="Zebra")
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: expected)
        qs = search_filter(Deal.objects.for_account(account), "zebra")
        ordering = Ordering(("created_at",), descending=True)
        page, ctx = _pinned_first_page(qs, ordering)
        matches = ctx.captured_queries[0]["sql"]
        assert matches.split(" FROM ")[0] == 'SELECT "deals_deal"."id" AS "pk"'
        assert page.total == 4
        assert [r.pk for r in page.rows] == list(qs.order_by("-created_at", "-pk").values_list("pk", flat=True)[:2])


def _pinned_first_page(qs, ordering):
    """The first page of two among at most ten pinned matches, as a search list asks for it, with its statements."""
    with CaptureQueriesContext(connection) as ctx:
        page = keyset_page(
            qs,
            ordering=ordering,
            cursor=None,
            page_size=2,
            count_limit=100,
            pin_limit=10,
            pin_order=SEARCH_PIN_ORDER,
            estimate_when_many=True,
        )
    return page, ctx


def _ids_among(sql):
    """The ids a page statement reads among: its `IN (...)` on SQLite, its `= ANY(...)` array on PostgreSQL."""
    among = sql.split(" = ANY(" if connection.vendor == "postgresql" else " IN (")[1].split(")")[0]
    among = re.sub(r"::\w+\[\]", "", among)  # PostgreSQL's array literal: '{7,8,9}'::int2[]::bigint[]
    return {int(n) for n in re.findall(r"\d+", among)}


def _walk(qs, ordering, *, pin_limit):
    """Every page's ids forward, then back from the last page through the previous pages' cursors."""
    forward, cursor = [], None
    while True:
        page = keyset_page(
            qs,
            ordering=ordering,
            cursor=cursor,
            page_size=2,
            count_limit=50,
            pin_limit=pin_limit,
            pin_order=SEARCH_PIN_ORDER,
            estimate_when_many=True,
        )
        forward.append([r.pk for r in page.rows])
        if not page.has_next:
            break
        cursor = page.next_cursor
    back = []
    while page.has_prev:
        page = keyset_page(
            qs,
            ordering=ordering,
            cursor=page.prev_cursor,
            page_size=2,
            count_limit=50,
            pin_limit=pin_limit,
            pin_order=SEARCH_PIN_ORDER,
            estimate_when_many=True,
        )
        back.append([r.pk for r in page.rows])
    return forward, back


@pytest.mark.django_db
class TestFill:
    def test_fills_every_account_in_batches_and_is_safe_to_rerun(self, account, other_tenant):
        acme = CompanyFactory(account=account, name="Acme")
        anna = PersonFactory(company=acme, first_name="Anna", last_name="Nowak")
        DealFactory(company=acme, person=anna, name="Licencje")
        CompanyFactory.create_batch(4, account=other_tenant.account)
        PersonFactory(account=account, last_name="Solo")
        expected = {m: {r.pk: search_key_of(r) for r in m.unscoped.all()} for m in (Company, Person, Deal)}
        for model in (Company, Person, Deal):
            model.unscoped.update(search_key="")

        assert fill_search_keys(Company, "company", batch_size=2) == 5
        assert fill_search_keys(Person, "person", batch_size=2) == 2
        assert fill_search_keys(Deal, "deal", batch_size=2) == 1
        for model in (Company, Person, Deal):
            assert dict(model.unscoped.values_list("pk", "search_key")) == expected[model]
        assert fill_search_keys(Deal, "deal") == 0

    def test_demo_data_is_searchable(self):
        demo_data_load()
        for model, kind in ((Company, "company"), (Person, "person"), (Deal, "deal")):
            assert model.unscoped.exists()
            assert fill_search_keys(model, kind) == 0, f"demo {kind} keys differ from the services' keys"
        demo = Account.objects.get(slug="demo")
        someone = Person.objects.for_account(demo).exclude(company=None).select_related("company").earliest("pk")
        found = person_list(
            account=demo, filters=PersonFilters(q=f"{someone.last_name.upper()} {someone.company.name}")
        )
        assert someone in found

    def test_the_statistics_benchmark_writes_the_same_keys(self):
        from bench import dataset  # noqa: PLC0415 — the benchmark package configures nothing on import

        plans = dataset.plan(0.0002)
        dataset.load_django(plans, dataset.create_small_tables(plans, 0.0002))
        for model, kind in ((Company, "company"), (Person, "person"), (Deal, "deal")):
            assert model.unscoped.exclude(search_key="").exists()
            assert fill_search_keys(model, kind) == 0, f"benchmark {kind} keys differ from the services' keys"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_the_migrations_built_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%%gin_trgm_ops%%'")
        found = dict(cursor.fetchall())
    assert sorted(found) == ["company_search_account_trgm", "deal_search_account_trgm", "person_search_account_trgm"]
    assert all("USING gin (account_id, search_key gin_trgm_ops)" in definition for definition in found.values())


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
@pytest.mark.parametrize(
    ("q", "indexed"),
    [
        ("kowalski", True),  # anywhere in the key: its trigrams
        ("ko", True),  # at a word start: "  k" and " ko", which pg_trgm keeps for every word
        ("k", True),
        ("sp.", True),
        (".pl", True),
        ("ж", True),  # Cyrillic, below U+0800
        ("--", False),  # no letter or digit: the index would be read whole, so it is kept out of the plan
        ("王伟", False),  # pg_trgm cannot expand this character of a regular expression
    ],
)
def test_the_trigram_index_answers_short_words(q, indexed):
    """With a sequential scan ruled out (and no account condition, whose index a small table would rather read),
    the plan reads the trigram index exactly when it can narrow the rows."""
    sql, params = search_filter(Company.unscoped.all(), q).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert ("company_search_account_trgm" in plan) is indexed, plan


def trigram_index_conditions(qs):
    """The `Index Cond` of each node of `qs`'s plan that reads a trigram index."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    found, nodes = [], [plan]
    while nodes:
        node = nodes.pop()
        if node.get("Index Name", "").endswith("_search_account_trgm"):
            found.append(node["Index Cond"])
        nodes += node.get("Plans", [])
    return found


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
@pytest.mark.parametrize("q", ["kowalski", "ko", "ko kowalski"])
def test_a_list_search_reads_its_account_inside_the_trigram_index(tenant, other_tenant, q):
    """The lists scope a search's account as a bigint (`for_account(..., as_bigint=True)`), which the index's
    account column answers, so the index reads this account's matches only. Scoped the plain way the account is
    `bigint = integer`, which that column cannot take: the index read every account's matches (docs/performance.md,
    "Searches inside the account's part of the trigram index")."""
    for account in (tenant.account, other_tenant.account):
        CompanyFactory.create_batch(3, account=account, name="Kowalski")
    # An account of many companies, few of them matching: reading its matches beats reading the account.
    Company.unscoped.bulk_create(
        Company(account=tenant.account, name=f"Firma {n}", search_key=f"firma {n}") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE companies_company")
        # New entries wait in the index's pending list, which the planner prices as read whole: merge them.
        cursor.execute("SELECT gin_clean_pending_list('company_search_account_trgm')")
    listed = trigram_index_conditions(company_list(account=tenant.account, filters=RecordFilters(q=q)))
    assert listed, "the search did not read the trigram index"
    assert all("account_id = '" in condition and "::bigint" in condition for condition in listed), listed
    plain = trigram_index_conditions(search_filter(Company.objects.for_account(tenant.account), q))
    assert plain, "the search did not read the trigram index"
    assert all("account_id" not in condition for condition in plain), plain
    assert len(company_list(account=tenant.account, filters=RecordFilters(q=q))) == 3
    # The other lists scope a search the same way.
    assert "::bigint" in str(person_list(account=tenant.account, filters=PersonFilters(q=q)).query)
    assert "::bigint" in str(deal_list(account=tenant.account, filters=DealFilters(q=q)).query)
    assert "::bigint" not in str(deal_list(account=tenant.account, filters=DealFilters()).query)


def stored_keys_are_current(account):
    """Every record's stored key is what its current fields and links give."""
    for model in (Company, Person, Deal):
        for record in model.objects.for_account(account):
            assert record.search_key == search_key_of(record), record


@pytest.mark.django_db
class TestServicesKeepKeysCurrent:
    @pytest.fixture
    def graph(self, tenant):
        account, user = tenant.account, tenant.member
        acme = company_create(account=account, user=user, name="Acme", city="Kraków")
        anna = person_create(account=account, user=user, first_name="Anna", last_name="Nowak", company=acme)
        deal = deal_create(account=account, user=user, name="Licencje", company=acme, person=anna)
        return acme, anna, deal

    def deals(self, account, q):
        return names(deal_list(account=account, filters=DealFilters(q=q)))

    def test_created_records_are_found_by_linked_names(self, tenant, graph):
        assert self.deals(tenant.account, "acme nowak licencje") == ["Licencje"]
        assert names(person_list(account=tenant.account, filters=PersonFilters(q="ACME")), "last_name") == ["Nowak"]
        stored_keys_are_current(tenant.account)

    def test_renaming_a_company_refreshes_its_persons_and_deals(self, tenant, graph):
        acme, _, _ = graph
        company_update(account=tenant.account, user=tenant.member, company=acme, version=acme.version, name="Zenit")
        assert self.deals(tenant.account, "zenit") == ["Licencje"]
        assert self.deals(tenant.account, "acme") == []
        assert names(person_list(account=tenant.account, filters=PersonFilters(q="zenit")), "last_name") == ["Nowak"]
        stored_keys_are_current(tenant.account)

    def test_other_company_changes_leave_dependants_alone(self, tenant, graph, django_assert_max_num_queries):
        acme, anna, _ = graph
        with django_assert_max_num_queries(12):
            company_update(account=tenant.account, user=tenant.member, company=acme, version=acme.version, city="Łódź")
        anna.refresh_from_db()
        assert anna.version == 1
        assert names(company_list(account=tenant.account, filters=RecordFilters(q="ŁÓDŹ"))) == ["Acme"]

    def test_renaming_a_person_refreshes_their_deals(self, tenant, graph):
        _, anna, _ = graph
        person_update(account=tenant.account, user=tenant.member, person=anna, version=1, last_name="Wiśniewska")
        assert self.deals(tenant.account, "WIŚNIEWSKA") == ["Licencje"]
        assert self.deals(tenant.account, "nowak") == []
        stored_keys_are_current(tenant.account)

    def test_moving_records_to_other_contacts(self, tenant, graph):
        _, anna, deal = graph
        beta = company_create(account=tenant.account, user=tenant.member, name="Beta")
        jan = person_create(account=tenant.account, user=tenant.member, first_name="Jan", last_name="Lis")
        person_update(account=tenant.account, user=tenant.member, person=anna, version=1, company=beta)
        deal_update(account=tenant.account, user=tenant.member, deal=deal, version=1, person=jan, company=None)
        assert self.deals(tenant.account, "lis") == ["Licencje"]
        assert self.deals(tenant.account, "acme") == []
        assert names(person_list(account=tenant.account, filters=PersonFilters(q="beta")), "last_name") == ["Nowak"]
        stored_keys_are_current(tenant.account)

    def test_deleting_a_contact_takes_its_name_out_of_the_keys(self, tenant, graph):
        acme, anna, _ = graph
        person_delete(account=tenant.account, user=tenant.member, person=anna)
        assert self.deals(tenant.account, "nowak") == []
        company_delete(account=tenant.account, user=tenant.member, company=acme)
        assert self.deals(tenant.account, "acme") == []
        assert self.deals(tenant.account, "licencje") == ["Licencje"]
        stored_keys_are_current(tenant.account)

    def test_a_refused_update_changes_no_key(self, tenant, graph):
        acme, _, _ = graph
        with pytest.raises(ValidationFailed):
            company_update(account=tenant.account, user=tenant.member, company=acme, version=1, name="Zenit", email="x")
        assert self.deals(tenant.account, "acme") == ["Licencje"]
        stored_keys_are_current(tenant.account)
