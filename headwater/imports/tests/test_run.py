"""Step 6, the run, through the service entry point: records created and linked with their origin, duplicates,
sources and their history, all or nothing, and the statistics tallies exact afterwards."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports import run
from headwater.imports.models import ImportChange, ImportState
from headwater.imports.selectors import import_simulate, import_status
from headwater.imports.services import import_run, import_update_duplicates, import_update_mapping
from headwater.jobs.models import JobState
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.sources.models import HowChanged, SourceChange
from headwater.sources.services import source_create
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import CompanyFactory, make_import

pytestmark = pytest.mark.django_db

CSV = (
    "Nazwa firmy;NIP;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość;Źródło\n"
    "Acme sp. z o.o.;5260001246;Anna;Nowak;anna@acme.pl;Licencje;1 234,50 zł;Google\n"
    "ACME;;Jan;Kowalski;jan@acme.pl;Serwis;100;\n"
    "Beta;;;;;Wdrożenie;abc;Google\n"
).encode()


def _run(tenant, import_):
    job = import_run(account=tenant.account, user=tenant.member, import_=import_)
    job.refresh_from_db()
    import_.refresh_from_db()
    return job


def test_run_creates_linked_records_with_their_origin(tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    job = _run(tenant, import_)
    assert job.state == JobState.DONE, job.error
    assert import_.state == ImportState.DONE
    # Row 3's value is no amount: rejected; rows 1 and 2 share one company (by name, without the legal form).
    assert import_.results["errors"] == 1
    assert import_.results["created"] == {"company": 1, "person": 2, "deal": 2}
    company = Company.objects.for_account(tenant.account).get()
    assert (company.origin, company.origin_import_id) == (RecordOrigin.IMPORT, import_.pk)
    assert company.tax_id == "5260001246"
    persons = Person.objects.for_account(tenant.account).order_by("last_name")
    assert [p.company_id for p in persons] == [company.pk, company.pk]
    deal = Deal.objects.for_account(tenant.account).get(name="Licencje")
    assert deal.company_id == company.pk
    assert deal.person.last_name == "Nowak"
    assert str(deal.value) == "1234.50"
    assert not ImportChange.objects.for_account(tenant.account).filter(import_run=import_).exists()  # created only
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
    status = import_status(account=tenant.account, pk=import_.pk)
    assert status["state"] == "done"
    assert status["done"] == 3


def test_running_twice_is_refused_and_a_second_file_finds_the_duplicates(tenant):
    first = make_import(tenant.account, tenant.member, content=CSV)
    _run(tenant, first)
    with pytest.raises(Exception, match="already been run"):
        import_run(account=tenant.account, user=tenant.member, import_=first)
    second = make_import(tenant.account, tenant.member, content=CSV)
    import_update_duplicates(account=tenant.account, import_=second, mode="fill", update_existing_source=False)
    _run(tenant, second)
    assert Company.objects.for_account(tenant.account).count() == 1
    assert Person.objects.for_account(tenant.account).count() == 2
    assert second.results["created"]["company"] == 0
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_overwrite_records_previous_values_and_source_history_says_import(tenant):
    google = source_create(account=tenant.account, user=tenant.admin, name="Google")
    first = make_import(tenant.account, tenant.member, content=CSV)
    _run(tenant, first)
    company = Company.objects.for_account(tenant.account).get()
    assert company.source_id == google.pk
    change = SourceChange.objects.for_account(tenant.account).get(record_type="company", record_id=company.pk)
    assert (change.how, change.import_ref) == (HowChanged.IMPORT, first.pk)
    Company.objects.for_account(tenant.account).update(tax_id="", source=None)
    second = make_import(tenant.account, tenant.member, content=CSV.replace(b"Acme sp", b"ACME sp"))
    import_update_duplicates(account=tenant.account, import_=second, mode="overwrite", update_existing_source=True)
    _run(tenant, second)
    company.refresh_from_db()
    assert company.source_id == google.pk
    # Two rows name the company: one change each; the first holds what it was before the import.
    changes = ImportChange.objects.for_account(tenant.account).filter(import_run=second, record_type="company")
    logged = changes.order_by("id").first()
    assert logged.previous["source_id"] is None
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def test_a_failure_mid_run_leaves_nothing_and_the_import_can_run_again(tenant, monkeypatch):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    monkeypatch.setattr(run, "BATCH_ROWS", 1)
    calls = {"n": 0}
    original = run._Writer.write

    def failing(self, batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        original(self, batch)

    monkeypatch.setattr(run._Writer, "write", failing)
    job = _run(tenant, import_)
    assert job.state == JobState.FAILED
    assert import_.state == ImportState.FAILED
    assert not _run_keys_table_exists()
    assert Company.objects.for_account(tenant.account).count() == 0
    assert Person.objects.for_account(tenant.account).count() == 0
    monkeypatch.setattr(run._Writer, "write", original)
    job = _run(tenant, import_)
    assert job.state == JobState.DONE
    assert Company.objects.for_account(tenant.account).count() == 1


def test_another_accounts_import_is_not_found(tenant, other_tenant):
    import_ = make_import(other_tenant.account, other_tenant.member, content=CSV)
    with pytest.raises(Exception, match="No such import"):
        import_run(account=tenant.account, user=tenant.member, import_=import_)


def test_unmapped_file_is_refused(tenant):
    import_ = make_import(tenant.account, tenant.member, content=CSV)
    import_update_mapping(account=tenant.account, import_=import_, mapping=[None] * len(import_.columns))
    with pytest.raises(Exception, match="Map at least one column"):
        import_run(account=tenant.account, user=tenant.member, import_=import_)


def test_rows_without_a_source_take_it_from_their_contact(tenant):
    tenant.account.sources_enabled = True
    tenant.account.source_default_from_contact = True
    tenant.account.save()
    fair = source_create(account=tenant.account, user=tenant.admin, name="Targi")
    content = "Nazwa firmy;Nazwisko;Nazwa szansy;Źródło\nAcme;Nowak;Licencje;\n".encode()
    company = CompanyFactory(account=tenant.account, name="Acme", source=fair)
    import_ = make_import(tenant.account, tenant.member, content=content)
    _run(tenant, import_)
    person = Person.objects.for_account(tenant.account).get()
    deal = Deal.objects.for_account(tenant.account).get()
    assert (person.company_id, person.source_id) == (company.pk, fair.pk)
    assert (deal.person_id, deal.source_id) == (person.pk, fair.pk)
    # With the option off, they get none.
    tenant.account.source_default_from_contact = False
    tenant.account.save()
    other = make_import(tenant.account, tenant.member, content=content.replace(b"Nowak", b"Lis"))
    _run(tenant, other)
    assert Person.objects.for_account(tenant.account).get(last_name="Lis").source_id is None


IN_FILE_DUPLICATES = (
    "Nazwa firmy;NIP;Imię;Nazwisko;E-mail;Telefon;Nazwa szansy\n"
    "Acme;5260001246;Anna;Nowak;anna@acme.pl;+48 600 100 200;Licencje\n"
    "Acme S.A.;526-000-12-46;Anna;Nowak;ANNA@acme.pl;;Licencje\n"  # the company by NIP, the person by e-mail
    "Beta;;Jan;Kowalski;;+48 601 100 200;Serwis\n"
    "Beta sp. z o.o.;;Janek;Kowalski;;601-100-200;Audyt\n"  # the company by name, the person by phone
    "Beta;;Ewa;Lis;;;Szkolenie\n"
    "BETA;;Ewa;Lis;;;Szkolenie\n"  # the person by name within the company, the deal by name within both
).encode()


@pytest.mark.parametrize("in_memory", [100_000, 0], ids=["keys in memory", "keys in the table"])
@pytest.mark.parametrize("batch_rows", [1, 2000])
def test_rows_repeating_records_of_the_same_file_are_those_records(tenant, monkeypatch, batch_rows, in_memory):
    """Within a batch and across batches alike, the run's keys in memory or moved to its table: each key of a
    record an earlier row created finds it."""
    monkeypatch.setattr(run, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(run._RunKeys, "LIMIT", in_memory)
    import_ = make_import(tenant.account, tenant.member, content=IN_FILE_DUPLICATES)
    simulated = import_simulate(import_=import_)
    expected = {"company": 2, "person": 3, "deal": 4}
    assert (simulated.created, simulated.skipped, simulated.errors) == (expected, 0, 0)
    job = _run(tenant, import_)
    assert job.state == JobState.DONE, job.error
    assert import_.results["created"] == expected
    assert import_.results["skipped"] == 0
    beta = Company.objects.for_account(tenant.account).get(name="Beta")
    assert sorted(Person.objects.for_account(tenant.account).filter(company=beta).values_list("phone", flat=True)) == [
        "",
        "+48601100200",
    ]
    assert tally_drift(account_ids=[tenant.account.pk]) == {}


def _run_keys_table_exists() -> bool:
    """Whether the run's temporary key table (run._RunKeys) is left on this connection."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"pg_temp.{run._RunKeys.TABLE}"])
        else:
            cursor.execute("SELECT count(*) > 0 FROM sqlite_temp_master WHERE name = %s", [run._RunKeys.TABLE])
        return bool(cursor.fetchone()[0])


def test_past_the_limit_the_keys_of_the_records_a_run_created_move_to_the_database(tenant, monkeypatch):
    """Past LIMIT keys, later batches find an earlier batch's records through the run's temporary table, which goes
    with the run (and with a preview); memory then holds no key."""
    monkeypatch.setattr(run, "BATCH_ROWS", 1)
    monkeypatch.setattr(run._RunKeys, "LIMIT", 4)
    seen: list[int] = []
    links: list[object] = []  # PostgreSQL: the table's own connections
    keep = run._RunKeys.keep

    def counting(self, refs):
        keep(self, refs)
        if self.seen is None:  # still in memory: up to the limit
            assert 0 < len(self.memory) <= 4
            assert not _run_keys_table_exists()
            return
        assert self.memory == {}
        self._settle()  # the COPY sent last, finished (the run finishes it when it next reads or writes the table)
        if self.link is not None and self.link not in links:
            links.append(self.link)
        with self._cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {run._RunKeys.TABLE}")  # noqa: S608 — the test's own constant
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(run._RunKeys, "keep", counting)
    import_ = make_import(tenant.account, tenant.member, content=IN_FILE_DUPLICATES)
    import_simulate(import_=import_)
    assert not _run_keys_table_exists()
    previewed, seen[:] = list(seen), []
    job = _run(tenant, import_)
    assert job.state == JobState.DONE, job.error
    assert not _run_keys_table_exists()
    assert len(links) == (2 if connection.vendor == "postgresql" else 0)
    assert all(link.closed for link in links)
    # Every key of the 2 companies (NIP and name; name), the 3 persons (e-mail, phone and name within the company;
    # phone and name; name) and the 4 deals.
    assert seen[-1] == previewed[-1] == 3 + 6 + 4


def test_a_run_failing_after_its_keys_moved_leaves_no_table_and_no_connection(tenant, monkeypatch):
    """The keys' table (PostgreSQL: its connection, with a COPY sent and not finished) goes with a failed run too."""
    monkeypatch.setattr(run, "BATCH_ROWS", 1)
    monkeypatch.setattr(run._RunKeys, "LIMIT", 4)
    links: list[object] = []
    calls = {"n": 0}
    original = run._Writer.write

    def failing(self, batch):
        calls["n"] += 1
        if calls["n"] == 5:
            assert self.run_keys.seen is not None  # moved
            assert self.run_keys.pending is not None or connection.vendor != "postgresql"
            links.append(self.run_keys.link)
            raise RuntimeError("worker lost")
        original(self, batch)

    monkeypatch.setattr(run._Writer, "write", failing)
    import_ = make_import(tenant.account, tenant.member, content=IN_FILE_DUPLICATES)
    job = _run(tenant, import_)
    assert job.state == JobState.FAILED
    assert not _run_keys_table_exists()
    assert links
    if connection.vendor == "postgresql":
        assert links[0].closed
    assert Company.objects.for_account(tenant.account).count() == 0


# What a key is made of: a cell's text, which never holds a NUL (plan.cell_text drops them) or a lone surrogate.
_KEY_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kept=st.sets(_KEY_TEXT, max_size=60), other=st.sets(_KEY_TEXT, max_size=60))
def test_the_run_keys_find_every_key_kept_and_no_other(db, monkeypatch, kept, other):
    """In memory or in the table (the Bloom filter in front of it may let a key through in vain, never hold one
    back; written in COPY blocks of 7 keys here), every key kept is found, with its record, and no other."""
    monkeypatch.setattr(run, "COPY_LINES", 7)
    other -= kept
    # Labels as odd as the keys (a backslash, a tab, a line break: the table is written by COPY's text format).
    refs = {
        key: run._Ref(n + 1, n if n % 2 else None, None if n % 3 else n, f"{key}\t\\{n}\n", new=True)
        for n, key in enumerate(sorted(kept))
    }
    half = dict(list(refs.items())[: len(refs) // 2])
    for limit in (len(refs), len(half)):  # all in memory; half in memory, then all moved to the table
        with transaction.atomic():
            keys = run._RunKeys()
            keys.LIMIT = limit
            keys.keep(half)
            keys.keep({key: ref for key, ref in refs.items() if key not in half})
            assert (keys.seen is None) == (limit == len(refs) or not refs)
            found = keys.recall(kept | other)
            keys.drop()
        assert found == refs


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.one_of(st.sampled_from("\\\t\n\r\x0b\x0c\x1f\\t\\n a"), st.characters()), max_size=12))
def test_the_copy_escape_test_finds_each_character_copy_escapes(text):
    assert run._copy_special(text) == any(ch in "\\\t\n\r" for ch in text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.tuples(
            st.lists(_KEY_TEXT, min_size=1, max_size=4),
            st.one_of(st.none(), st.integers(-5, 5)),
            st.one_of(st.none(), st.integers(1, 5)),
            _KEY_TEXT,
        ),
        max_size=12,
    ),
    lines=st.integers(1, 9),
    interleave=st.booleans(),
)
def test_the_run_keys_copy_text_is_one_line_per_key(monkeypatch, records, lines, interleave):
    """The COPY text formats a record's columns once per run of its keys (`tail.join(keys)`): the same text as one
    line per key, in the keys' order, across blocks of any size, with keys and labels that need escaping, and with a
    record's keys kept apart from each other."""
    monkeypatch.setattr(run, "COPY_LINES", lines)
    refs: dict[str, run._Ref] = {}
    for n, (keys, company_id, source_id, label) in enumerate(records):
        ref = run._Ref(-n - 1, company_id, source_id, label, new=True)
        for key in keys:
            refs.setdefault(key, ref)
    if interleave:  # every other key moved to the end: a record's keys no longer together
        items = list(refs.items())
        refs = dict(items[::2] + items[1::2])

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    def column(value: int | None) -> str:
        return "\\N" if value is None else str(value)

    expected = "".join(
        f"{escaped(key)}\t{ref.pk}\t{column(ref.company_id)}\t{column(ref.source_id)}\t{escaped(ref.label)}\n"
        for key, ref in refs.items()
    )
    blocks = list(run._copy_blocks(refs))
    assert "".join(blocks) == expected
    assert [block.count("\n") for block in blocks] == [
        min(lines, len(refs) - start) for start in range(0, len(refs), lines)
    ]
