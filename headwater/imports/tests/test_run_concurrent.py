"""The same file imported twice at once creates no duplicates: each run takes the account's import lock, so the
second one waits for the first to commit and then finds its records (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.imports import run
from headwater.imports.models import ImportState
from headwater.persons.models import Person
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db(transaction=True)

CSV = (
    "Nazwa firmy;NIP;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość\n"
    + "".join(f"Firma {n};;Osoba;Nazwisko{n};osoba{n}@firma{n}.pl;Szansa {n};{n}00\n" for n in range(1, 301))
).encode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_the_same_file_imported_twice_at_once_creates_no_duplicates(tenant, monkeypatch):
    monkeypatch.setattr(run, "BATCH_ROWS", 50)  # several batches: the runs would interleave without the lock
    first = make_import(tenant.account, tenant.member, content=CSV)
    second = make_import(tenant.account, tenant.member, content=CSV)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def go(import_id: int) -> None:
        try:
            barrier.wait()
            run.import_execute(import_id=import_id)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(i.pk,)) for i in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert Company.objects.for_account(tenant.account).count() == 300
    assert Person.objects.for_account(tenant.account).count() == 300
    assert Deal.objects.for_account(tenant.account).count() == 300
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.state, second.state} == {ImportState.DONE}
    created = sorted(sum(i.results["created"].values()) for i in (first, second))
    assert created == [0, 900]
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
