"""Who switches an account's word starts on and off (records/word_starts.py): the size rule with its gap, an
operator's choice, an import's job; and how: in batches that writers wait for one at a time, resumed when
interrupted, read only once whole (PostgreSQL; SQLite has no tables)."""

from __future__ import annotations

from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headwater.companies.models import Company
from headwater.core.pagination import Ordering
from headwater.imports.services import import_run
from headwater.jobs.models import Job, JobState
from headwater.jobs.services import job_create
from headwater.persons.models import Person
from headwater.persons.selectors import PERSON_SORTS, PersonFilters, person_page
from headwater.persons.services import person_update
from headwater.records import word_starts
from headwater.records.tasks import WORD_STARTS_KIND, word_starts_job_start
from headwater.records.word_starts import (
    accounts_switched_on,
    switched_on,
    table_of,
    word_start_drift,
    word_start_states,
    word_starts_due,
    word_starts_enable,
    word_starts_fit,
)
from headwater.testing.factories import CompanyFactory, PersonFactory, make_import

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the tables exist on PostgreSQL only")


@pytest.fixture
def rule(settings):
    """On at 4 records of a kind, off below 2."""
    settings.WORD_STARTS_ON_AT = 4
    settings.WORD_STARTS_OFF_BELOW = 2
    return settings


def _exact():
    for model in (Person, Company):
        assert word_start_drift(model) == (0, 0), table_of(model)


def _rows_of(model, account):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table_of(model)} WHERE account_id = %s", [account.pk])  # noqa: S608
        return cursor.fetchone()[0]


def _persons(account, count, last_name="Kowal"):
    return [PersonFactory(account=account, last_name=f"{last_name}{i}") for i in range(count)]


@postgresql_only
@pytest.mark.django_db
class TestTheRule:
    def test_on_at_the_threshold_off_only_below_the_gap(self, rule, tenant, other_tenant):
        account = tenant.account
        people = _persons(account, 3)
        _persons(other_tenant.account, 1)
        assert word_starts_due() == []
        people.append(PersonFactory(account=account, last_name="Nowak"))
        switched = word_starts_fit()
        assert [(s.model, s.account_id, s.on, s.records) for s in switched] == [(Person, account.pk, True, 4)]
        assert accounts_switched_on(Person) == [account.pk]
        assert accounts_switched_on(Company) == []  # its companies are counted apart: none
        assert switched_on(Person, account.pk)
        assert _rows_of(Person, account) > 0
        _exact()
        for person in people[:2]:
            person.delete()
        assert word_starts_fit() == []  # 2 persons: in the gap, it stays on
        assert switched_on(Person, account.pk)
        people[2].delete()
        switched = word_starts_fit()
        assert [(s.account_id, s.on, s.records) for s in switched] == [(account.pk, False, 1)]
        assert accounts_switched_on(Person) == []
        assert _rows_of(Person, account) == 0
        _exact()

    def test_an_operators_choice_stays_until_auto(self, rule, tenant, other_tenant):
        big, small = tenant.account, other_tenant.account
        _persons(big, 5)
        CompanyFactory(account=small, name="Kolor")
        call_command("word_starts", "--disable", "--account", str(big.pk))
        call_command("word_starts", "--enable", "--account", str(small.pk), "--kind", "company")
        assert word_starts_fit() == []
        assert accounts_switched_on(Person) == []
        assert accounts_switched_on(Company) == [small.pk]
        call_command("word_starts", "--list")  # prints; below, what it says
        out = _command_output("--list")
        assert f"persons_person_word_start: {big.pk} (off by hand)" in out
        assert f"companies_company_word_start: {small.pk} (by hand)" in out
        assert "Switched on account" in _command_output("--auto", "--account", str(big.pk))
        assert accounts_switched_on(Person) == [big.pk]
        assert "Switched off account" in _command_output("--auto", "--account", str(small.pk))
        assert accounts_switched_on(Company) == []
        assert _command_output("--fit").strip() == "Nothing to switch."
        _exact()

    def test_an_account_gone_is_switched_off(self, rule, tenant):
        _persons(tenant.account, 4)
        word_starts_fit()
        Person.unscoped.filter(account=tenant.account).delete()
        assert [(s.on, s.records) for s in word_starts_fit()] == [(False, 0)]


def _command_output(*args):
    out = StringIO()
    call_command("word_starts", *args, stdout=out)
    return out.getvalue()


def _pages_read_the_table(account):
    with CaptureQueriesContext(connection) as ctx:
        page = person_page(
            account=account,
            filters=PersonFilters(q="ko"),
            ordering=Ordering(PERSON_SORTS["name"]),
            cursor=None,
            page_size=3,
            count_limit=100,
        )
    return any(f'"{table_of(Person)}"' in c["sql"] for c in ctx.captured_queries), [r.pk for r in page.rows]


class Interrupted(Exception):
    pass


@postgresql_only
@pytest.mark.django_db
class TestBatches:
    def test_an_interrupted_build_is_not_read_is_kept_and_goes_on(self, tenant):
        account, user = tenant.account, tenant.admin
        people = _persons(account, 7)
        batches = []

        def advance(done):
            batches.append(done)
            if len(batches) == 2:
                raise Interrupted

        with pytest.raises(Interrupted):
            word_starts_enable(Person, account.pk, batch=2, advance=advance)
        assert word_start_states(Person) == {account.pk: False}
        assert not switched_on(Person, account.pk)
        assert _rows_of(Person, account) > 0
        # Written meanwhile: kept by the triggers, the written batch's rows and the rest alike.
        person_update(account=account, user=user, person=people[0], version=people[0].version, last_name="Zawada")
        person_update(account=account, user=user, person=people[6], version=people[6].version, last_name="Zięba")
        PersonFactory(account=account, last_name="Kozioł")
        reads, half = _pages_read_the_table(account)
        assert not reads  # half written: read as before
        assert word_starts_enable(Person, account.pk, batch=2, advance=batches.append) > 0
        assert batches[2:] == [2, 4, 6, 8]
        assert word_start_states(Person) == {account.pk: True}
        _exact()
        reads, whole = _pages_read_the_table(account)
        assert reads
        assert whole == half
        assert word_starts_enable(Person, account.pk) == 0  # on already

    def test_rows_left_by_an_unfinished_switch_off_are_dropped_first(self, tenant):
        account = tenant.account
        people = _persons(account, 3)
        word_starts_enable(Person, account.pk)
        with connection.cursor() as cursor:
            # A switch off that took the account off the list and died before its rows went.
            cursor.execute(f"DELETE FROM {word_starts.accounts_table_of(Person)}")  # noqa: S608 — ours
        people[0].last_name = "Nowak"
        people[0].save()  # switched off: its stale rows stay
        people[1].delete()
        word_starts_enable(Person, account.pk, batch=1)
        _exact()

    def test_a_switch_off_drops_every_row_in_batches(self, tenant):
        _persons(tenant.account, 5)
        word_starts_enable(Person, tenant.account.pk)
        rows = _rows_of(Person, tenant.account)
        assert word_starts.word_starts_disable(Person, tenant.account.pk, batch=1) == rows
        assert _rows_of(Person, tenant.account) == 0
        _exact()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_writers_wait_for_one_batch_not_the_whole_build(tenant):
    """Between two batches another connection writes a record of the account at once (a lock held for the whole
    build would make it wait past its lock_timeout), and its word starts are kept."""
    account = tenant.account
    people = _persons(account, 6)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    writes = []

    def advance(done):
        if done == 2:
            with psycopg.connect(**params, autocommit=True) as other:
                other.execute("SET lock_timeout = '2s'")
                other.execute(
                    "UPDATE persons_person SET last_name = 'Zawada', search_key = 'zawada' WHERE id = %s",
                    [people[4].pk],
                )
                writes.append(done)

    word_starts_enable(Person, account.pk, batch=2, advance=advance)
    assert writes == [2]
    assert "za" in _prefixes(people[4].pk)
    _exact()


def _prefixes(pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT prefix FROM {table_of(Person)} WHERE id = %s", [pk])  # noqa: S608 — ours
        return {row[0] for row in cursor.fetchall()}


CSV = (
    "Nazwa firmy;Miasto;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość\n"
    "Acme;Gdańsk;Anna;Nowak;anna@acme.pl;Licencje;100\n"
    "Beta;Łódź;Jan;Kowalski;jan.kowalski@beta.pl;Serwis;100\n"
).encode()


def _import_url(name, import_):
    return reverse(f"imports:{name}", kwargs={"account_slug": import_.account.slug, "import_id": import_.pk})


@postgresql_only
@pytest.mark.django_db
def test_an_import_switches_its_account_on_and_its_undo_off(settings, tenant):
    settings.WORD_STARTS_ON_AT = 2
    settings.WORD_STARTS_OFF_BELOW = 2
    client = tenant.client_for("member")
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    assert client.post(_import_url("preview", import_)).status_code == 302
    jobs = Job.objects.for_account(tenant.account).filter(kind=WORD_STARTS_KIND).order_by("pk")
    assert [(j.state, j.total, j.done, j.label) for j in jobs] == [(JobState.DONE, 4, 4, "")]
    assert accounts_switched_on(Person) == accounts_switched_on(Company) == [tenant.account.pk]
    assert _pages_read_the_table(tenant.account)[0]
    _exact()
    assert client.post(_import_url("undo", import_), {"touched": "keep"}).status_code == 302
    assert accounts_switched_on(Person) == accounts_switched_on(Company) == []
    assert [(j.state, j.total) for j in jobs.all()] == [(JobState.DONE, 4), (JobState.DONE, 0)]
    _exact()


@postgresql_only
@pytest.mark.django_db
def test_the_import_page_shows_the_switch_under_way(rule, tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    import_run(account=tenant.account, user=tenant.member, import_=import_)  # 2 persons: below 4, nothing due
    assert not Job.objects.for_account(tenant.account).filter(kind=WORD_STARTS_KIND).exists()
    _persons(tenant.account, 2)
    job = word_starts_job_start(account=tenant.account)  # the immediate backend ran it
    assert (job.state, job.total) == (JobState.DONE, 4)
    assert word_starts_job_start(account=tenant.account) is None  # nothing due any more
    queued = job_create(account=tenant.account, kind=WORD_STARTS_KIND, total=4)
    page = tenant.client_for("member").get(_import_url("detail", import_))
    html = page.content.decode()
    assert 'id="search-job-note"' in html
    assert f'id="job-{queued.pk}"' in html
    assert word_starts_job_start(account=tenant.account) is None
    assert Job.objects.for_account(tenant.account).filter(kind=WORD_STARTS_KIND).count() == 2


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite: no tables, nothing due")
@pytest.mark.django_db
def test_nothing_is_due_on_sqlite(rule, tenant):
    _persons(tenant.account, 5)
    assert word_starts_due() == []
    assert word_starts_job_start(account=tenant.account) is None


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_back_drops_a_half_written_account(tenant, other_tenant):
    _persons(tenant.account, 2)
    _persons(other_tenant.account, 2)
    word_starts_enable(Person, tenant.account.pk)
    with pytest.raises(Interrupted):
        word_starts_enable(Person, other_tenant.account.pk, batch=1, advance=_interrupt)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("persons", "0013_word_starts")])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT account_id FROM {word_starts.accounts_table_of(Person)}")  # noqa: S608 — ours
            assert [row[0] for row in cursor.fetchall()] == [tenant.account.pk]
            cursor.execute(
                f"SELECT DISTINCT account_id FROM {table_of(Person)}"  # noqa: S608 — ours
            )
            assert [row[0] for row in cursor.fetchall()] == [tenant.account.pk]
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert word_start_states(Person) == {tenant.account.pk: True}
    assert word_starts.word_start_choices(Person) == {}
    _exact()


def _interrupt(done):
    raise Interrupted
