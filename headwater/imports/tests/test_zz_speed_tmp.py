import time

import pytest

from headwater.imports import run
from headwater.imports.services import import_update_mapping
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import make_import

pytestmark = pytest.mark.django_db

N = 20000


def test_speed(tenant):
    rows = "".join(
        f"Firma {n} sp. z o.o.;Jan;Nowak{n};jan{n}@firma{n}.pl;Szansa {n};{n % 997},50 zł\n" for n in range(N)
    )
    data = ("Nazwa firmy;Imię;Nazwisko;E-mail;Nazwa szansy;Wartość\n" + rows).encode("cp1250")
    import_ = make_import(tenant.account, tenant.member, content=data)
    t0 = time.perf_counter()
    outcome = run.import_execute(import_id=import_.pk, dry_run=True)
    t1 = time.perf_counter()
    outcome = run.import_execute(import_id=import_.pk)
    t2 = time.perf_counter()
    print(f"\nrows={N} preview={t1 - t0:.2f}s run={t2 - t1:.2f}s rate={N / (t2 - t1):.0f} rows/s", outcome.created)
    assert tally_drift(account_ids=[tenant.account.pk]) == {}
