"""Throughput: requests per second and latency with parallel clients, on the data `make bench` loaded.

    make bench-throughput                                  # 8 clients, 20 s per request kind, the big account
    make bench-throughput BENCH_ARGS="--clients 8 --seconds 20 --account typical"

Starts gunicorn (`bench.wsgi`: production-like settings, DEBUG off, persistent database connections) with as
many sync workers as the machine has cores (`--workers`), on 127.0.0.1, then for each request kind in turn runs
`--clients` threads that send requests back to back for `--seconds`, each on a new connection (sync workers close
it after every answer), and reports the answered requests per second, the median and the 95th percentile of the
client's wall clock, and any answer other than the expected status (counted as errors, not as throughput):

- stats:    GET /api/v1/stats/sources (all time), with a token;
- page:     GET /a/<account>/deals/?source=<id> (a filtered list page: 25 rows and the total), with a session;
- api:      GET /api/v1/deals?source_id=<id>&limit=25, with a token;
- create:   POST /api/v1/deals (a deal with a name, a value and the source), with a token; the deals it created
            are deleted at the end (through the ORM, so the tallies follow).

The client is a small thread pool on http.client, no dependency: with 8 clients on a 2-core machine the client
itself takes some of the CPU the server could use, which the figures include (a real load generator would run
elsewhere). Results go to bench/results/throughput-*.json and a table on the terminal.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.run_stats import PG_DEFAULT, RESULTS, ROOT, machine, meta_path, start_server, write_report

NAME_PREFIX = "throughput bench "


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="parallel clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each request kind")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: cores)")
    parser.add_argument("--account", choices=("big", "typical"), default="big")
    parser.add_argument("--only", nargs="*", default=None, help="request kinds to run (stats page api create)")
    parser.add_argument("--database-url", default=None, help=f"default: $BENCH_DATABASE_URL or {PG_DEFAULT}")
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def one_request(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None) -> tuple[float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        response.read()
        status = response.status
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000, status


def run_kind(
    port: int, *, clients: int, seconds: float, method: str, path: str, headers: dict[str, str], body: Any, ok: int
) -> dict[str, Any]:
    """`clients` threads sending the request back to back until `seconds` have passed."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def client() -> None:
        while time.perf_counter() < deadline:
            payload = body(next(counter)) if callable(body) else body
            try:
                elapsed, status = one_request(port, method, path, headers, payload)
            except OSError:
                elapsed, status = 0.0, 0
            with lock:
                (latencies if status == ok else errors).append(elapsed if status == ok else status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "seconds": round(wall, 2),
        "per_second": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2) if ordered else None,
    }


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    args = parse_args(argv)
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT)
    meta_file = meta_path(url)
    if not meta_file.exists():
        raise SystemExit(f"No benchmark data for {url}: run `make bench` first (it loads and keeps it).")
    meta = json.loads(meta_file.read_text())
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from headwater.core.models import Account
    from headwater.deals.models import Deal
    from headwater.sources.models import Source
    from headwater.users.models import Membership, Role, User
    from headwater.users.token_services import api_token_create

    account = Account.objects.get(pk=meta["accounts"][args.account])
    source_id = Source.objects.for_account(account).order_by("position", "id").values_list("id", flat=True)[0]
    user, _ = User.objects.update_or_create(
        email="bench@bench.test", defaults={"full_name": "Benchmark", "email_confirmed_at": timezone.now()}
    )
    Membership.unscoped.get_or_create(account=account, user=user, defaults={"role": Role.ADMIN})
    _, token = api_token_create(account=account, user=user, name="throughput benchmark")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    bearer = {"Authorization": f"Bearer {token}"}
    json_bearer = {**bearer, "Content-Type": "application/json"}

    def deal_body(n: int) -> bytes:
        return json.dumps({"name": f"{NAME_PREFIX}{n}", "value": "125.50", "source_id": source_id}).encode()

    kinds = {
        "stats": ("GET", "/api/v1/stats/sources", bearer, None, 200),
        "page": ("GET", f"/a/{account.slug}/deals/?source={source_id}", session, None, 200),
        "api": ("GET", f"/api/v1/deals?source_id={source_id}&limit=25", bearer, None, 200),
        "create": ("POST", "/api/v1/deals", json_bearer, deal_body, 201),
    }
    if args.only:
        kinds = {name: kind for name, kind in kinds.items() if name in args.only}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": url}
    server = start_server(args.port, env, workers=args.workers)
    results: dict[str, Any] = {}
    load_before = os.getloadavg()
    try:
        for name, (method, path, headers, body, ok) in kinds.items():
            # A short warm-up: every worker's connection, caches and compiled queries.
            run_kind(
                args.port, clients=args.clients, seconds=2, method=method, path=path, headers=headers, body=body, ok=ok
            )
            sys.stderr.write(f"  {name}: {args.clients} clients, {args.seconds:g} s\n")
            results[name] = {
                "path": path,
                **run_kind(
                    args.port,
                    clients=args.clients,
                    seconds=args.seconds,
                    method=method,
                    path=path,
                    headers=headers,
                    body=body,
                    ok=ok,
                ),
            }
    finally:
        server.terminate()
        server.wait(timeout=30)
        created = Deal.objects.for_account(account).filter(name__startswith=NAME_PREFIX)
        deleted, _ = created.delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) deals_deal, stats_sourcetally")
        sys.stderr.write(f"  deleted the {deleted} rows the create requests made\n")
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "account": args.account,
        "clients": args.clients,
        "workers": args.workers,
        "seconds": args.seconds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    write_report(report, args.out, "throughput", summary_table(report))
    return 0


def summary_table(report: dict[str, Any]) -> str:
    before, after = report["load_average_before"], report["load_average_after"]
    lines = [
        (
            f"{report['clients']} clients, {report['workers']} gunicorn workers, {report['seconds']:g} s each, "
            f"the {report['account']} account, {report['date']}; load average {before[0]:.2f} before, "
            f"{after[0]:.2f} after"
        ),
        "",
        "| request | req/s | median ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in report["results"].items():
        lines.append(f"| {name} `{r['path']}` | {r['per_second']} | {r['median_ms']} | {r['p95_ms']} | {r['errors']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
