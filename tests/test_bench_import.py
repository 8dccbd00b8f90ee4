"""`make bench-import`'s code stays alive: its fixed-seed file, and a tiny import through the same service calls,
the floor's COPY on PostgreSQL, the tallies exact afterwards. The benchmark itself is `make bench-import`."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from bench import import_speed
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.stats.tally_drift import tally_drift
from headwater.users.models import User


def test_the_file_is_fixed_seed_windows_1250_with_messy_sources(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    import_speed.write_file(first, 300)
    import_speed.write_file(second, 300)
    assert first.read_bytes() == second.read_bytes()
    text = first.read_bytes().decode("cp1250")
    lines = text.splitlines()
    assert lines[0] == ";".join(import_speed.HEADER)
    assert len(lines) == 301
    assert any(ch in text for ch in "ąęłńóśźż")
    sources = {line.rsplit(";", 1)[1] for line in lines[1:]}
    assert {"FB", "facebook", "Facebook Ads"} <= sources
    assert "abc" in {line.split(";")[7] for line in lines[1:]}  # invalid amounts


@pytest.mark.django_db
def test_a_tiny_import_through_the_services(settings, tmp_path):
    settings.IMPORT_FILES_DIR = tmp_path / "imports"
    path = tmp_path / "tiny.csv"
    import_speed.write_file(path, 80)
    user = User.objects.create(email="importer@bench.test", full_name="Importer")
    account = import_speed.new_account(user, "tiny")
    import_, _seconds = import_speed.upload(user, account, path)
    assert import_.settings["encoding"] == "cp1250"
    import_speed.choose_sources(user, account, import_)
    import_speed.execute(user, account, import_)
    results = import_.results
    assert results["rows"] == 80
    assert results["errors"] >= 1
    assert results["created"]["deal"] == Deal.objects.for_account(account).count() > 60
    assert set(Deal.objects.for_account(account).values_list("source__name", flat=True)) <= {
        "Facebook Ads",
        "Google Ads",
        "Polecenia",
        "LinkedIn",
        "Targi",
        None,
    }
    assert tally_drift(account_ids=[account.pk]) == {}
    if connection.vendor == "postgresql":
        floor = import_speed.copy_floor(connection, transaction, import_.pk)
        assert floor["records"]["deals_deal"] == results["created"]["deal"]
        assert Company.objects.for_account(account).count() == results["created"]["company"]
        assert tally_drift(account_ids=[account.pk]) == {}
