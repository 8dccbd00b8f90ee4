"""Statistics benchmark: `make bench` (PostgreSQL) or `make bench BENCH_ARGS="--sqlite --scale 0.1"`.

Builds the fixed-seed data set (bench/dataset.py) in a database of its own, then measures, interleaved over
`--rounds` rounds (after warm-up rounds that are not counted), for each case:

- floor:    the hand-written SQL of bench/floor.py over the records, on a raw driver connection (psycopg,
            prepare_threshold=None): what computing the figures from the records costs;
- tallies:  hand-written SQL reading what the selector reads (the tallies of whole months, the records of the days
            around them), on the same connection: the floor of the app's own method;
- selector: `stats.selectors.source_stats` called in this process;
- page:     GET of the Statistics page from a gunicorn worker on 127.0.0.1 (one worker, persistent connection);
- endpoint: GET of /api/v1/stats/sources from the same worker;
- and, as cases of their own, the parts of the page that load when the user opens them (stats/part_views.py), as
  htmx asks for them: the first source's campaigns, and each trend chart's figures (the page's own hooks).

It reports medians and the median of the per-round ratios to the floor, writes JSON under bench/results/ and prints
a short table. Times are wall-clock milliseconds seen by the client (loopback, a new connection per request); for
the page, the parts and the endpoint also the server's own time and CPU, from the Server-Timing header bench/wsgi.py
adds.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/hw_bench"
METHODS = ("floor", "tallies", "selector", "page", "endpoint")
# A part of the page that loads when opened: its <details>' htmx request (stats/part_views.py).
PART_HOOK = re.compile(rb'<details [^>]*hx-get="([^"]+)"')


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="data set size; 1 = 5M deals in 100 accounts")
    parser.add_argument("--rounds", type=int, default=11, help="measured rounds (at least 11 for the record)")
    parser.add_argument("--warmup", type=int, default=2, help="rounds run first and not counted")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite (var/bench.sqlite3) instead of PostgreSQL")
    parser.add_argument("--database-url", default=None, help=f"default: $BENCH_DATABASE_URL or {PG_DEFAULT}")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data when its scale matches")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    if args.sqlite:
        return f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    return os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT)


def recreate_database(url: str) -> None:
    """A fresh, empty database for the benchmark (PostgreSQL: drop and create; SQLite: a new file)."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    if not name.startswith(("hw_bench", "bench")):
        raise SystemExit(f"Refusing to drop {name!r}: the benchmark database name must start with hw_bench or bench.")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def meta_path(url: str) -> Path:
    digest = hashlib.sha256(url.split("?", maxsplit=1)[0].encode()).hexdigest()[:12]
    return ROOT / "var" / f"bench-meta-{digest}.json"


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line), ""
        )
    mem = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem = meminfo.read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


# --- HTTP ---------------------------------------------------------------------------------------------------


def http_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, bytes, str | None]:
    """(client ms, status, body, the Server-Timing header) of one request on a new connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, response.status, body, response.getheader("Server-Timing")


def server_ms(header: str | None, metric: str = "app") -> float:
    """A duration in the Server-Timing header that bench/wsgi.py adds: `app` (wall clock) or `cpu`."""
    for part in (header or "").split(","):
        name, _, rest = part.strip().partition(";")
        if name == metric and "dur=" in rest:
            return float(rest.split("dur=", 1)[1].split(";", 1)[0])
    raise SystemExit(f"no Server-Timing {metric} duration in {header!r}: is gunicorn serving bench.wsgi?")


def start_server(
    port: int, env: dict[str, str], *, workers: int = 1, app: str = "bench.wsgi:application"
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 — our own fixed command line
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _, status, _, _ = http_get(port, "/healthz", {})
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


# --- The run ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0912, PLR0915 — one linear script
    args = parse_args(argv)
    wall_started = time.perf_counter()
    url = database_url(args)
    vendor = "sqlite" if url.startswith("sqlite") else "postgresql"
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    meta_file = meta_path(url)
    meta: dict[str, Any] | None = None
    if args.reuse:
        # Refuse rather than reload: a reload drops the database other checkouts may be reading (its meta file
        # sits in the checkout that loaded it), and takes minutes.
        if not meta_file.exists():
            raise SystemExit(
                f"--reuse: no {meta_file.relative_to(ROOT)} here: run `make bench` once without --reuse to load "
                "the data, or copy the file from the checkout that loaded it."
            )
        meta = json.loads(meta_file.read_text())
        if meta.get("scale") != args.scale:
            raise SystemExit(
                f"--reuse: the loaded data is scale {meta.get('scale')}, not {args.scale}: run without --reuse "
                "to reload it."
            )
    if meta is None:
        print(f"Creating the benchmark database ({vendor})...", file=sys.stderr)
        recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if meta is not None and vendor == "postgresql":
        from django.db import connection as django_connection

        # Reused data may have just been migrated (new tallies, rebuilt indexes): settle it as the loader does.
        with django_connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) companies_company, persons_person, deals_deal, stats_sourcetally, "
                "stats_closedaystally"
            )

    from bench import dataset
    from bench.floor import Case, run_floor, run_tally_floor

    if meta is None:
        plans = dataset.plan(args.scale)
        print(
            f"Generating and loading scale {args.scale}: "
            f"{sum(p.deals for p in plans):,} deals in {len(plans)} accounts",
            file=sys.stderr,
        )
        data = dataset.create_small_tables(plans, args.scale)
        if vendor == "postgresql":
            dataset.load_postgres(url, plans, data)
        else:
            dataset.load_django(plans, data)
        meta = {
            "scale": args.scale,
            "accounts": data.accounts,
            "owners": data.owners,
            "counts": data.counts,
            "load_seconds": round(data.load_seconds, 1),
            "plans": {p.slug: {"deals": p.deals, "persons": p.persons, "companies": p.companies} for p in plans[:2]},
        }
        meta_file.parent.mkdir(parents=True, exist_ok=True)
        meta_file.write_text(json.dumps(meta))
        print(f"Loaded in {data.load_seconds:.1f} s", file=sys.stderr)
    dataset.switch_word_starts()

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from headwater.core.models import Account
    from headwater.stats.filters import DateRange, StatsFilters
    from headwater.stats.selectors import source_stats
    from headwater.users.models import Membership, Role, User
    from headwater.users.token_services import api_token_create

    accounts = {slug: Account.objects.get(pk=pk) for slug, pk in meta["accounts"].items() if slug in ("big", "typical")}
    bench_user, _ = User.objects.get_or_create(email="bench@bench.test", defaults={"full_name": "Benchmark"})
    if not bench_user.email_confirmed:  # an unconfirmed address is logged out on its next request
        bench_user.email_confirmed_at = timezone.now()
        bench_user.save(update_fields=["email_confirmed_at"])
    tokens = {}
    for slug, account in accounts.items():
        Membership.unscoped.get_or_create(account=account, user=bench_user, defaults={"role": Role.ADMIN})
        _, tokens[slug] = api_token_create(account=account, user=bench_user, name="benchmark")
    client = Client()
    client.force_login(bench_user)
    session = client.cookies["sessionid"].value

    cases = [
        Case("all time", "big"),
        Case("6 months", "big", dt.date(2026, 5, 1), dt.date(2026, 10, 31)),
        Case("owner + 1 year", "big", dt.date(2025, 11, 1), dt.date(2026, 10, 31), owner=True),
        # Days outside whole months are read from the records: a range that starts and ends mid-month.
        Case("90 days, mid-month", "big", dt.date(2026, 7, 17), dt.date(2026, 10, 14)),
        Case("typical account", "typical"),
    ]

    # The floor's own connection: psycopg without prepared statements (they would hide plan changes), or sqlite3.
    raw: Any
    if vendor == "postgresql":
        import psycopg

        raw = psycopg.connect(url, autocommit=True, prepare_threshold=None)
    else:
        import sqlite3

        raw = sqlite3.connect(url.removeprefix("sqlite:///"))

    def hand_written(run: Any, case: Case) -> Any:
        account = accounts[case.account]
        return run(
            raw,
            vendor,
            account_id=account.pk,
            currency=account.currency,
            zone=account.time_zone,
            case=case,
            owner_id=meta["owners"][case.account][0],
        )

    def floor(case: Case) -> Any:
        return hand_written(run_floor, case)

    def tallies(case: Case) -> Any:
        return hand_written(run_tally_floor, case)

    def selector(case: Case) -> Any:
        account = accounts[case.account]
        period = DateRange(case.start, case.end) if case.start and case.end else None
        owner_id = meta["owners"][case.account][0] if case.owner else None
        return source_stats(account=account, filters=StatsFilters(period=period, owner_id=owner_id))

    last_server_ms: dict[str, float] = {}
    last_server_cpu: dict[str, float] = {}

    def page(case: Case) -> float:
        owner_id = meta["owners"][case.account][0]
        path = f"/a/{case.account}/stats/sources/{case.query(owner_id)}"
        elapsed, status, _, timing = http_get(args.port, path, {"Cookie": f"sessionid={session}"})
        if status != 200:
            raise SystemExit(f"page answered {status}: {path}")
        last_server_ms["page"] = server_ms(timing)
        last_server_cpu["page"] = server_ms(timing, "cpu")
        return elapsed

    def page_parts(case: Case) -> dict[str, str]:
        """The parts of the case's page that load when opened, by name: the first source's campaigns (none with an
        owner filter: spend has no owner) and each trend chart's figures, as the page links them."""
        owner_id = meta["owners"][case.account][0]
        path = f"/a/{case.account}/stats/sources/{case.query(owner_id)}"
        _, status, body, _ = http_get(args.port, path, {"Cookie": f"sessionid={session}"})
        if status != 200:
            raise SystemExit(f"page answered {status}: {path}")
        hooks = [html.unescape(hook.decode()) for hook in PART_HOOK.findall(body)]
        found = {}
        campaigns = [hook for hook in hooks if "/campaigns/" in hook]
        if campaigns:
            found["campaigns of a source"] = campaigns[0]
        for hook in hooks:
            if "/trend-figures/" in hook:
                found[f"trend figures: {hook.rsplit('figures=', 1)[1]}"] = hook
        return found

    def part(path: str) -> tuple[float, float, float]:
        elapsed, status, _, timing = http_get(args.port, path, {"Cookie": f"sessionid={session}", "HX-Request": "true"})
        if status != 200:
            raise SystemExit(f"part answered {status}: {path}")
        return elapsed, server_ms(timing), server_ms(timing, "cpu")

    def endpoint(case: Case) -> float:
        owner_id = meta["owners"][case.account][0]
        path = f"/api/v1/stats/sources{case.query(owner_id)}"
        elapsed, status, body, timing = http_get(args.port, path, {"Authorization": f"Bearer {tokens[case.account]}"})
        if status != 200:
            raise SystemExit(f"endpoint answered {status}: {path}: {body[:300]!r}")
        last_server_ms["endpoint"] = server_ms(timing)
        return elapsed

    def timed(function: Any, case: Case) -> float:
        started = time.perf_counter()
        function(case)
        return (time.perf_counter() - started) * 1000

    # The floor and the selector must be counting the same thing.
    for case in cases:
        rows = floor(case)
        stats = selector(case)
        open_count = sum(r[2] for r in rows[3])
        closed_count = sum(r[3] for r in rows[4])
        assert open_count == stats.open_deals.total.count, case  # noqa: S101 — the benchmark checks its figures before reporting them
        assert closed_count == stats.closed_deals.total.won_count + stats.closed_deals.total.lost_count, case  # noqa: S101 — the benchmark checks its figures before reporting them
        assert sum(r[1] for r in rows[1]) == stats.contacts.total.companies, case  # noqa: S101 — the benchmark checks its figures before reporting them
        days, dated = sum(r[5] or 0 for r in rows[4]), sum(r[6] for r in rows[4])
        if dated:
            average = (Decimal(days) / dated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            assert average == stats.closed_deals.total.average_days, case  # noqa: S101 — the benchmark checks its figures before reporting them
        # The hand-written read of the tallies finds the same counts.
        counted = tallies(case)
        tally_open = sum(r[3] for r in counted[1] if r[0] % 10 == 3) + sum(r[2] for r in counted[4])
        tally_closed = sum(r[3] for r in counted[1] if r[0] % 10 in (4, 5, 6, 7)) + sum(r[3] for r in counted[5])
        assert (tally_open, tally_closed) == (open_count, closed_count), case  # noqa: S101 — the benchmark checks its figures before reporting them

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": url}
    server = start_server(args.port, env)
    samples: dict[str, dict[str, list[float]]] = {c.name: {m: [] for m in METHODS} for c in cases}
    # The server's own time of each page and endpoint request (bench/wsgi.py), beside the client's.
    server_samples: dict[str, dict[str, list[float]]] = {c.name: {"page": [], "endpoint": []} for c in cases}
    page_cpu: dict[str, list[float]] = {c.name: [] for c in cases}
    try:
        parts = {case.name: page_parts(case) for case in cases}
        # Per case and part: client ms, server ms, server CPU ms.
        part_samples: dict[str, dict[str, tuple[list[float], list[float], list[float]]]] = {
            name: {part_name: ([], [], []) for part_name in found} for name, found in parts.items()
        }
        total_rounds = args.warmup + args.rounds
        for round_index in range(total_rounds):
            counted = round_index >= args.warmup
            sys.stderr.write(
                f"\r  round {round_index + 1}/{total_rounds}{' (warm-up)' if not counted else '          '}"
            )
            sys.stderr.flush()
            for case in cases:
                # Rotate the order every round so no method always runs right after another.
                shift = round_index % len(METHODS)
                order = METHODS[shift:] + METHODS[:shift]
                for method in order:
                    if method == "floor":
                        ms = timed(floor, case)
                    elif method == "tallies":
                        ms = timed(tallies, case)
                    elif method == "selector":
                        ms = timed(selector, case)
                    elif method == "page":
                        ms = page(case)
                    else:
                        ms = endpoint(case)
                    if counted:
                        samples[case.name][method].append(ms)
                        if method in ("page", "endpoint"):
                            server_samples[case.name][method].append(last_server_ms[method])
                        if method == "page":
                            page_cpu[case.name].append(last_server_cpu["page"])
                # What moved out of the page is still measured: each part as the user's opening asks for it.
                for part_name, path in parts[case.name].items():
                    measured = part(path)
                    if counted:
                        for series, value in zip(part_samples[case.name][part_name], measured, strict=True):
                            series.append(value)
        sys.stderr.write("\n")
    finally:
        server.terminate()
        server.wait(timeout=10)
        raw.close()

    results: dict[str, Any] = {}
    for case in cases:
        s = samples[case.name]
        ratios = {
            m: statistics.median(x / f for x, f in zip(s[m], s["floor"], strict=True)) for m in METHODS if m != "floor"
        }
        to_tallies = {
            m: statistics.median(x / f for x, f in zip(s[m], s["tallies"], strict=True))
            for m in ("selector", "page", "endpoint")
        }
        results[case.name] = {
            "account": case.account,
            "period": [case.start.isoformat(), case.end.isoformat()] if case.start and case.end else None,
            "owner": case.owner,
            "median_ms": {m: round(statistics.median(s[m]), 2) for m in METHODS},
            "server_median_ms": {m: round(statistics.median(v), 2) for m, v in server_samples[case.name].items()},
            "page_server_cpu_median_ms": round(statistics.median(page_cpu[case.name]), 2),
            "parts": {
                part_name: {
                    "path": parts[case.name][part_name],
                    "median_ms": round(statistics.median(client), 2),
                    "server_median_ms": round(statistics.median(server), 2),
                    "server_cpu_median_ms": round(statistics.median(cpu), 2),
                }
                for part_name, (client, server, cpu) in part_samples[case.name].items()
            },
            "ratio_to_floor": {m: round(r, 3) for m, r in ratios.items()},
            "ratio_to_tallies": {m: round(r, 3) for m, r in to_tallies.items()},
            "samples_ms": {m: [round(x, 2) for x in s[m]] for m in METHODS},
        }

    sizes: dict[str, Any] = {}
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SHOW server_version")
            server_version = f"PostgreSQL {cursor.fetchone()[0]}"
            for name in ("deals_deal", "persons_person", "companies_company", "stats_sourcetally"):
                cursor.execute("SELECT pg_relation_size(%s), pg_indexes_size(%s)", [name, name])
                table_bytes, index_bytes = cursor.fetchone()
                sizes[name] = {
                    "table_mb": round(table_bytes / 2**20, 1),
                    "indexes_mb": round(index_bytes / 2**20, 1),
                    "index_to_table": round(index_bytes / table_bytes, 2),
                }
        else:
            import sqlite3

            server_version = f"SQLite {sqlite3.sqlite_version}"

    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": server_version,
        "machine": machine(),
        "scale": args.scale,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "counts": meta["counts"],
        "accounts": meta.get("plans"),
        "load_seconds": meta["load_seconds"],
        "sizes": sizes,
        "cases": results,
        "wall_seconds": round(time.perf_counter() - wall_started, 1),
    }
    write_report(report, args.out, f"stats-{vendor}-scale{args.scale:g}", summary_table(report))
    return 0


def write_report(report: dict[str, Any], folder: Path, prefix: str, table: str) -> None:
    """The report as `<folder>/<prefix>-<UTC stamp>.json`, and its short table on the terminal."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    out = folder / f"{prefix}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table)
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def summary_table(report: dict[str, Any]) -> str:
    lines = [
        f"{report['database']}, scale {report['scale']:g}, {report['rounds']} rounds, {report['date']}",
        "",
        (
            "| case | floor ms | tallies ms | selector ms | page ms | page server ms | page server CPU ms "
            "| endpoint ms | endpoint server ms | endpoint/floor | endpoint/tallies |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    nan = float("nan")
    for name, case in report["cases"].items():
        m, r, server = case["median_ms"], case["ratio_to_floor"], case.get("server_median_ms", {})
        lines.append(
            f"| {name} | {m['floor']:.1f} | {m['tallies']:.1f} | {m['selector']:.1f} | {m['page']:.1f} "
            f"| {server.get('page', nan):.1f} | {case.get('page_server_cpu_median_ms', nan):.1f} | {m['endpoint']:.1f} "
            f"| {server.get('endpoint', nan):.1f} | {r['endpoint']:.2f} "
            f"| {case['ratio_to_tallies']['endpoint']:.2f} |"
        )
    lines += [
        "",
        "Parts of the page that load when opened (htmx):",
        "",
        "| case | part | ms | server ms | server CPU ms |",
        "|---|---|---:|---:|---:|",
    ]
    for name, case in report["cases"].items():
        for part_name, part in case.get("parts", {}).items():
            lines.append(
                f"| {name} | {part_name} | {part['median_ms']:.1f} | {part['server_median_ms']:.1f} "
                f"| {part['server_cpu_median_ms']:.1f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
