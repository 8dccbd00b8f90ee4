"""What the statistics triggers cost writers: `make bench-writes` (PostgreSQL, or `--sqlite`).

In a database of its own (`hw_bench_writes`, dropped and created; SQLite: var/bench-writes.sqlite3) with one
account, 15 sources and 20 owners, it measures, with the tally triggers installed and with them dropped,
interleaved over `--rounds` rounds, medians:

- create: `deals.services.deal_create`, one deal per transaction (what a user or an API call does);
- close: `deals.services.deal_update` closing an open deal as won;
- move:  one UPDATE moving every deal of one source to another (what a source merge does), `--rows` deals;
- delete: one DELETE of those deals.

Writes results as JSON under bench/results/ and a short table.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/hw_bench_writes"


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--creates", type=int, default=300, help="deals created per round and mode")
    parser.add_argument("--rows", type=int, default=50_000, help="deals moved and deleted per round and mode")
    args = parser.parse_args(argv)
    url = f"sqlite:///{ROOT / 'var' / 'bench-writes.sqlite3'}" if args.sqlite else PG_DEFAULT
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    from bench.run_stats import RESULTS, machine, recreate_database

    recreate_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)

    from headwater.core.models import Account
    from headwater.core.text import name_key, name_look_key
    from headwater.deals.models import Deal
    from headwater.deals.services import deal_create, deal_update
    from headwater.sources.models import Source
    from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql
    from headwater.stats.tally_drift import tally_drift
    from headwater.users.models import Membership, Role, User

    account = Account.objects.create(name="Writes", slug="writes", currency="PLN", time_zone="Europe/Warsaw")
    account.sources_enabled = True
    account.save()
    owners = [User.objects.create(email=f"owner{i}@bench.test", full_name=f"Owner {i}") for i in range(20)]
    for owner in owners:
        Membership.unscoped.create(account=account, user=owner, role=Role.MEMBER)
    sources = [
        Source.unscoped.create(
            account=account,
            name=f"Source {i}",
            name_key=name_key(f"Source {i}"),
            look_key=name_look_key(f"Source {i}"),
            position=i,
        )
        for i in range(15)
    ]
    now = dt.datetime.now(dt.UTC)

    def set_triggers(on: bool) -> None:
        with connection.cursor() as cursor:
            for module in (tally_sql, close_tally_sql, campaign_tally_sql, cohort_sql, funnel_sql):
                for statement in module.trigger_sql(connection.vendor) if on else module.drop_sql(connection.vendor):
                    cursor.execute(statement)

    def create(index: int) -> float:
        started = time.perf_counter()
        for i in range(args.creates):
            deal_create(
                account=account,
                user=owners[0],
                name=f"Deal {index}-{i}",
                value=Decimal("1234.50"),
                currency="PLN",
                owner=owners[i % 20],
                source=sources[i % 15],
            )
        return float((time.perf_counter() - started) * 1000 / args.creates)

    def close(index: int) -> float:
        deals = list(Deal.unscoped.filter(account=account, status="open", name__startswith=f"Deal {index}-"))
        started = time.perf_counter()
        for deal in deals:
            deal_update(account=account, user=owners[0], deal=deal, version=deal.version, status="won")
        return (time.perf_counter() - started) * 1000 / max(len(deals), 1)

    def bulk(index: int) -> tuple[float, float]:
        source_a, source_b = sources[index % 2], sources[2 + index % 2]
        rows = [
            Deal(
                account=account,
                name=f"Bulk {index}-{i}",
                value=Decimal(i % 5000),
                currency="PLN",
                owner=owners[i % 20],
                source=source_a,
                status=("open", "won", "lost")[i % 3],
                closed_at=None if i % 3 == 0 else (now - dt.timedelta(days=i % 900)).date(),
                created_at=now - dt.timedelta(days=i % 900 + 30, minutes=i),
            )
            for i in range(args.rows)
        ]
        Deal.unscoped.bulk_create(rows, batch_size=2000)
        with transaction.atomic():
            started = time.perf_counter()
            Deal.unscoped.filter(account=account, source=source_a).update(source=source_b)
            moved = (time.perf_counter() - started) * 1000
        with transaction.atomic():
            started = time.perf_counter()
            Deal.unscoped.filter(account=account, name__startswith=f"Bulk {index}-").delete()
            deleted = (time.perf_counter() - started) * 1000
        return moved, deleted

    samples: dict[str, dict[str, list[float]]] = {
        mode: {"create": [], "close": [], "move": [], "delete": []} for mode in ("triggers", "none")
    }
    for round_index in range(args.rounds):
        sys.stderr.write(f"\r  round {round_index + 1}/{args.rounds}")
        sys.stderr.flush()
        modes = ("triggers", "none") if round_index % 2 == 0 else ("none", "triggers")
        for mode in modes:
            set_triggers(mode == "triggers")
            tag = round_index * 2 + (mode == "triggers")
            samples[mode]["create"].append(create(tag))
            samples[mode]["close"].append(close(tag))
            moved, deleted = bulk(tag)
            samples[mode]["move"].append(moved)
            samples[mode]["delete"].append(deleted)
        # Rounds without triggers leave tallies behind: start each round from exact ones.
        set_triggers(True)
        from headwater.stats.services import tallies_rebuild

        tallies_rebuild(account_ids=[account.pk])
    sys.stderr.write("\n")
    assert tally_drift(account_ids=[account.pk]) == {}  # noqa: S101 — the benchmark checks the tallies before reporting a time

    medians = {mode: {k: round(statistics.median(v), 3) for k, v in parts.items()} for mode, parts in samples.items()}
    vendor = connection.vendor
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "machine": machine(),
        "rounds": args.rounds,
        "creates": args.creates,
        "rows": args.rows,
        "median": medians,
        "samples": samples,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"tally-writes-{vendor}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    t, n = medians["triggers"], medians["none"]
    print(f"{vendor}, {args.rounds} rounds")
    print("| write | without triggers | with triggers | ratio |")
    print("|---|---:|---:|---:|")
    for key, label, unit in (
        ("create", "create a deal (service)", "ms"),
        ("close", "close a deal as won (service)", "ms"),
        ("move", f"move {args.rows:,} deals to another source (one UPDATE)", "ms"),
        ("delete", f"delete {args.rows:,} deals (one DELETE)", "ms"),
    ):
        print(f"| {label} | {n[key]:.2f} {unit} | {t[key]:.2f} {unit} | {t[key] / n[key]:.2f} |")
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
