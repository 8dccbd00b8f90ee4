"""What the Statistics page waits for: each query it sends, its wall time, and its plan.

    BENCH_DATABASE_URL=postgres://... python -m bench.stats_queries [--requests 30] [--explain 15] [PAGE ...]

On the statistics benchmark's database (`make bench` loads it; bench.settings), logged in as its user through
Django's test client, inside a transaction rolled back at the end (as bench/stats_cpu.py: nothing is written). PAGE
is a name of `stats_cpu.PAGES` or a path; by default the cases of `make bench` (bench/run_stats.py).

For each page: the queries of one request in the order sent, each with the median of its wall time over
`--requests` requests (`connection.execute_wrapper`: the round trip, planning and execution as the page pays them),
and the sum per request; then, with `--explain N`, each query run N times under `EXPLAIN (ANALYZE, BUFFERS)`, the
median of the last N - 3 planning and execution times and the buffers of the last run.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats_cpu import PAGES

CASES = {
    "all time": "/a/big/stats/sources/",
    "6 months": "/a/big/stats/sources/?period=custom&start=2026-05-01&end=2026-10-31",
    "owner + 1 year": "/a/big/stats/sources/?period=custom&start=2025-11-01&end=2026-10-31&owner_id={owner}",
    "90 days, mid-month": "/a/big/stats/sources/?period=custom&start=2026-07-17&end=2026-10-14",
    "typical": "/a/typical/stats/sources/",
}


def _label(sql: str) -> str:
    """A short name for a query: its first table, and what kind of read it is."""
    tables = re.findall(r'FROM "?([a-z_]+)"?', sql)
    head = sql.split(" FROM ", 1)[0][:60]
    return f"{tables[0] if tables else '?'}: {head}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="*", help="names of stats_cpu.PAGES or paths; default: make bench's cases")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--explain", type=int, default=0, help="EXPLAIN (ANALYZE, BUFFERS) each query this often")
    parser.add_argument("--sql", action="store_true", help="print each query's SQL and parameters")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from bench.stats_cpu import bench_user
    from headwater.core.models import Account
    from headwater.deals.models import Deal

    report: dict[str, Any] = {}
    with transaction.atomic():
        accounts = {slug: Account.objects.get(slug=slug) for slug in ("big", "typical")}
        user = bench_user(accounts.values())
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        owner = (
            Deal.objects.for_account(accounts["big"])
            .exclude(owner=None)
            .order_by("owner_id")
            .values_list("owner_id", flat=True)[0]
        )
        pages = (
            {name: PAGES.get(name, name) for name in args.pages}
            if args.pages
            else {name: path.format(owner=owner) for name, path in CASES.items()}
        )
        for name, path in pages.items():
            report[name] = _measure(client, connection, path, args)
        transaction.set_rollback(True)
    if args.json:
        with Path(args.json).open("w") as out:
            json.dump(report, out, indent=1)


def _measure(client: Any, connection: Any, path: str, args: argparse.Namespace) -> dict[str, Any]:
    runs: list[list[tuple[str, Any, float]]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            runs[-1].append((sql, params, (time.perf_counter() - started) * 1000))

    for _ in range(3):  # warm: compiled queries, caches
        client.get(path)
    with connection.execute_wrapper(wrapper):
        for _ in range(args.requests):
            runs.append([])
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    # Savepoints of the test's transaction are not the page's queries.
    runs = [[q for q in run if not q[0].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))] for run in runs]
    shapes = {len(run) for run in runs}
    if len(shapes) != 1:
        raise SystemExit(f"{path}: the query count changed between requests: {sorted(shapes)}")
    totals = [sum(ms for _sql, _params, ms in run) for run in runs]
    print(f"\n{path}: {len(runs[0])} queries, their wall time {statistics.median(totals):.2f} ms a request (median)")
    result: dict[str, Any] = {"path": path, "queries": [], "wall_ms": round(statistics.median(totals), 3)}
    for index, (sql, params, _ms) in enumerate(runs[0]):
        wall = statistics.median(run[index][2] for run in runs)
        row: dict[str, Any] = {"label": _label(sql), "wall_ms": round(wall, 3)}
        line = f"  {index + 1:2d}. {wall:6.2f} ms  {_label(sql)}"
        if args.explain and connection.vendor == "postgresql" and sql.lstrip().upper().startswith("SELECT"):
            planning, execution, buffers = _explain(connection, sql, params, args.explain)
            row |= {"planning_ms": planning, "execution_ms": execution, "buffers": buffers}
            line += f"\n        EXPLAIN: planning {planning:.3f} + execution {execution:.3f} ms, {buffers}"
        if args.sql:
            line += f"\n        {sql}\n        {params}"
        result["queries"].append(row)
        print(line)
    return result


def _explain(connection: Any, sql: str, params: Any, times: int) -> tuple[float, float, str]:
    planning: list[float] = []
    execution: list[float] = []
    plan: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for _ in range(times):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) {sql}", params)
            found = cursor.fetchone()[0]
            plan = (json.loads(found) if isinstance(found, str) else found)[0]
            planning.append(plan["Planning Time"])
            execution.append(plan["Execution Time"])
    kept = max(times - 3, 1)
    top = plan["Plan"]
    buffers = f"shared hit {top.get('Shared Hit Blocks', 0)} read {top.get('Shared Read Blocks', 0)}"
    return (
        round(statistics.median(planning[-kept:]), 3),
        round(statistics.median(execution[-kept:]), 3),
        buffers,
    )


if __name__ == "__main__":
    main()
