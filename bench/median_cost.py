"""What the median days to close costs the Statistics selector, on the data `make bench` loaded.

`python -m bench.median_cost [--rounds 31]` (BENCH_DATABASE_URL as for `make bench`, data already loaded there).
For each of `make bench`'s cases, interleaved round by round: `stats.figures.figures_for` for the current period
with and without the days-to-close read (`close_days`), and the whole selector; medians in ms and the median of the
per-round ratios. Also checks each case's total median against one computed in Python from every closed deal.
Wall times under a shared machine's load move together; read the ratios.
"""

# Django is set up inside main(): its imports come after.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args(argv)
    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hw_bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import json

    from django.db import connection

    from bench.run_stats import meta_path
    from headwater.core.models import Account
    from headwater.stats.figures import figures_for
    from headwater.stats.filters import DateRange, StatsFilters
    from headwater.stats.money import exchange_rates_for
    from headwater.stats.selectors import source_stats

    meta = json.loads(meta_path(os.environ["BENCH_DATABASE_URL"]).read_text())
    accounts = {slug: Account.objects.get(pk=pk) for slug, pk in meta["accounts"].items() if slug in ("big", "typical")}
    cases = [
        ("all time", "big", None, None, False),
        ("6 months", "big", dt.date(2026, 5, 1), dt.date(2026, 10, 31), False),
        ("owner + 1 year", "big", dt.date(2025, 11, 1), dt.date(2026, 10, 31), True),
        ("90 days, mid-month", "big", dt.date(2026, 7, 17), dt.date(2026, 10, 14), False),
        ("typical account", "typical", None, None, False),
    ]

    def filters_of(case: tuple[Any, ...]) -> tuple[Account, StatsFilters]:
        _name, slug, start, end, owner = case
        period = DateRange(start, end) if start else None
        owner_id = meta["owners"][slug][0] if owner else None
        return accounts[slug], StatsFilters(period=period, owner_id=owner_id)

    def no_records() -> Any:
        raise AssertionError

    # The median against Python's statistics.median over every closed deal of the case (once, not timed).
    for case in cases:
        account, filters = filters_of(case)
        total = source_stats(account=account, filters=filters).closed_deals.total
        where = "account_id = %s AND status IN ('won', 'lost') AND closed_at IS NOT NULL"
        params: list[Any] = [account.pk]
        if filters.period is not None:
            where += " AND closed_at BETWEEN %s AND %s"
            params += [filters.period.start, filters.period.end]
        if filters.owner_id is not None:
            where += " AND owner_id = %s"
            params.append(filters.owner_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT closed_at - (created_at AT TIME ZONE %s)::date FROM deals_deal WHERE {where}",
                [account.time_zone, *params],
            )
            days = [int(row[0]) for row in cursor.fetchall()]
        expected = Decimal(str(statistics.median(days))).quantize(Decimal("0.1")) if days else None
        assert total.median_days == expected, (case[0], total.median_days, expected)  # noqa: S101 — checked before timing
        print(f"{case[0]}: median {total.median_days} over {len(days):,} closed deals (checked)", file=sys.stderr)

    samples: dict[str, dict[str, list[float]]] = {c[0]: {"without": [], "with": [], "selector": []} for c in cases}
    for round_index in range(args.rounds + 2):
        for case in cases[round_index % len(cases) :] + cases[: round_index % len(cases)]:
            account, filters = filters_of(case)
            rates = exchange_rates_for(account=account)
            for label, close_days in (
                (("without", False), ("with", True))
                if round_index % 2
                else (
                    ("with", True),
                    ("without", False),
                )
            ):
                started = time.perf_counter()
                figures_for(
                    account=account,
                    period=filters.period,
                    filters=filters,
                    rates=rates,
                    created_day=no_records if not filters.owner_id else _created_day(account),
                    close_days=close_days,
                )
                if round_index >= 2:
                    samples[case[0]][label].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            source_stats(account=account, filters=filters)
            if round_index >= 2:
                samples[case[0]]["selector"].append((time.perf_counter() - started) * 1000)

    print("| case | figures without the median ms | with ms | ratio (per round) | whole selector ms |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in samples.items():
        ratios = [w / o for w, o in zip(runs["with"], runs["without"], strict=True)]
        print(
            f"| {name} | {statistics.median(runs['without']):.2f} | {statistics.median(runs['with']):.2f} "
            f"| {statistics.median(ratios):.2f} | {statistics.median(runs['selector']):.2f} |"
        )
    return 0


def _created_day(account: Any) -> Any:
    from django.db.models import Max, Min

    from headwater.deals.models import Deal
    from headwater.stats.periods import day_bounds, local_day

    span = Deal.objects.for_account(account).aggregate(first=Min("created_at"), last=Max("created_at"))
    expression = local_day("created_at", account.time_zone, *day_bounds(span["first"], span["last"]))
    return lambda: expression


if __name__ == "__main__":
    raise SystemExit(main())
