"""What a request costs around the statistics: the Statistics page and /api/v1/stats/sources on a typical account.

    python -m bench.request_cost [--sqlite] [--reuse] [--requests 300] [--no-http] [--profile]

Builds (or with --reuse keeps) a database of its own holding the statistics benchmark's typical account (25,000
deals, 9 sources; bench/dataset.py) and a small second account of the same admin, so that the header shows the
account switcher. Then, with DEBUG off (bench.settings):

1. queries: every SQL statement of one page and one endpoint request (Django's test client, warm session);
2. in-process: median milliseconds per request through the test client, wall clock and this process's CPU time
   (the CPU time hardly moves when other processes load the machine; the database's time is not in it);
3. HTTP: median milliseconds per request from one gunicorn worker on 127.0.0.1 (persistent database connection),
   as the client sees them.

Steps 2 and 3 run each request twice: with the real selector, and with the selector's result memoised ("fixed"):
what the request costs apart from computing the statistics (session, user, membership and account, middleware,
CSP, the filter form, template or JSON rendering). `--profile` prints the hottest functions of the fixed page.

The same request, measured with and without hand-written parts, removed `core/sessions.py`,
`stats/filter_html.py` and the template-free widgets of `core/widgets.py`: each saved under 1 ms of the page's CPU
(docs/performance.md; the switches were `--django` in the commit that measured them).
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run_stats import recreate_database

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/bench_request_cost"
PAGE = "/a/typical/stats/sources/"
ENDPOINT = "/api/v1/stats/sources"
WARMUP = 30


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help=f"measured requests per kind (after {WARMUP})")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite (var/bench-request-cost.sqlite3)")
    parser.add_argument("--database-url", default=None, help=f"default: {PG_DEFAULT}")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded data when it is there")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurement")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the fixed page")
    parser.add_argument("--port", type=int, default=8766)
    return parser.parse_args(argv)


def memoise_selector() -> None:
    """Replace the views' selector with one that computes each (account, filters) once per process."""
    from headwater.core.models import Account
    from headwater.stats import api, views
    from headwater.stats.campaign_stats import EVERY_CAMPAIGN
    from headwater.stats.selectors import source_stats

    @functools.cache
    def computed(account_id: int, filters: Any, campaigns: Any) -> Any:
        return source_stats(account=Account.objects.get(pk=account_id), filters=filters, campaigns=campaigns)

    def memoised(*, account: Any, filters: Any, campaigns: Any = EVERY_CAMPAIGN) -> Any:
        return computed(account.pk, filters, campaigns)

    views.source_stats = memoised
    api.source_stats = memoised


def memoised_application() -> Callable[..., Any]:
    """gunicorn's app factory for the "fixed" server: `bench.request_cost:memoised_application()`."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    memoise_selector()
    return application


def load(url: str, reuse: bool) -> None:
    from django.core.management import call_command

    from headwater.core.models import Account

    call_command("migrate", interactive=False, verbosity=0)
    if reuse and Account.objects.filter(slug="typical").exists():
        return
    from bench import dataset

    plans = [
        dataset.AccountPlan("typical", 25_000, 7_500, 1_500, dataset.SMALL_SOURCES, None, 3, "typical"),
        dataset.AccountPlan("second", 500, 150, 30, dataset.SMALL_SOURCES, None, 3, "small"),
    ]
    data = dataset.create_small_tables(plans, 1.0)
    if url.startswith("sqlite"):
        dataset.load_django(plans, data)
    else:
        dataset.load_postgres(url, plans, data)


def bench_user() -> tuple[Any, str]:
    """The admin of both accounts, and a fresh API token in the typical one."""
    from django.utils import timezone

    from headwater.core.models import Account
    from headwater.users.models import ApiToken, Membership, Role, User
    from headwater.users.token_services import api_token_create

    user, _ = User.objects.get_or_create(email="bench@bench.test", defaults={"full_name": "Benchmark"})
    if not user.email_confirmed:  # an unconfirmed address is logged out on its next request
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    for account in Account.objects.filter(slug__in=("typical", "second")):
        Membership.unscoped.get_or_create(account=account, user=user, defaults={"role": Role.ADMIN})
    ApiToken.unscoped.filter(membership__user=user).delete()
    _, token = api_token_create(account=Account.objects.get(slug="typical"), user=user, name="request cost")
    return user, token


def http_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, response.status


def start_server(port: int, app: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", app, "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env)  # noqa: S603 — fixed command
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http_get(port, "/healthz", {})[1] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def http_medians(args: argparse.Namespace, url: str, session: str, token: str) -> dict[str, float]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": url}
    paths = {"page": PAGE, "endpoint": ENDPOINT}
    headers = {"page": {"Cookie": f"sessionid={session}"}, "endpoint": {"Authorization": f"Bearer {token}"}}
    medians = {}
    apps = {"selector": "config.wsgi:application", "fixed": "bench.request_cost:memoised_application()"}
    for label, app in apps.items():
        server = start_server(args.port, app, env)
        try:
            samples: dict[str, list[float]] = {name: [] for name in paths}
            for i in range(WARMUP + args.requests):
                for name, path in paths.items():
                    elapsed, status = http_get(args.port, path, headers[name])
                    if status != 200:
                        raise SystemExit(f"{name} answered {status}")
                    if i >= WARMUP:
                        samples[name].append(elapsed)
            for name, values in samples.items():
                medians[f"{name} ({label})"] = median(values)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return medians


def median(samples: list[float]) -> float:
    return round(statistics.median(samples), 2)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 — one linear script
    args = parse_args(argv)
    url = args.database_url or (
        f"sqlite:///{ROOT / 'var' / 'bench-request-cost.sqlite3'}" if args.sqlite else PG_DEFAULT
    )
    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    if not args.reuse:
        recreate_database(url)

    import django

    django.setup()
    load(url, args.reuse)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user, token = bench_user()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.cookies["sessionid"].value
    requests: dict[str, Callable[[], Any]] = {
        "page": lambda: client.get(PAGE),
        "endpoint": lambda: client.get(ENDPOINT, HTTP_AUTHORIZATION=f"Bearer {token}"),
    }

    report: dict[str, Any] = {"database": connection.vendor, "queries": {}, "in_process": {}, "http_ms": {}}
    for name, request in requests.items():
        if request().status_code != 200:
            raise SystemExit(f"{name} does not answer 200")
        with CaptureQueriesContext(connection) as captured:
            request()
        report["queries"][name] = [q["sql"] for q in captured.captured_queries]

    def in_process(label: str) -> None:
        wall: dict[str, list[float]] = {name: [] for name in requests}
        cpu: dict[str, list[float]] = {name: [] for name in requests}
        for i in range(WARMUP + args.requests):
            for name, request in requests.items():
                started, cpu_started = time.perf_counter(), time.thread_time()
                request()
                if i >= WARMUP:
                    cpu[name].append((time.thread_time() - cpu_started) * 1000)
                    wall[name].append((time.perf_counter() - started) * 1000)
        for name in requests:
            report["in_process"][f"{name} ({label})"] = {"wall_ms": median(wall[name]), "cpu_ms": median(cpu[name])}

    in_process("selector")
    memoise_selector()
    in_process("fixed")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(200):
            requests["page"]()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)

    if not args.no_http:
        report["http_ms"] = http_medians(args, url, session, token)

    for name, queries in report["queries"].items():
        print(f"{name}: {len(queries)} queries")
        for sql in queries:
            print(f"  {sql[:110]}")
    print(f"\n{'request':22} {'in-process ms':>14} {'CPU ms':>8} {'HTTP ms':>8}")
    for name, figures in report["in_process"].items():
        http_ms = report["http_ms"].get(name)
        print(f"{name:22} {figures['wall_ms']:14.2f} {figures['cpu_ms']:8.2f} {http_ms or float('nan'):8.2f}")
    print(json.dumps({k: v for k, v in report.items() if k != "queries"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
