"""What applying the funnel's changes at commit costs writers, against an earlier `funnel_sql.py` (PostgreSQL).

    git show 5518c50:headwater/stats/funnel_sql.py > "$TMPDIR/old.py"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/a_scratch_db
    uv run --locked python manage.py migrate && uv run --locked python -m bench.funnel_writes "$TMPDIR/old.py"

In the database named by DATABASE_URL (migrated; it adds an account and leaves it), with the old and the current
funnel triggers installed in turn (the other tally triggers stay), alternated over the rounds, medians of:
- one-deal transactions: a contact's first deal each (a crossing each), per transaction;
- one UPDATE moving `--contacts` contacts (a third with a deal) to another source and back, as a merge does;
- one INSERT of `--contacts` deals, one per contact.
The triggers are the current ones again at the end; the funnel's tallies of that account are not exact afterwards
(the old triggers fill no placement): a scratch database, or `stats_tallies --rebuild`.
"""

# Imports inside functions on purpose: Django must be configured before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", help="an earlier headwater/stats/funnel_sql.py (git show <commit>:<path>)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--deals", type=int, default=300, help="one-deal transactions per round and variant")
    parser.add_argument("--contacts", type=int, default=5000, help="contacts moved, deals inserted in bulk")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.db import connection, transaction

    from headwater.stats import funnel_sql as new
    from headwater.testing.factories import AccountFactory, CompanyFactory, DealFactory, SourceFactory

    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only: SQLite's triggers did not change")
    spec = importlib.util.spec_from_file_location("old_funnel_sql", args.old)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {args.old}")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)

    stamp = time.time()
    with transaction.atomic():
        account = AccountFactory(time_zone="Europe/Warsaw")
        source = SourceFactory(account=account, name=f"bench a {stamp}")
        other = SourceFactory(account=account, name=f"bench b {stamp}")
        singles = [CompanyFactory(account=account, source=source).pk for _ in range(args.deals * args.rounds * 2)]
        bulk = [CompanyFactory(account=account, source=source).pk for _ in range(args.contacts)]
        template = DealFactory(account=account).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(column_name, ', ') FROM information_schema.columns "
            "WHERE table_name = 'deals_deal' AND column_name NOT IN ('id', 'company_id')"
        )
        columns = cursor.fetchone()[0]
    copy = (
        f"INSERT INTO deals_deal ({columns}, company_id) SELECT {columns}, x "
        "FROM deals_deal, unnest(%s::bigint[]) x WHERE id = %s"
    )

    def install(module: Any) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in [*new.drop_sql("postgresql"), *module.trigger_sql("postgresql")]:
                cursor.execute(statement)

    def timed(work: Callable[[], None]) -> float:
        started = time.perf_counter()
        work()
        return (time.perf_counter() - started) * 1000

    def one_deal_each(ids: list[int]) -> None:
        for pk in ids:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(copy, [[pk], template])

    def move(to: int) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE companies_company SET source_id = %s WHERE id = ANY(%s)", [to, bulk])

    def insert_many() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(copy, [bulk, template])

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(copy, [bulk[::3], template])
    results: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    chunks = [singles[i * args.deals : (i + 1) * args.deals] for i in range(args.rounds * 2)]
    for round_ in range(args.rounds):
        order = [("old", old), ("new", new)] if round_ % 2 == 0 else [("new", new), ("old", old)]
        for name, module in order:
            install(module)
            chunk = chunks.pop()
            results[name].setdefault("one-deal transaction (ms)", []).append(
                timed(lambda chunk=chunk: one_deal_each(chunk)) / len(chunk)
            )
            results[name].setdefault(f"move {args.contacts} contacts (ms)", []).append(
                (timed(lambda: move(other.pk)) + timed(lambda: move(source.pk))) / 2
            )
            if round_ < 4:  # each adds a deal per contact: a few rounds are enough
                results[name].setdefault(f"insert {args.contacts} deals (ms)", []).append(timed(insert_many))
    install(new)
    print(f"{'write':<32} {'old':>9} {'new':>9} {'ratio':>6}")
    for what in results["old"]:
        before, after = statistics.median(results["old"][what]), statistics.median(results["new"][what])
        print(f"{what:<32} {before:>9.2f} {after:>9.2f} {after / before:>6.2f}")
    print(f"load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
