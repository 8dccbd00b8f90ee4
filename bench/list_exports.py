"""What a list export and a bulk change cost: `python -m bench.list_exports` (PostgreSQL, or `--sqlite`).

In a database of its own (`hw_bench_lists`, dropped and created; SQLite: var/bench-exports.sqlite3) with one
account, `--rows` deals (each with a company, a person, an owner and a source), it measures, through the real
views (the test client, a logged-in admin):

- the deal list exported as CSV (streamed) and as XLSX (constant memory, then streamed from a temporary file):
  time, the size of the file, and the peak of Python memory while it is made (tracemalloc) and the process's
  peak resident set (ru_maxrss) before and after;
- a bulk change of the owner on every matching deal (BULK_CHANGE_LIMIT of them), with the tallies checked after.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/hw_bench_lists"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-exports", action="store_true", help="measure the bulk change only")
    args = parser.parse_args(argv)
    url = f"sqlite:///{ROOT / 'var' / 'bench-exports.sqlite3'}" if args.sqlite else PG_DEFAULT
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    from bench.run_stats import recreate_database

    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)

    from headwater.companies.models import Company
    from headwater.core.models import Account
    from headwater.core.text import name_key, name_look_key
    from headwater.deals.models import Deal
    from headwater.persons.models import Person
    from headwater.records.bulk import BULK_CHANGE_LIMIT
    from headwater.sources.models import Source
    from headwater.stats.tally_drift import tally_drift
    from headwater.users.models import Membership, Role, User

    account = Account.objects.create(name="Exports", slug="exports", currency="PLN", time_zone="Europe/Warsaw")
    account.sources_enabled = True
    account.save()
    from django.utils import timezone

    # Confirmed: an unconfirmed address is logged out on its next request.
    admin = User.objects.create(email="admin@bench.test", full_name="Admin", email_confirmed_at=timezone.now())
    Membership.unscoped.create(account=account, user=admin, role=Role.ADMIN)
    owners = [User.objects.create(email=f"owner{i}@bench.test", full_name=f"Owner {i}") for i in range(10)]
    for owner in owners:
        Membership.unscoped.create(account=account, user=owner, role=Role.MEMBER)
    sources = [
        Source.unscoped.create(
            account=account, name=f"Source {i}", name_key=name_key(f"Source {i}"), look_key=name_look_key(f"Source {i}")
        )
        for i in range(10)
    ]
    started = time.perf_counter()
    companies = Company.unscoped.bulk_create(
        [Company(account=account, name=f"Company {i}", city="Gdańsk") for i in range(1000)], batch_size=1000
    )
    persons = Person.unscoped.bulk_create(
        [Person(account=account, first_name="Anna", last_name=f"Nowak {i}", company=companies[i]) for i in range(1000)],
        batch_size=1000,
    )
    batch = []
    for i in range(args.rows):
        batch.append(
            Deal(
                account=account,
                name=f"Deal {i}",
                value=Decimal(i % 100_000) + Decimal("0.50"),
                currency="PLN",
                status=("open", "won", "lost")[i % 3] if i % 3 == 0 else "open",
                company=companies[i % 1000],
                person=persons[i % 1000],
                owner=owners[i % 10],
                source=sources[i % 10],
            )
        )
        if len(batch) == 5000:
            Deal.unscoped.bulk_create(batch)
            batch = []
    if batch:
        Deal.unscoped.bulk_create(batch)
    print(f"loaded {args.rows:,} deals in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)

    def export(file_format: str) -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get(f"/a/exports/deals/export.{file_format}?sort=-created")
        if response.status_code != 200:
            raise SystemExit(f"the export answered {response.status_code}")
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        return time.perf_counter() - started, size

    for file_format in () if args.skip_exports else ("csv", "xlsx"):
        rss_before = _rss_mb()
        elapsed, size = export(file_format)  # timed alone: tracemalloc slows allocation-heavy code down
        rss_after = _rss_mb()
        tracemalloc.start()
        export(file_format)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"export {file_format}: {args.rows:,} rows in {elapsed:.2f} s ({args.rows / elapsed:,.0f} rows/s), "
            f"{size / 1e6:.1f} MB file; Python memory peak while exporting {peak / 1e6:.1f} MB; "
            f"process max RSS {rss_before:.0f} -> {rss_after:.0f} MB"
        )

    # Every deal of one source (its count: the most one change holds), as "every record matching this filter".
    count = Deal.unscoped.filter(account=account, source=sources[0]).count()
    if count > BULK_CHANGE_LIMIT:
        raise SystemExit(f"{count:,} deals of one source: more than one change holds")
    started = time.perf_counter()
    response = client.post(
        f"/a/exports/deals/bulk/?source={sources[0].pk}",
        {"all_matching": "on", "expected": str(count), "source": str(sources[1].pk), "owner": str(owners[0].pk)},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"the bulk change answered {response.status_code}")
    print(f"bulk change of source and owner on {count:,} deals: {elapsed:.2f} s ({count / elapsed:,.0f} records/s)")
    drift = tally_drift(account_ids=[account.pk])
    print("tallies exact after it" if not drift else f"TALLY DRIFT: {len(drift)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
