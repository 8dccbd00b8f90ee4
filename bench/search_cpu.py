"""A search list page's CPU per request in one process, and its answers for comparing two commits byte for byte.

    BENCH_DATABASE_URL=postgres://... python -m bench.search_cpu time [--requests 30] [--case NAME ...]
    BENCH_DATABASE_URL=postgres://... python -m bench.search_cpu run --requests 20 --warmup 10 [--case NAME ...]
    BENCH_DATABASE_URL=postgres://... python -m bench.search_cpu profile --case NAME [--requests 40]
    BENCH_DATABASE_URL=postgres://... python -m bench.search_cpu dump OUT_DIR

On the lists benchmark's database (`make bench` loads it; bench.settings), logged in as its user through Django's
test client, inside a transaction rolled back at the end: nothing is written (not even the session). The cases are
`make bench-lists --search`'s (bench/list_pages.search_cases), named as there; `--case` takes a part of a name
("persons 'ko' (1 in 6) (typical)"); by default the typical account's three that sit on the page target's edge.

- `time`: median CPU milliseconds (`time.process_time`) of each case's first page, the cases alternated request by
  request. Run it in two worktrees one after the other, alternated, to compare two commits.
- `run`: `--warmup` rounds of the cases, then `--requests` more: for instruction counts, run it under
  `valgrind --tool=callgrind` with `--requests N` and with `--requests 0` (same warm-up) and take the difference
  over N times the cases (`PYTHONHASHSEED=0`, the collector frozen after the warm-up as a worker's is).
- `profile`: cProfile (CPU time) of one case's page, the hottest functions.
- `dump`: for every search case of both accounts (and every list without a search, in each of its sorts), the
  page in English and in Polish, its htmx fragment, three pages forward and two back through the pager's links,
  and the API's first three pages, one file each (CSRF tokens and nonces blanked), and beside each page and API
  answer the statements it sent to the records' tables: `diff -r` two dumps.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import cProfile
import gc
import html
import json
import os
import pstats
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EDGE_CASES = (
    "search persons 'ko' (1 in 6) (typical)",
    "search deals '99' (some) (typical)",
    "search deals 'de' (all) (typical)",
)
_NEXT = re.compile(rb'<a class="button" rel="next" href="([^"]+)"')
_PREV = re.compile(rb'<a class="button" rel="prev" href="([^"]+)"')
_RECORDS = re.compile(r'"(deals_deal|persons_person|companies_company)"')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["time", "run", "profile", "dump"])
    parser.add_argument("out", nargs="?", help="dump: the directory")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--case", action="append", default=[], help="a part of a case's name (repeatable)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import transaction
    from django.test import Client

    from bench.list_pages import search_cases
    from bench.stats_cpu import bench_user
    from headwater.core.models import Account

    every = search_cases()
    wanted = args.case or list(EDGE_CASES)
    cases = [c for c in every if any(part in c.name for part in wanted)] if args.mode != "dump" else every + _plain()
    if not cases:
        raise SystemExit(f"no case matches {wanted}")
    with transaction.atomic():
        accounts = {slug: Account.objects.get(slug=slug) for slug in ("big", "typical")}
        user = bench_user(accounts.values())
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)

        def page(path: str) -> Callable[[], None]:
            def get() -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")

            return get

        gets = {case.name: page(_page_path(case)) for case in cases}
        if args.mode == "dump":
            _dump(Path(args.out), client, cases, accounts, user)
        elif args.mode == "profile":
            get = next(iter(gets.values()))
            for _ in range(args.warmup):
                get()
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.requests):
                get()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(45)
        else:
            spent = _requests(gets, warmup=args.warmup, requests=args.requests)
            if args.mode == "time":
                print(json.dumps({name: round(statistics.median(s), 3) for name, s in spent.items()}))
        transaction.set_rollback(True)


def _requests(gets: dict[str, Callable[[], None]], *, warmup: int, requests: int) -> dict[str, list[float]]:
    """`warmup` rounds of every case, then `requests` more, alternated: each request's CPU milliseconds."""
    for _ in range(warmup):
        for get in gets.values():
            get()
    gc.collect()
    gc.freeze()  # what a gunicorn worker's warm objects are (docs/performance.md)
    spent: dict[str, list[float]] = {name: [] for name in gets}
    for _ in range(requests):
        for name, get in gets.items():
            started = time.process_time()
            get()
            spent[name].append((time.process_time() - started) * 1000)
    return spent


def _plain() -> list[Any]:
    """Lists without a search, for the dump: every kind in each of its sorts, both accounts (their rows' cells)."""
    from bench.list_pages import ListCase
    from headwater.companies.selectors import COMPANY_SORTS
    from headwater.deals.selectors import DEAL_SORTS
    from headwater.persons.selectors import PERSON_SORTS

    sorts = {"deals": DEAL_SORTS, "persons": PERSON_SORTS, "companies": COMPANY_SORTS}
    return [
        ListCase(f"{kind} by {direction}{sort}", slug, kind, f"{direction}{sort}")
        for slug in ("big", "typical")
        for kind, named in sorts.items()
        for sort in named
        for direction in ("", "-")
    ]


def _page_path(case: Any) -> str:
    return f"/a/{case.account}/{case.kind}/?{urlencode({**case.filters, 'sort': case.sort})}"


def _api_path(case: Any) -> str | None:
    from headwater.companies.schemas import COMPANY_ORDERING
    from headwater.companies.selectors import COMPANY_SORTS
    from headwater.deals.schemas import DEAL_ORDERING
    from headwater.deals.selectors import DEAL_SORTS
    from headwater.persons.schemas import PERSON_ORDERING
    from headwater.persons.selectors import PERSON_SORTS

    api, own = {
        "deals": (DEAL_ORDERING, DEAL_SORTS),
        "persons": (PERSON_ORDERING, PERSON_SORTS),
        "companies": (COMPANY_ORDERING, COMPANY_SORTS),
    }[case.kind]
    columns = own[case.sort.removeprefix("-")]
    name = next((n for n, cols in api.items() if cols == columns and n != "id"), None)
    if name is None:  # a sort the API does not offer
        return None
    ordering = ("-" if case.sort.startswith("-") else "") + name
    return f"/api/v1/{case.kind}?{urlencode({**case.filters, 'ordering': ordering, 'limit': '25'})}"


def _dump(out: Path, client: Any, cases: list[Any], accounts: dict[str, Any], user: Any) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(name: str, path: str, **headers: Any) -> Any:
        """The answer, and the statements it sent to the records' tables (not the session's, whose key varies)."""
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, **headers)
        sent = [q["sql"] for q in captured.captured_queries if _RECORDS.search(q["sql"])]
        (out / f"{name}-sql").write_text("\n".join(sent) + "\n")
        return response

    from headwater.users.token_services import api_token_create

    out.mkdir(parents=True, exist_ok=True)
    tokens = {slug: api_token_create(account=a, user=user, name="search_cpu")[1] for slug, a in accounts.items()}
    written = 0
    for number, case in enumerate(cases):
        stem = f"{number:02d}-{case.account}-{case.kind}-{case.q or case.sort}"
        first = _page_path(case)
        for language in ("en", "pl"):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            (out / f"{stem}-page-{language}").write_bytes(_body(get(f"{stem}-page-{language}", first)))
            (out / f"{stem}-fragment-{language}").write_bytes(_body(client.get(first, HTTP_HX_REQUEST="true")))
            written += 2
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
        # Forward three pages, then back two, following the pager's own links (full pages and fragments).
        body = client.get(first).content
        steps = [_NEXT] * 3 + [_PREV] * 2
        for step, link in enumerate(steps):
            found = link.search(body)
            if found is None:
                break
            path = html.unescape(found.group(1).decode())
            response = get(f"{stem}-walk{step}", path)
            body = response.content
            (out / f"{stem}-walk{step}").write_bytes(path.encode() + b"\n" + _body(response))
            fragment = client.get(path, HTTP_HX_REQUEST="true")
            (out / f"{stem}-walk{step}-fragment").write_bytes(_body(fragment))
            written += 2
        api = _api_path(case)
        path = api or ""
        for step in range(3 if api else 0):
            response = get(f"{stem}-api{step}", path, HTTP_AUTHORIZATION=f"Bearer {tokens[case.account]}")
            (out / f"{stem}-api{step}").write_bytes(path.encode() + b"\n" + _body(response))
            written += 1
            cursor = json.loads(response.content).get("next") if response.status_code == 200 else None
            if not cursor:
                break
            path = f"{api}&{urlencode({'cursor': cursor})}"
    print(f"{written} responses of {len(cases)} cases written to {out}")


def _body(response: Any) -> bytes:
    body: bytes = response.content
    body = re.sub(rb'nonce="[^"]*"', b'nonce=""', body)
    body = re.sub(rb'"X-CSRFToken": "[^"]*"', b"", body)
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)
    return str(response.status_code).encode() + b"\n" + body


if __name__ == "__main__":
    main()
