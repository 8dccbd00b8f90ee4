"""Lead intake: submissions per second and latency of `POST /api/v1/leads` through gunicorn, against a floor.

    make bench-intake                                        # 8 clients, 1,500 leads per round, 3 rounds
    make bench-intake BENCH_ARGS="--clients 8 --leads 1500 --rounds 3 --persons 20000"

Builds its own PostgreSQL database, `hw_bench_intake` (`--database-url`; the name must start with hw_bench or
bench; dropped and created afresh): one account made by `account_create` (its starter sources and default mapping
rules), sources on, and `--persons` persons with fixed-seed e-mails and phones already there, so the returning-person
lookups read a real table. Then starts gunicorn (`bench.intake_wsgi`: production-like settings, DEBUG off,
persistent connections, `--workers` sync workers, default the number of cores) and, alternating in each round,
sends `--leads` requests from `--clients` threads to:

- **floor**: `POST /bench/touch-floor`, a bench-only endpoint (not in the product's URLs) that parses the JSON and
  inserts the touch row, nothing else;
- **intake**: `POST /api/v1/leads` with a member's token: a person (30 % of them an e-mail already known, in another
  case), a landing URL with UTM values, a referrer, every tenth a deal.

Both get the same bodies. Reported per kind: answered requests per second, the median and the 95th percentile of the
client's wall clock and of the server's own time (`Server-Timing`), errors; and the intake/floor ratios of each
round, with their medians. Each request opens a new connection (sync workers close it after every answer); the
client threads share the machine with the server, which the figures include. Results go to
bench/results/intake-*.json and a table on the terminal.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.run_stats import RESULTS, ROOT, machine, recreate_database, start_server, write_report

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hw_bench_intake"
SEED = 14
LANDING = "https://shop.example.pl/offer?utm_source=newsletter&utm_medium=email"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="parallel clients")
    parser.add_argument("--leads", type=int, default=1500, help="requests per kind and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each runs floor and intake, alternating first")
    parser.add_argument("--persons", type=int, default=20000, help="persons in the account before the run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers (default: cores)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_INTAKE_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--port", type=int, default=8769)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def bodies(count: int, known: list[str], round_: int) -> list[bytes]:
    """Fixed-seed lead bodies: 30 % an e-mail already known (upper case), the rest new."""
    rng = random.Random(SEED * 1000 + round_)
    out = []
    for n in range(count):
        email = rng.choice(known).upper() if rng.random() < 0.3 else f"new{round_}-{n}@intake.bench"
        body: dict[str, Any] = {
            "person": {"first_name": "Ola", "last_name": f"Lead {round_}-{n}", "email": email},
            "touch": {
                "landing_url": f"{LANDING}&utm_campaign=r{n % 7}",
                "referrer": rng.choice(
                    ["", "https://www.google.pl/", "https://l.facebook.com/", "https://blog.example/"]
                ),
                "consent": True,
            },
            "self_reported": rng.choice(["", "", "Newsletter", "A friend"]),
        }
        if n % 10 == 0:
            body["deal"] = {"value": "1200.00"}
        out.append(json.dumps(body).encode())
    return out


def one_request(port: int, path: str, headers: dict[str, str], body: bytes) -> tuple[float, float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        response.read()
        status = response.status
        timing = response.getheader("Server-Timing") or ""
    finally:
        conn.close()
    server = next((float(p.split("dur=")[1]) for p in timing.split(",") if p.strip().startswith("app;")), 0.0)
    return (time.perf_counter() - started) * 1000, server, status


def run_kind(port: int, *, clients: int, path: str, headers: dict[str, str], payloads: list[bytes]) -> dict[str, Any]:
    latencies: list[float] = []
    server: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    queue = iter(payloads)

    def client() -> None:
        while True:
            with lock:
                payload = next(queue, None)
            if payload is None:
                return
            try:
                elapsed, own, status = one_request(port, path, headers, payload)
            except OSError:
                elapsed, own, status = 0.0, 0.0, 0
            with lock:
                if status in (200, 201):
                    latencies.append(elapsed)
                    server.append(own)
                else:
                    errors.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered, own = sorted(latencies), sorted(server)

    def p95(values: list[float]) -> float | None:
        return round(values[int(0.95 * (len(values) - 1))], 2) if values else None

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "seconds": round(wall, 2),
        "per_second": round(len(latencies) / wall, 1),
        "median_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p95_ms": p95(ordered),
        "server_median_ms": round(statistics.median(own), 2) if own else None,
        "server_p95_ms": p95(own),
    }


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    args = parse_args(argv)
    url = args.database_url
    if url.startswith("sqlite"):
        raise SystemExit("bench-intake measures PostgreSQL (8 writers at once); SQLite serialises every writer.")
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    from headwater.capture.models import MappingRule, Touch
    from headwater.persons.models import Person
    from headwater.users.models import User
    from headwater.users.services import account_create
    from headwater.users.token_services import api_token_create

    user = User.objects.create(email="intake@bench.test", full_name="Intake", email_confirmed_at=timezone.now())
    account = account_create(name="Intake", slug="intake", currency="PLN", language="pl", owner=user)
    account.sources_enabled = True
    account.save(update_fields=["sources_enabled"])
    rng = random.Random(SEED)
    known = [f"known{n}@intake.bench" for n in range(args.persons)]
    Person.unscoped.bulk_create(
        (
            Person(
                account=account,
                last_name=f"Known {n}",
                email=email,
                phone=f"+48 6{rng.randrange(10**7, 10**8)}",
            )
            for n, email in enumerate(known)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _, token = api_token_create(account=account, user=user, name="intake benchmark")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": url,
        "BENCH_INTAKE_ACCOUNT": str(account.pk),
    }
    server = start_server(args.port, env, workers=args.workers, app="bench.intake_wsgi:application")
    kinds = {"floor": "/bench/touch-floor", "intake": "/api/v1/leads"}
    rounds: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    try:
        # Warm-up: every worker's connection and compiled queries.
        for path in kinds.values():
            run_kind(args.port, clients=args.clients, path=path, headers=headers, payloads=bodies(80, known, 99))
        for round_ in range(args.rounds):
            payloads = bodies(args.leads, known, round_)
            order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))
            result: dict[str, Any] = {}
            for name in order:
                sys.stderr.write(f"  round {round_ + 1}: {name}, {args.leads} requests, {args.clients} clients\n")
                result[name] = run_kind(
                    args.port, clients=args.clients, path=kinds[name], headers=headers, payloads=payloads
                )
            result["ratio_per_second"] = round(result["intake"]["per_second"] / result["floor"]["per_second"], 3)
            result["ratio_p95"] = round(result["intake"]["p95_ms"] / result["floor"]["p95_ms"], 2)
            rounds.append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    leads = Touch.objects.for_account(account).exclude(channel="floor").count()
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": connection.vendor,
        "clients": args.clients,
        "workers": args.workers,
        "leads_per_round": args.leads,
        "persons_before": args.persons,
        "rules": MappingRule.objects.for_account(account).count(),
        "lead_touches_stored": leads,
        "persons_after": Person.objects.for_account(account).count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "rounds": rounds,
        "median_ratio_per_second": statistics.median(r["ratio_per_second"] for r in rounds),
        "median_ratio_p95": statistics.median(r["ratio_p95"] for r in rounds),
    }
    write_report(report, args.out, "intake", summary_table(report))
    return 0


def summary_table(report: dict[str, Any]) -> str:
    before, after = report["load_average_before"], report["load_average_after"]
    lines = [
        (
            f"{report['clients']} clients, {report['workers']} gunicorn workers, {report['leads_per_round']} leads "
            f"per kind and round, {report['persons_before']:,} persons before, {report['date']}; load average "
            f"{before[0]:.2f} before, {after[0]:.2f} after"
        ),
        "",
        "| round | kind | req/s | median ms | p95 ms | server median ms | server p95 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for index, result in enumerate(report["rounds"], start=1):
        for name in ("floor", "intake"):
            r = result[name]
            lines.append(
                f"| {index} | {name} | {r['per_second']} | {r['median_ms']} | {r['p95_ms']} | "
                f"{r['server_median_ms']} | {r['server_p95_ms']} | {r['errors']} |"
            )
    lines.append("")
    lines.append(
        f"intake/floor: requests per second {report['median_ratio_per_second']:.3f} (median of the rounds), "
        f"p95 latency x{report['median_ratio_p95']:.2f}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
