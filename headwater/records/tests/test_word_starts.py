"""The word-start tables (records/word_starts.py): what they hold, kept exact by every writer, and the pages they
give, the same as the trigram index's (PostgreSQL; SQLite has no table and reads as before)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.companies.selectors import COMPANY_SORTS, company_page
from headwater.companies.services import company_create, company_delete, company_update
from headwater.core import pagination
from headwater.core.pagination import Ordering
from headwater.imports.services import import_run, import_update_duplicates
from headwater.imports.undo import import_undo_start
from headwater.persons.models import Person
from headwater.persons.selectors import PERSON_SORTS, PersonFilters, person_page
from headwater.persons.services import person_create, person_delete, person_update
from headwater.records import listing, word_starts
from headwater.records.bulk import records_bulk_change
from headwater.records.listing import RecordFilters
from headwater.records.registry import kind_of
from headwater.records.search import search_filter, word_start_match
from headwater.records.word_starts import (
    accounts_switched_on,
    switched_on,
    table_of,
    word_start_drift,
    word_starts_choose,
    word_starts_disable,
    word_starts_enable,
)
from headwater.testing.factories import CompanyFactory, PersonFactory, make_import

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the tables exist on PostgreSQL only")

# Letters, separators (ASCII, typographic folded ones, Latin-1, Greek), a space, a CJK character and its
# punctuation (no separator above U+0800): the characters whose word starts differ.
ALPHABET = st.sampled_from([*"abkoó.-@+_ ,;/王。", "\u2019", "\u00a0", "\u037e", "\u0387"])


@given(key=st.text(alphabet=ALPHABET, max_size=14), other=st.text(alphabet=ALPHABET, min_size=2, max_size=2))
@settings(max_examples=300)
def test_a_two_character_word_matches_exactly_the_word_starts(key, other):
    """The table's rule is the search's: a two-character word (no space: the search splits there) matches a key
    exactly when it is one of the key's word starts. Every two characters of the key are tried, and one more."""
    starts = word_starts.word_starts(key)
    for term in {key[i : i + 2] for i in range(len(key) - 1)} | {other}:
        if " " not in term:
            assert (term in starts) == word_start_match(key, term), term


@postgresql_only
@pytest.mark.django_db
@given(key=st.text(alphabet=ALPHABET, max_size=20))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_sql_function_draws_the_same_word_starts(key):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p FROM {word_starts.FUNCTION}(%s) AS s(p)", [key])  # noqa: S608 — ours
        found = [row[0] for row in cursor.fetchall()]
    assert sorted(found) == sorted(word_starts.word_starts(key))


def test_only_the_kinds_sorted_by_name_have_a_table():
    assert kind_of("person").word_start_columns == PERSON_SORTS["name"]
    assert kind_of("company").word_start_columns == COMPANY_SORTS["name"]
    assert kind_of("deal").word_start_columns == ()


def _exact(account_ids=None):
    for model in (Person, Company):
        assert word_start_drift(model, account_ids=account_ids) == (0, 0), table_of(model)


def _stored(model, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT prefix FROM {table_of(model)} WHERE id = %s", [pk])  # noqa: S608 — ours
        return {row[0] for row in cursor.fetchall()}


def _rows_of(model, account):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table_of(model)} WHERE account_id = %s", [account.pk])  # noqa: S608
        return cursor.fetchone()[0]


def _switch_on(*accounts):
    """As an operator does: chosen on (the size rule, applied after each import, leaves it on), then written."""
    for account in accounts:
        for model in (Person, Company):
            word_starts_choose(model, account.pk, True)
            word_starts_enable(model, account.pk)


def _reads_table(ctx, model):
    """Whether a captured statement read the word-start table itself (not its table of accounts: a probe)."""
    return any(f'"{table_of(model)}"' in c["sql"] for c in ctx.captured_queries)


@postgresql_only
@pytest.mark.django_db
class TestKeptExact:
    """`tenant`'s account switched on; `other_tenant`'s off: none of its rows may be written."""

    @pytest.fixture(autouse=True)
    def on(self, tenant):
        _switch_on(tenant.account)

    def test_forms_services_renames_and_deletes(self, tenant, other_tenant):
        account, user = tenant.account, tenant.admin
        acme = company_create(account=account, user=user, name="Acme sp. z o.o.", city="Łódź")
        anna = person_create(account=account, user=user, first_name="Anna", last_name="Nowak-Kowalska", company=acme)
        jan = PersonFactory(account=other_tenant.account, first_name="Jan", last_name="Kowal")
        assert _stored(Person, anna.pk) == {"an", "no", "-k", "ko", "ac", "sp", "o.", ".o"}
        assert _stored(Person, jan.pk) == set()  # an account switched off
        _exact()
        person_update(account=account, user=user, person=anna, version=anna.version, last_name="Wiśniewska")
        _exact()
        assert "wi" in _stored(Person, anna.pk)
        assert "no" not in _stored(Person, anna.pk)
        acme.refresh_from_db()
        # A rename rewrites the keys of the company's persons too (records.services.refresh_dependent_keys).
        company_update(account=account, user=user, company=acme, version=acme.version, name="Zeta")
        _exact()
        assert "ze" in _stored(Person, anna.pk)
        anna.refresh_from_db()
        person_update(account=account, user=user, person=anna, version=anna.version, phone="+48 600 100 200")
        _exact()
        acme.refresh_from_db()
        company_delete(account=account, user=user, company=acme, version=acme.version)
        _exact()
        assert _stored(Company, acme.pk) == set()
        anna.refresh_from_db()
        person_delete(account=account, user=user, person=anna, version=anna.version)
        _exact()
        assert _stored(Person, anna.pk) == set()

    def test_a_bulk_change_and_an_untouched_key_write_nothing(self, tenant):
        """Owner and source changes leave the key alone: the update trigger's WHEN calls no function."""
        persons = PersonFactory.create_batch(3, account=tenant.account, last_name="Kowal")
        records_bulk_change(
            kind_of("person"),
            account=tenant.account,
            user=tenant.admin,
            changes={"owner": None},
            ids=[p.pk for p in persons],
        )
        _exact()
        Person.unscoped.filter(pk=persons[0].pk).update(last_name="Kowal")  # set to what it was
        Person.unscoped.filter(pk=persons[1].pk).update(last_name="Nowak")  # the name order column alone
        _exact()

    def test_an_import_its_merges_and_its_undo(self, tenant):
        existing = CompanyFactory(account=tenant.account, name="Acme", city="")
        content = (
            "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość\n"
            "Acme;Gdańsk;Anna;Nowak;anna@acme.pl;Licencje;100\n"
            "Beta;Łódź;Jan;Kowalski;jan.kowalski@beta.pl;Serwis;100\n"
        ).encode()
        import_ = make_import(tenant.account, tenant.member, content=content)
        import_update_duplicates(account=tenant.account, import_=import_, mode="fill", update_existing_source=False)
        with CaptureQueriesContext(connection) as ctx:
            import_run(account=tenant.account, user=tenant.member, import_=import_)
        _exact()
        # The new persons' and companies' word starts in one statement each, the triggers skipping their rows.
        bulk = [
            q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT INTO") and "_word_start" in q["sql"]
        ]
        assert len(bulk) == 2
        jan = Person.objects.for_account(tenant.account).get(last_name="Kowalski")
        assert {"ja", "ko", ".k", "@b", "be", ".p"} <= _stored(Person, jan.pk)
        assert "gd" in _stored(Company, existing.pk)  # the merged city, through the trigger
        import_.refresh_from_db()
        import_undo_start(account=tenant.account, user=tenant.member, import_=import_, keep_touched=False)
        _exact()
        assert _stored(Person, jan.pk) == set()
        assert _stored(Company, existing.pk) == {"ac"}

    def test_the_check_and_the_rebuild(self, tenant, other_tenant):
        _switch_on(other_tenant.account)
        person = PersonFactory(account=tenant.account, last_name="Kowal")
        other = PersonFactory(account=other_tenant.account, last_name="Nowak")
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table_of(Person)} WHERE id = %s", [person.pk])  # noqa: S608 — ours
            cursor.execute(
                f"UPDATE {table_of(Person)} SET prefix = 'zz' WHERE id = %s AND prefix = 'no'",  # noqa: S608 — ours
                [other.pk],
            )
        assert word_start_drift(Person, account_ids=[tenant.account.pk])[0] > 0
        with pytest.raises(CommandError, match="differ"):
            call_command("word_starts", "--check")
        call_command("word_starts", "--rebuild", "--account", str(tenant.account.pk))
        assert word_start_drift(Person, account_ids=[tenant.account.pk]) == (0, 0)
        assert word_start_drift(Person, account_ids=[other_tenant.account.pk]) == (1, 1)  # left alone
        call_command("word_starts", "--rebuild")
        call_command("word_starts", "--check")
        _exact()


def _walk(read, page_size):
    """Every page forward, then back from the last through the previous pages' cursors: ids and labels."""
    forward, page, cursor = [], None, None
    while True:
        page = read(cursor, page_size)
        forward.append(([r.pk for r in page.rows], page.start, page.total, page.estimate))
        if not page.has_next:
            break
        cursor = page.next_cursor
    back = []
    while page.has_prev:
        page = read(page.prev_cursor, page_size)
        back.append(([r.pk for r in page.rows], page.start, page.total))
    return forward, back


@postgresql_only
@pytest.mark.django_db
class TestPages:
    @pytest.fixture
    def people(self, tenant, other_tenant):
        names = ["Kowal", "kowalska", "Kóz", "Ko", "Nowak-Kowalska", "Makowski", "Nowak", "Kowal", "Abko", "ko-ko"]
        for i, last in enumerate(names * 2):
            PersonFactory(account=tenant.account, first_name="Anna" if i % 3 else "Ola", last_name=last)
        PersonFactory(account=other_tenant.account, last_name="Kowal")
        _switch_on(tenant.account)
        return tenant.account

    def _read(self, account, *, q, sort, count_limit):
        ordering = Ordering(PERSON_SORTS[sort.removeprefix("-")], descending=sort.startswith("-"))

        def read(cursor, page_size):
            return person_page(
                account=account,
                filters=PersonFilters(q=q),
                ordering=ordering,
                cursor=cursor,
                page_size=page_size,
                count_limit=count_limit,
            )

        return read

    @pytest.mark.parametrize("sort", ["name", "-name"])
    @pytest.mark.parametrize("limits", [(100, 100, 5), (100, 3, 5), (0, 0, None)])
    @pytest.mark.parametrize("q", ["ko", "KO", "-k", "zx"])
    def test_the_same_pages_as_the_trigram_index(self, people, monkeypatch, sort, limits, q):
        """Pinned (few), read by ranges (more than the pin takes), and the API's (no count): forward and back, the
        same rows, starts and totals with the table as without it."""
        count_limit, pin_limit, planned = limits  # (count, pin, the planner's estimate): pinned, ranges, the API's
        monkeypatch.setattr(listing, "SEARCH_PIN_LIMIT", pin_limit)
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: planned)
        walks = []
        for uses_table in (True, False):
            if not uses_table:
                monkeypatch.setattr(listing, "reads_word_starts", lambda *args, **kwargs: None)
            read = self._read(people, q=q, sort=sort, count_limit=count_limit)
            with CaptureQueriesContext(connection) as ctx:
                walks.append(_walk(read, 3))
            assert _reads_table(ctx, Person) == uses_table
        assert walks[0] == walks[1]
        matches = search_filter(Person.objects.for_account(people), q).count()
        assert sum(len(ids) for ids, *_ in walks[0][0]) == matches
        assert (matches > 3) == (q != "zx")  # more than a page

    def test_other_filters_words_and_sorts_keep_the_trigram_index(self, people, tenant):
        cases = [
            (PersonFilters(q="ko", owner=tenant.admin.pk), "name"),
            (PersonFilters(q="ko no"), "name"),
            (PersonFilters(q="kow"), "name"),
            (PersonFilters(q="k"), "name"),
            (PersonFilters(q="ko"), "email"),
            (PersonFilters(q="ko"), "created"),
        ]
        for filters, sort in cases:
            with CaptureQueriesContext(connection) as ctx:
                person_page(
                    account=people,
                    filters=filters,
                    ordering=Ordering(PERSON_SORTS[sort]),
                    cursor=None,
                    page_size=4,
                    count_limit=100,
                )
            assert not _reads_table(ctx, Person), (filters, sort)

    def test_a_company_page_reads_one_range(self, tenant):
        for name in ["Acme", "Beta", "Acme Two", "b-ac", "Zeta ac"]:
            CompanyFactory(account=tenant.account, name=name)
        _switch_on(tenant.account)
        with CaptureQueriesContext(connection) as ctx:
            page = company_page(
                account=tenant.account,
                filters=RecordFilters(q="ac"),
                ordering=Ordering(("name",)),
                cursor=None,
                page_size=2,
                count_limit=0,
            )
        assert [c.name for c in page.rows] == ["Acme", "Acme Two"]
        ranges = [c["sql"] for c in ctx.captured_queries if f'"{table_of(Company)}"' in c["sql"]]
        assert len(ranges) == 1
        assert "ORDER BY" in ranges[0]
        assert page.has_next


def _pages(account, q="ko", sort="name"):
    ordering = Ordering(PERSON_SORTS[sort.removeprefix("-")], descending=sort.startswith("-"))

    def read(cursor, page_size):
        return person_page(
            account=account,
            filters=PersonFilters(q=q),
            ordering=ordering,
            cursor=cursor,
            page_size=page_size,
            count_limit=100,
        )

    return read


@postgresql_only
@pytest.mark.django_db
class TestSwitchedOnOrOff:
    """An account switched off keeps no rows, writes none, and reads as without the table; switching it on writes
    its rows (exact), off drops them."""

    def test_an_account_switched_off_writes_no_rows_and_reads_as_before(self, tenant, monkeypatch):
        account, user = tenant.account, tenant.admin
        assert not switched_on(Person, account.pk)
        acme = company_create(account=account, user=user, name="Acme", city="Kołobrzeg")
        anna = person_create(account=account, user=user, first_name="Anna", last_name="Kowalska", company=acme)
        for last in ["Kowal", "Nowak-Kowalska", "ko-ko", "Makowski"] * 2:
            PersonFactory(account=account, last_name=last)
        person_update(account=account, user=user, person=anna, version=anna.version, last_name="Kowalczyk")
        acme.refresh_from_db()
        company_update(account=account, user=user, company=acme, version=acme.version, name="Zeta")
        assert _rows_of(Person, account) == _rows_of(Company, account) == 0
        _exact()
        monkeypatch.setattr(listing, "SEARCH_PIN_LIMIT", 3)
        monkeypatch.setattr(pagination, "estimated_rows", lambda qs: 5)
        walks = []
        for probe in (True, False):
            if not probe:  # main's path: no word starts read, no probe
                monkeypatch.setattr(listing, "reads_word_starts", lambda *args, **kwargs: None)
            with CaptureQueriesContext(connection) as ctx:
                walks.append(_walk(_pages(account), 3))
            assert not _reads_table(ctx, Person)
        assert walks[0] == walks[1]
        matches = search_filter(Person.objects.for_account(account), "ko").count()
        assert sum(len(ids) for ids, *_ in walks[0][0]) == matches
        assert len(walks[0][0]) > 1  # more than a page

    def test_an_import_of_an_account_switched_off_writes_no_rows(self, tenant, other_tenant):
        _switch_on(other_tenant.account)  # another account on: the triggers exist and probe
        content = (
            "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość\n"
            "Beta;Łódź;Jan;Kowalski;jan.kowalski@beta.pl;Serwis;100\n"
        ).encode()
        import_ = make_import(tenant.account, tenant.member, content=content)
        with CaptureQueriesContext(connection) as ctx:
            import_run(account=tenant.account, user=tenant.member, import_=import_)
        assert not [q for q in ctx.captured_queries if q["sql"].startswith("INSERT INTO") and "_word_start" in q["sql"]]
        assert _rows_of(Person, tenant.account) == _rows_of(Company, tenant.account) == 0
        assert Person.objects.for_account(tenant.account).filter(last_name="Kowalski").exists()
        _exact()

    def test_switched_on_then_off(self, tenant, other_tenant):
        account = tenant.account
        for last in ["Kowal", "Nowak-Kowalska", "ko-ko", "Makowski"] * 2:
            PersonFactory(account=account, last_name=last)
        PersonFactory(account=other_tenant.account, last_name="Kowal")
        CompanyFactory(account=account, name="Kolor")
        call_command("word_starts", "--enable", "--account", str(account.pk))
        assert accounts_switched_on(Person) == accounts_switched_on(Company) == [account.pk]
        assert _rows_of(Person, account) > 0
        assert _rows_of(Company, account) > 0
        assert _rows_of(Person, other_tenant.account) == 0
        _exact()
        with CaptureQueriesContext(connection) as ctx:
            on = _walk(_pages(account), 3)
        assert _reads_table(ctx, Person)
        call_command("word_starts", "--enable", "--account", str(account.pk))  # again: rewritten, still exact
        _exact()
        call_command("word_starts", "--disable", "--account", str(account.pk), "--kind", "person")
        assert accounts_switched_on(Person) == []
        assert accounts_switched_on(Company) == [account.pk]
        assert _rows_of(Person, account) == 0
        _exact()
        with CaptureQueriesContext(connection) as ctx:
            off = _walk(_pages(account), 3)
        assert not _reads_table(ctx, Person)
        assert on == off
        PersonFactory(account=account, last_name="Kowalewski")  # off: written nowhere
        assert _rows_of(Person, account) == 0
        word_starts_disable(Company, account.pk)
        _exact()

    def test_the_command_says_what_it_needs(self):
        with pytest.raises(CommandError, match="--account"):
            call_command("word_starts", "--enable")
        with pytest.raises(CommandError, match="Say"):
            call_command("word_starts")
