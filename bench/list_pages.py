"""Record lists on the statistics benchmark's data: what the list indexes buy, and what they weigh.

    make bench-lists                      # after `make bench` has loaded hw_bench (PostgreSQL, scale 1)
    make bench-lists BENCH_ARGS="--rounds 11 --explain"

The list pages read one page with keyset pagination and a bounded count (core/pagination.py): two queries. For
each case below, on the big account (1,000,000 deals, 1,000,000 persons, 200,000 companies) and the typical one
(25,000 deals), it measures, interleaved over `--rounds` rounds after warm-up:

- floor:    the two statements the selector sends, replayed as text on a raw psycopg connection
            (prepare_threshold=None): the database's share;
- selector: `deal_page` / `person_page` / `company_page` as the list views call them.

"page 40" cases read the 40th page through the cursor of the 39th (found once, untimed): a deep keyset read.
It also reports each table's size and the size of each of its indexes, so that what an index costs and what it
buys sit side by side (docs/performance.md, "Record lists and the index budget").

Every case is also timed as users reach it, over HTTP from gunicorn (`bench.wsgi`: production-like settings,
DEBUG off, one sync worker, a persistent database connection) on 127.0.0.1, a new connection per request; each
is reported as the client's wall clock and the server's own time (the `Server-Timing` header bench/wsgi.py adds):

- page:     `GET /a/<account>/<kind>/?<the case's filters>&sort=...` (the list page: 25 rows and the total), with
            a logged-in session; the "page 40" cases with the cursor of the 39th page;
- api:      `GET /api/v1/<kind>?<filters>&ordering=...&limit=25` with a token (no count), for the cases whose
            filters and sort the API has (it has no creation or close days, and no status or e-mail sort).

Targets (issue 16): every page under 15 ms of server time, every API list under 10 ms, selector / floor under
1.5; the summary marks each case that misses one. `--no-http` skips the HTTP timings.

and report how many rows match (the page's bounded count, or "~N (estimated)" where a search shows the planner's
estimate instead, core/pagination.keyset_page) and how many 8 kB blocks the page's statements touch
(`EXPLAIN (ANALYZE, BUFFERS)`, shared hit + read): warm, the time is CPU over cached blocks; cold, each block
the cache does not hold is a read from disk, so the block count is what a cold search pays.
`--search` runs only the search cases. `--sqlite` runs every case on the SQLite data of
`make bench BENCH_ARGS="--sqlite --scale 0.1"` (var/bench.sqlite3): selector, page and API only, as SQLite has no
plans or sizes to compare and a raw connection lacks the functions Django registers.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.run_stats import (
    PG_DEFAULT,
    RESULTS,
    ROOT,
    http_get,
    machine,
    meta_path,
    server_ms,
    start_server,
    write_report,
)

TABLES = ("deals_deal", "persons_person", "companies_company")


@dataclass(frozen=True)
class ListCase:
    name: str
    account: str  # "big" or "typical"
    kind: str  # "deals", "persons" or "companies"
    sort: str
    filters: dict[str, Any] = field(default_factory=dict)
    page: int = 1
    # The API's `ordering` for this case: "" = the page's sort under its API name, None = no API case.
    api_ordering: str | None = ""

    @property
    def q(self) -> str:
        return str(self.filters.get("q", ""))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=2, help="rounds run first and not counted")
    parser.add_argument("--database-url", default=None, help=f"default: $BENCH_DATABASE_URL or {PG_DEFAULT}")
    parser.add_argument("--explain", action="store_true", help="print each case's page query plan")
    parser.add_argument("--search", action="store_true", help="only the search cases")
    parser.add_argument("--sqlite", action="store_true", help="the cases on var/bench.sqlite3 (no floor)")
    parser.add_argument("--no-http", action="store_true", help="skip the page and API timings over HTTP")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def cases(owner: dict[str, int], source: dict[str, int]) -> list[ListCase]:
    """What the list pages are asked most: the default sorts, the filters of the statistics' drill-down links."""
    out: list[ListCase] = []
    for slug in ("big", "typical"):
        big = slug == "big"
        tag = "" if big else " (typical)"
        # Days, as the page's filter takes them (the selector gets their local midnights).
        quarter = {"created_from": dt.date(2026, 7, 1), "created_to": dt.date(2026, 9, 30)}
        out += [
            ListCase(f"deals, newest{tag}", slug, "deals", "-created"),
            # The case: the page `?source=` (newest first) and the API `?source_id=` (in id order).
            ListCase(f"deals, source{tag}", slug, "deals", "-created", {"source": source[slug]}, api_ordering="id"),
            # The Statistics' won and lost links sort by close day, newest first (stats.tables.Links).
            ListCase(
                f"deals, source, won in a quarter{tag}",
                slug,
                "deals",
                "-closed",
                {
                    "source": source[slug],
                    "status": "won",
                    "closed_from": dt.date(2026, 7, 1),
                    "closed_to": dt.date(2026, 9, 30),
                },
            ),
            # The same two lists newest created first (the links' sort before they sorted by close day).
            ListCase(
                f"deals, source, won in a quarter, newest created{tag}",
                slug,
                "deals",
                "-created",
                {
                    "source": source[slug],
                    "status": "won",
                    "closed_from": dt.date(2026, 7, 1),
                    "closed_to": dt.date(2026, 9, 30),
                },
            ),
            ListCase(
                f"deals, closed in a month, newest created{tag}",
                slug,
                "deals",
                "-created",
                {"closed_from": dt.date(2026, 9, 1), "closed_to": dt.date(2026, 9, 30)},
            ),
            ListCase(f"deals, owner, newest{tag}", slug, "deals", "-created", {"owner": owner[slug]}),
            ListCase(f"deals, source + quarter{tag}", slug, "deals", "-created", {"source": source[slug], **quarter}),
            ListCase(f"deals, open, newest{tag}", slug, "deals", "-created", {"status": "open"}),
            ListCase(
                f"deals, closed in a month{tag}",
                slug,
                "deals",
                "-closed",
                {"closed_from": dt.date(2026, 9, 1), "closed_to": dt.date(2026, 9, 30)},
            ),
            ListCase(f"persons, by name{tag}", slug, "persons", "name"),
            ListCase(f"persons, owner, by name{tag}", slug, "persons", "name", {"owner": owner[slug]}),
            ListCase(f"companies, owner, by name{tag}", slug, "companies", "name", {"owner": owner[slug]}),
        ]
        if big:
            out += [
                ListCase("deals, newest, page 40", slug, "deals", "-created", page=40),
                ListCase("deals, source, newest, page 40", slug, "deals", "-created", {"source": source[slug]}, 40),
                ListCase("deals, by status", slug, "deals", "status"),
                ListCase("deals, by value", slug, "deals", "-value"),
                ListCase("deals, by close day", slug, "deals", "-closed"),
                ListCase(
                    "deals, closed in a month, page 40",
                    slug,
                    "deals",
                    "-closed",
                    {"closed_from": dt.date(2026, 9, 1), "closed_to": dt.date(2026, 9, 30)},
                    40,
                ),
                ListCase("persons, source, by name, page 40", slug, "persons", "name", {"source": source[slug]}, 40),
                ListCase("persons, newest", slug, "persons", "-created"),
                ListCase("persons, by e-mail", slug, "persons", "email"),
                ListCase("companies, newest", slug, "companies", "-created"),
            ]
    return out + search_cases()


def search_cases() -> list[ListCase]:
    """Searches of the list pages and the API, short words first (docs/performance.md, "Record lists").

    The benchmark's keys are plain: deals "deal <account>-<n> company <account>-<m>", persons "<first> <last>"
    (10 first names, 24 surnames: 1 in 6 starts with "Kowal"), companies "company <account>-<n> warszawa". So
    "zx" and "q" find nothing, "99" starts a number in about 1 deal in 80, "ko" finds 1 person in 6, "c" 7 deals
    in 10 and "de" every deal.
    """
    out: list[ListCase] = []
    for slug in ("big", "typical"):
        tag = "" if slug == "big" else " (typical)"
        out += [
            ListCase(f"search deals 'zx' (none){tag}", slug, "deals", "-created", {"q": "zx"}),
            ListCase(f"search deals 'q' (none){tag}", slug, "deals", "-created", {"q": "q"}),
            ListCase(f"search deals '99' (some){tag}", slug, "deals", "-created", {"q": "99"}),
            ListCase(f"search deals 'c' (most){tag}", slug, "deals", "-created", {"q": "c"}),
            ListCase(f"search deals 'de' (all){tag}", slug, "deals", "-created", {"q": "de"}),
            ListCase(f"search deals 'deal zx' (none){tag}", slug, "deals", "-created", {"q": "deal zx"}),
            ListCase(f"search persons 'ko' (1 in 6){tag}", slug, "persons", "name", {"q": "ko"}),
            ListCase(f"search persons 'zx' (none){tag}", slug, "persons", "name", {"q": "zx"}),
            ListCase(f"search companies 'zx' (none){tag}", slug, "companies", "name", {"q": "zx"}),
        ]
        if slug == "big":
            out += [ListCase("search deals 'company' (word, most)", slug, "deals", "-created", {"q": "company"})]
    return out


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0912, PLR0915 — one linear script
    args = parse_args(argv)
    url = args.database_url or os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT)
    if args.sqlite:
        url = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    sqlite = url.startswith("sqlite")
    meta_file = meta_path(url)
    if not meta_file.exists():
        raise SystemExit(f"No benchmark data for {url}: run `make bench` first (it loads and keeps it).")
    meta = json.loads(meta_file.read_text())
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from headwater.companies.schemas import COMPANY_ORDERING
    from headwater.companies.selectors import COMPANY_DEFAULT_SORT, COMPANY_SORTS, company_page
    from headwater.core.models import Account
    from headwater.core.pagination import ordering_from_param
    from headwater.deals.schemas import DEAL_ORDERING
    from headwater.deals.selectors import DEAL_DEFAULT_SORT, DEAL_SORTS, DealFilters, deal_page
    from headwater.persons.schemas import PERSON_ORDERING
    from headwater.persons.selectors import PERSON_DEFAULT_SORT, PERSON_SORTS, PersonFilters, person_page
    from headwater.records.forms import local_midnight
    from headwater.records.listing import RecordFilters
    from headwater.sources.models import Source
    from headwater.users.models import Membership, Role, User
    from headwater.users.token_services import api_token_create

    call_command("migrate", interactive=False, verbosity=0)
    from bench.dataset import switch_word_starts

    switch_word_starts()  # data loaded before the rule existed (or by an older load)
    accounts = {slug: Account.objects.get(pk=pk) for slug, pk in meta["accounts"].items() if slug in ("big", "typical")}
    owner = {slug: meta["owners"][slug][0] for slug in accounts}
    source = {
        slug: Source.objects.for_account(account).order_by("position", "id").values_list("id", flat=True)[0]
        for slug, account in accounts.items()
    }
    readers: dict[str, tuple[Callable[..., Any], type, dict[str, tuple[str, ...]], str]] = {
        "deals": (deal_page, DealFilters, DEAL_SORTS, DEAL_DEFAULT_SORT),
        "persons": (person_page, PersonFilters, PERSON_SORTS, PERSON_DEFAULT_SORT),
        "companies": (company_page, RecordFilters, COMPANY_SORTS, COMPANY_DEFAULT_SORT),
    }

    def reader(case: ListCase) -> Callable[[str | None], Any]:
        read, filters_type, sorts, default = readers[case.kind]
        _, ordering = ordering_from_param(case.sort, sorts, default)
        given = dict(case.filters)
        account = accounts[case.account]
        if "created_from" in given:
            given["created_from"] = local_midnight(account, given["created_from"])
        if "created_to" in given:
            given["created_before"] = local_midnight(account, given.pop("created_to"), next_day=True)
        filters = filters_type(**given)

        def run(cursor: str | None) -> Any:
            return read(
                account=accounts[case.account],
                filters=filters,
                ordering=ordering,
                cursor=cursor,
                page_size=settings.LIST_PAGE_SIZE,
                count_limit=settings.LIST_COUNT_LIMIT,
            )

        return run

    all_cases = [c for c in cases(owner, source) if c.q or not args.search]
    prepared: dict[str, tuple[Callable[[], Any], list[str]]] = {}
    cursors: dict[str, str | None] = {}
    plans: dict[str, list[str]] = {}
    found: dict[str, str] = {}
    blocks: dict[str, int] = {}
    for case in all_cases:
        run = reader(case)
        cursor = None
        for _ in range(case.page - 1):
            cursor = run(cursor).next_cursor
            if cursor is None:
                raise SystemExit(f"{case.name}: fewer than {case.page} pages")
        with CaptureQueriesContext(connection) as captured:
            page = run(cursor)
        if not page.rows and not case.q:
            raise SystemExit(f"{case.name}: an empty page")
        statements = [q["sql"] for q in captured.captured_queries]
        cursors[case.name] = cursor
        prepared[case.name] = ((lambda run=run, cursor=cursor: run(cursor)), statements)
        if case.q:
            if page.total is not None:
                found[case.name] = f"{page.total:,}"
            elif page.estimate is not None:  # what the page shows: "about N (estimated)"
                found[case.name] = f"~{page.estimate_shown:,} (estimated)"
            else:
                found[case.name] = f">{settings.LIST_COUNT_LIMIT:,}"
        if sqlite:
            plans[case.name], blocks[case.name] = [], 0
            continue
        with connection.cursor() as db:
            db.execute("EXPLAIN (FORMAT JSON) " + statements[-1])
            plan = db.fetchone()[0]
        plans[case.name] = sorted(set(_index_names(plan)))
        if case.q:
            # A search's estimate (core/pagination.estimated_rows) is an EXPLAIN: planned, not run, no table block.
            blocks[case.name] = sum(
                _blocks_touched(connection, sql) for sql in statements if not sql.startswith("EXPLAIN ")
            )
        if args.explain:
            with connection.cursor() as db:
                db.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[-1])
                print(f"\n== {case.name}\n" + "\n".join(row[0] for row in db.fetchall()))

    # The page and the API as a user reaches them: a session and a token of a member.
    # Confirmed, or the session middleware logs it out and every page answers a redirect to the log-in.
    bench_user, _ = User.objects.update_or_create(
        email="bench@bench.test", defaults={"full_name": "Benchmark", "email_confirmed_at": timezone.now()}
    )
    tokens = {}
    for slug, account in accounts.items():
        Membership.unscoped.get_or_create(account=account, user=bench_user, defaults={"role": Role.ADMIN})
        _, tokens[slug] = api_token_create(account=account, user=bench_user, name="list benchmark")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(bench_user)
    session = client.cookies["sessionid"].value
    api_names = {"deals": DEAL_ORDERING, "persons": PERSON_ORDERING, "companies": COMPANY_ORDERING}

    def http_paths(case: ListCase) -> dict[str, tuple[str, dict[str, str]]]:
        """The page's and (when it has the case's filters and sort) the API's path and headers."""
        page_params = {k: v.isoformat() if isinstance(v, dt.date) else str(v) for k, v in case.filters.items()}
        page_params["sort"] = case.sort
        cursor = cursors[case.name]
        if cursor:
            page_params["cursor"] = cursor
        out = {"page": (f"/a/{case.account}/{case.kind}/?{urlencode(page_params)}", {"Cookie": f"sessionid={session}"})}
        ordering = case.api_ordering
        if ordering == "":
            own = readers[case.kind][2][case.sort.removeprefix("-")]
            name = next((api for api, cols in api_names[case.kind].items() if cols == own and api != "id"), None)
            ordering = None if name is None else ("-" if case.sort.startswith("-") else "") + name
        expressible = not any(k.startswith(("created_", "closed_")) for k in case.filters)
        if ordering is not None and expressible:
            api_params = {
                "owner_id" if k == "owner" else "source_id" if k == "source" else k: str(v)
                for k, v in case.filters.items()
            }
            api_params |= {"ordering": ordering, "limit": str(settings.LIST_PAGE_SIZE)}
            if cursor:
                api_params["cursor"] = cursor
            out["api"] = (
                f"/api/v1/{case.kind}?{urlencode(api_params)}",
                {"Authorization": f"Bearer {tokens[case.account]}"},
            )
        return out

    paths = {c.name: http_paths(c) for c in all_cases} if not args.no_http else {c.name: {} for c in all_cases}
    methods = {c.name: ("floor", "selector", *paths[c.name]) for c in all_cases}
    if sqlite:
        methods = {name: tuple(m for m in ms if m != "floor") for name, ms in methods.items()}
    server = None
    if not args.no_http:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": url}
        server = start_server(args.port, env)
        for case in all_cases:  # every path answers 200 before anything is timed
            for method, (path, headers) in paths[case.name].items():
                _, status, body, _ = http_get(args.port, path, headers)
                if status != 200:
                    raise SystemExit(f"{case.name}: {method} {path} answered {status}: {body[:300]!r}")

    raw = None if sqlite else psycopg.connect(url, autocommit=True, prepare_threshold=None)
    samples: dict[str, dict[str, list[float]]] = {
        c.name: {m: [] for m in methods[c.name]}
        | {f"{m}_{part}": [] for m in paths[c.name] for part in ("server", "cpu")}
        for c in all_cases
    }
    try:
        total = args.warmup + args.rounds
        for round_index in range(total):
            sys.stderr.write(f"\r  round {round_index + 1}/{total}")
            sys.stderr.flush()
            for case in all_cases:
                read_page, statements = prepared[case.name]
                order = methods[case.name]
                shift = round_index % len(order)
                for method in order[shift:] + order[:shift]:
                    started = time.perf_counter()
                    served = None
                    if method == "floor" and raw is not None:
                        for sql in statements:
                            raw.execute(sql).fetchall()
                    elif method == "selector":
                        read_page()
                    else:
                        path, headers = paths[case.name][method]
                        _, status, _, timing = http_get(args.port, path, headers)
                        if status != 200:
                            raise SystemExit(f"{case.name}: {path} answered {status}")
                        served = (server_ms(timing), server_ms(timing, "cpu"))
                    if round_index >= args.warmup:
                        samples[case.name][method].append((time.perf_counter() - started) * 1000)
                        if served is not None:
                            samples[case.name][f"{method}_server"].append(served[0])
                            samples[case.name][f"{method}_cpu"].append(served[1])
        sys.stderr.write("\n")
    finally:
        if raw is not None:
            raw.close()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)

    results = {
        case.name: {
            "median_ms": {m: round(statistics.median(s), 2) for m, s in samples[case.name].items()},
            "selector_to_floor": round(
                statistics.median(
                    x / f
                    for x, f in zip(samples[case.name]["selector"], samples[case.name].get("floor", []), strict=False)
                ),
                3,
            )
            if not sqlite
            else None,
            "indexes": plans[case.name],
            **({"q": case.q, "matches": found[case.name], "blocks": blocks[case.name]} if case.q else {}),
        }
        for case in all_cases
    }
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": _server_version(connection) if not sqlite else _sqlite_version(),
        "machine": machine(),
        "rounds": args.rounds,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "counts": meta["counts"],
        "sizes": {} if sqlite else _sizes(connection),
        "cases": results,
    }
    write_report(report, args.out, "lists-sqlite" if sqlite else "lists-postgresql", summary_table(report))
    return 0


def _index_names(plan: Any) -> list[str]:
    """Every index a plan (EXPLAIN's JSON) reads."""
    if isinstance(plan, list):
        return [name for item in plan for name in _index_names(item)]
    if isinstance(plan, dict):
        own = [plan["Index Name"]] if "Index Name" in plan else []
        return own + [name for value in plan.values() for name in _index_names(value)]
    return []


def _blocks_touched(connection: Any, sql: str) -> int:
    """The 8 kB blocks one statement reads from the cache or the disk (the top plan node counts its children's)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]
    return int(plan.get("Shared Hit Blocks", 0)) + int(plan.get("Shared Read Blocks", 0))


def _sqlite_version() -> str:
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def _server_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def _sizes(connection: Any) -> dict[str, Any]:
    sizes: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT pg_relation_size(%s), pg_indexes_size(%s)", [table, table])
            table_bytes, index_bytes = cursor.fetchone()
            cursor.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                "WHERE relname = %s ORDER BY 2 DESC",
                [table],
            )
            sizes[table] = {
                "table_mb": round(table_bytes / 2**20, 1),
                "indexes_mb": round(index_bytes / 2**20, 1),
                "index_to_table": round(index_bytes / table_bytes, 3),
                "index_mb": {name: round(size / 2**20, 1) for name, size in cursor.fetchall()},
            }
    return sizes


PAGE_TARGET_MS = 15.0  # server time of a list page (issue 16)
API_TARGET_MS = 10.0  # server time of an API list
RATIO_TARGET = 1.5  # selector / floor


def _misses(case: dict[str, Any]) -> str:
    """The targets a non-search case misses: page and API server time, selector / floor."""
    m = case["median_ms"]
    missed = []
    if m.get("page_server", 0) >= PAGE_TARGET_MS:
        missed.append("page")
    if m.get("api_server", 0) >= API_TARGET_MS:
        missed.append("api")
    if (case["selector_to_floor"] or 0) >= RATIO_TARGET:
        missed.append("ratio")
    return ", ".join(missed) or "met"


def summary_table(report: dict[str, Any]) -> str:
    load = report.get("load_average")
    lines = [
        f"{report['database']}, {report['rounds']} rounds, {report['date']}"
        + (f", load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else ""),
        "",
        "Targets: page server < 15 ms, API server < 10 ms, selector / floor < 1.5. Page, API: client/server/CPU ms.",
        "",
        "| case | floor ms | selector ms | selector/floor | page ms | api ms | targets | indexes read |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    nan = float("nan")

    def http(m: dict[str, float], method: str) -> str:
        if method not in m:
            return "—"
        return f"{m[method]:.1f} / {m[method + '_server']:.1f} / {m[method + '_cpu']:.1f}"

    for name, case in report["cases"].items():
        if "q" in case:
            continue
        m = case["median_ms"]
        indexes = ", ".join(case["indexes"]) or (
            "—" if not case["indexes"] and not m.get("floor") else "none (sequential scan)"
        )
        lines.append(
            f"| {name} | {m.get('floor', nan):.2f} | {m['selector']:.2f} | {case['selector_to_floor'] or nan:.2f} "
            f"| {http(m, 'page')} | {http(m, 'api')} | {_misses(case)} | {indexes} |"
        )
    searches = {name: case for name, case in report["cases"].items() if "q" in case}
    if searches:
        lines += [
            "",
            "| search case | matches | blocks | floor ms | selector ms | page ms | api ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, case in searches.items():
            m = case["median_ms"]
            lines.append(
                f"| {name} | {case['matches']} | {case['blocks']:,} | {m.get('floor', nan):.2f} | {m['selector']:.2f} "
                f"| {http(m, 'page')} | {http(m, 'api')} |"
            )
    if report["sizes"]:
        lines += ["", "| table | table MB | indexes MB | indexes / table |", "|---|---:|---:|---:|"]
    for table, size in report["sizes"].items():
        lines.append(f"| {table} | {size['table_mb']} | {size['indexes_mb']} | {size['index_to_table']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
