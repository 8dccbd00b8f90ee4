"""The Statistics page's CPU per request in one process, and its output for comparing two commits byte for byte.

    BENCH_DATABASE_URL=postgres://... python -m bench.stats_cpu time [--requests 30]
    BENCH_DATABASE_URL=postgres://... python -m bench.stats_cpu profile big|typical|big6m
    BENCH_DATABASE_URL=postgres://... python -m bench.stats_cpu dump OUT_DIR
    python -m bench.stats_cpu parts OLD_DUMP_DIR NEW_DUMP_DIR

On the statistics benchmark's database (`make bench` loads it; bench.settings), logged in as its user (made here
when `make bench` has not made it yet) through Django's test client, inside a transaction rolled back at the end:
nothing is written (not even the session).

- `time`: the median CPU milliseconds (`time.process_time`: the database's own time is not in it, so the figure
  hardly moves with the machine's load) of the page for the big and the typical account (all time) and for the big
  account's six months compared with the six before, and of `source_stats_and_trend` alone. Run it in two worktrees
  one after the other, alternated, to compare two commits.
- `profile`: cProfile of 20 requests of one page, CPU time, the hottest functions.
- `dump`: the page (tokens and nonces blanked; also in Polish), its CSV and XLSX (the sheets' XML) and the API's
  sources and trend for periods, comparisons, owners and channels of both accounts, one file each: `diff -r` two
  dumps. Also each part of the page that loads when opened (stats/part_views.py: every `hx-get` of a <details>), as
  htmx asks for it.
- `parts`: for a dump made before those parts moved out of the page (OLD) and one after (NEW), checks that every
  part in NEW is, byte for byte, the block with the same table id in OLD's page, and that OLD's page has no such
  block NEW does not load. No database needed.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import cProfile
import html
import io
import os
import pstats
import re
import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAGES = {
    "big": "/a/big/stats/sources/",
    "typical": "/a/typical/stats/sources/",
    "big6m": "/a/big/stats/sources/?period=custom&start=2026-05-01&end=2026-10-31&compare=true",
}
QUERIES = [
    "",
    "?period=custom&start=2026-05-01&end=2026-10-31&compare=true",
    "?period=custom&start=2026-07-17&end=2026-10-14&compare=true",
    "?period=custom&start=2025-11-01&end=2026-10-31",
    "?period=this_year&compare=true",
    "?period=custom&start=2026-07-17&end=2026-10-14&trend_by=channel",
    "?channel=none",
    "?period=last_90&compare=true",
    "?period=custom&start=2026-05-01&end=2026-10-31&compare=true&channel=none",
    # Most of a month at either end, and most of one month: the close days as the month less its other days.
    "?period=custom&start=2026-07-04&end=2026-09-27",
    "?period=custom&start=2026-08-03&end=2026-08-29",
    # The close days by year, by quarter, and by half month (whole, less its other days, within one half).
    "?period=custom&start=2025-01-01&end=2025-12-31",
    "?period=custom&start=2025-10-01&end=2026-03-31&compare=true",
    "?period=custom&start=2026-08-16&end=2026-09-13",
    "?period=custom&start=2026-09-03&end=2026-09-13",
]


def _cpu_ms(function: Callable[[], Any], requests: int) -> float:
    spent = []
    for _ in range(requests):
        started = time.process_time()
        function()
        spent.append((time.process_time() - started) * 1000)
    return statistics.median(spent)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["time", "profile", "dump", "parts"])
    parser.add_argument("target", nargs="?", default="big", help="profile: a page (big, typical, big6m); dump: a dir")
    parser.add_argument("new", nargs="?", help="parts: the dump made after")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    if args.mode == "parts":
        raise SystemExit(_check_parts(Path(args.target), Path(args.new)))

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import transaction
    from django.test import Client

    from headwater.core.models import Account
    from headwater.stats.filters import DateRange, StatsFilters
    from headwater.stats.selectors import source_stats_and_trend

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

        def selector(slug: str, period: DateRange | None = None) -> Callable[[], None]:
            filters = StatsFilters(period=period, compare=period is not None)
            return lambda: source_stats_and_trend(account=accounts[slug], filters=filters, by="source") and None

        if args.mode == "time":
            import datetime as dt

            six_months = DateRange(dt.date(2026, 5, 1), dt.date(2026, 10, 31))
            cases = {f"page {name}": page(path) for name, path in PAGES.items()}
            cases |= {
                "selector big": selector("big"),
                "selector typical": selector("typical"),
                "selector big6m": selector("big", six_months),
            }
            for case in cases.values():  # warm: compiled queries, caches
                for _ in range(3):
                    case()
            print({name: round(_cpu_ms(case, args.requests), 2) for name, case in cases.items()})
        elif args.mode == "profile":
            get = page(PAGES[args.target])
            for _ in range(3):
                get()
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(20):
                get()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        else:
            _dump(Path(args.target), client, accounts, user)
        transaction.set_rollback(True)


def bench_user(accounts: Any) -> Any:
    """The benchmark's user (bench/run_stats.py makes it), an admin of `accounts`; made here (in the caller's
    transaction) when the data was loaded but `make bench` has not run on it yet."""
    from django.utils import timezone

    from headwater.users.models import Membership, Role, User

    user, _ = User.objects.get_or_create(email="bench@bench.test", defaults={"full_name": "Benchmark"})
    if not user.email_confirmed:  # an unconfirmed address is logged out on its next request
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    for account in accounts:
        Membership.unscoped.get_or_create(account=account, user=user, defaults={"role": Role.ADMIN})
    return user


# A part of the page that loads when opened: its <details>' htmx request.
_PART_HOOK = re.compile(rb'<details [^>]*hx-get="([^"]+)"')
# The block a part is, or was on the page: a statistics table in its scroll box (stats/tables.py), by its id.
_TABLE_BLOCK = re.compile(
    rb'<p class="stats-scroll-hint" id="(?P<id>[^"]+)-hint" hidden>.*?</table>\n</div>\n</div>', re.DOTALL
)


def _part_blocks(page: bytes) -> dict[bytes, bytes]:
    """The page's tables of the kinds that now load when opened (campaigns, the trend's figures), by table id."""
    blocks = {m.group("id"): m.group(0) for m in _TABLE_BLOCK.finditer(page)}
    return {key: block for key, block in blocks.items() if key.startswith((b"stats-campaigns-", b"stats-trend-"))}


def _check_parts(old: Path, new: Path) -> str | None:
    compared = 0
    problems: list[str] = []
    for old_page in sorted(old.glob("*-page")):
        before = _part_blocks(old_page.read_bytes())
        loaded: dict[bytes, bytes] = {}
        for part in sorted(new.glob(f"{old_page.name}-part-*")):
            body = part.read_bytes()
            status, _, html = body.partition(b"\n")
            if status != b"200":
                problems.append(f"{part.name}: {status.decode()}")
                continue
            loaded |= _part_blocks(html) or {part.name.encode(): html}
        for key in sorted(set(before) | set(loaded)):
            if key not in loaded:
                problems.append(f"{old_page.name}: {key.decode()} was on the page and loads from no part")
            elif key not in before:
                problems.append(f"{old_page.name}: {key.decode()} loads but was not on the page")
            elif loaded[key] != before[key]:
                problems.append(f"{old_page.name}: {key.decode()} differs")
            else:
                compared += 1
    print(f"{compared} parts equal to the old page's blocks")
    return "\n".join(problems) or None


def _dump(out: Path, client: Any, accounts: dict[str, Any], user: Any) -> None:
    from django.conf import settings

    from headwater.deals.models import Deal
    from headwater.sources.models import Source
    from headwater.users.token_services import api_token_create

    out.mkdir(parents=True, exist_ok=True)
    for slug, account in accounts.items():
        # The smallest ids: the same owner and channel on every run.
        deals = Deal.objects.for_account(account).exclude(owner=None)
        owner = deals.order_by("owner_id").values_list("owner_id", flat=True)[0]
        sources = Source.objects.for_account(account).exclude(channel=None)
        channel = sources.order_by("channel_id").values_list("channel_id", flat=True)
        queries = [
            *QUERIES,
            f"?period=custom&start=2026-05-01&end=2026-10-31&compare=true&channel={channel[0]}",
            f"?owner_id={owner}",
            f"?period=custom&start=2025-11-01&end=2026-10-31&owner_id={owner}",
            f"?period=custom&start=2026-07-17&end=2026-10-14&owner_id={owner}&compare=true",
        ]
        _, token = api_token_create(account=account, user=user, name="stats_cpu")
        for index, query in enumerate(queries):
            for kind, path in (
                ("page", f"/a/{slug}/stats/sources/{query}"),
                ("csv", f"/a/{slug}/stats/sources/export.csv{query}"),
                ("xlsx", f"/a/{slug}/stats/sources/export.xlsx{query}"),
            ):
                body = _body(client.get(path), kind)
                (out / f"{slug}-{index}-{kind}").write_bytes(body)
                if kind == "page":
                    for number, hook in enumerate(_PART_HOOK.findall(body)):
                        part = client.get(html.unescape(hook.decode()), HTTP_HX_REQUEST="true")
                        (out / f"{slug}-{index}-page-part-{number:02d}").write_bytes(_body(part, "part"))
                    # The same page in Polish (the language switcher's cookie): other separators, words, plurals.
                    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
                    (out / f"{slug}-{index}-page-pl").write_bytes(_body(client.get(path), kind))
                    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
            for endpoint in ("sources", "trend"):
                response = client.get(f"/api/v1/stats/{endpoint}{query}", HTTP_AUTHORIZATION=f"Bearer {token}")
                (out / f"{slug}-{index}-api-{endpoint}").write_bytes(_body(response, "api"))


def _body(response: Any, kind: str) -> bytes:
    body: bytes = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "page":  # per-request values
        body = re.sub(rb'nonce="[^"]*"', b'nonce=""', body)
        body = re.sub(rb'"X-CSRFToken": "[^"]*"', b"", body)
        body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)
    if kind == "xlsx" and body[:2] == b"PK":  # the sheets, without the zip's timestamps
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            body = b"".join(book.read(name) for name in sorted(book.namelist()) if "sheet" in name or "Strings" in name)
    return str(response.status_code).encode() + b"\n" + body


if __name__ == "__main__":
    main()
