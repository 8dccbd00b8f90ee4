"""Serve the production settings for real and fetch every kind of page: what `make check-deploy` cannot see.

Builds the static files with production's manifest storage into a temporary folder, migrates a throwaway database
(SQLite, or with --postgres a fresh PostgreSQL database that is dropped afterwards), loads the demo data, starts
gunicorn with `config.settings.production` on a free 127.0.0.1 port, logs in as the demo admin and crawls every
page it can reach from the dashboard (one URL of each kind: ids and query values do not make a new kind), then
checks named pages that must have been reached, the error pages (404, 403 as a viewer) and Polish. Every static
file a page names is fetched too. Last, a background job: a new time zone queues the statistics' recomputation, a
production worker (`db_worker --batch`) runs it, and the tallies are exact.

Fails (exit status 1) on any answer >= 500, a link from a page that answers 4xx, a missing or unhashed static file,
or an error page without the site's layout. Requests carry `X-Forwarded-Proto: https`, as behind the TLS proxy
production expects (secure cookies, no redirect to https).

    make check-production      (or: scripts/uv run --locked python scripts/check_production.py [--verbose]
                                [--postgres postgres://user@host:5432/any_database])
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — the demo's published password (README)
MAX_PAGES = 400
# A list or statistics page is fetched with at most this many different sets of query parameters (filters, sorts,
# the next page): enough to read a cursor and a filter, without walking every combination.
VARIANTS_PER_PAGE = 4

# Page kinds the crawl must have reached (as `kind()` spells them): the brief of every deployment check.
REQUIRED_KINDS = [
    "/",
    "/a/S/",
    "/a/S/companies/",
    "/a/S/companies/N/",
    "/a/S/companies/N/edit/",
    "/a/S/companies/N/delete/",
    "/a/S/companies/new/",
    "/a/S/persons/",
    "/a/S/persons/N/",
    "/a/S/persons/N/edit/",
    "/a/S/persons/new/",
    "/a/S/deals/",
    "/a/S/deals/N/",
    "/a/S/deals/N/edit/",
    "/a/S/deals/new/",
    "/a/S/settings/",
    "/a/S/settings/sources/",
    "/a/S/settings/sources/history/",
    "/a/S/settings/rates/",
    "/a/S/settings/members/",
    "/a/S/stats/sources/",
    "/a/S/stats/sources/export.csv",
    "/a/S/settings/sources/N/rename/",
    "/a/S/settings/sources/N/merge/",
    "/a/S/settings/sources/N/delete/",
    "/a/S/settings/members/N/remove/",
    "/accounts/new/",
    "/me/",
    "/me/api-tokens/",
]
# Not linked from the pages a crawler reads (the API's own pages, a list's next page), fetched by name.
EXTRA_PAGES = [
    "/api/v1/docs",
    "/api/v1/openapi.json",
    "/a/demo/settings/sources/history/",
    "/a/demo/stats/sources/?period=this_year&compare=on",
]
# Never followed: they log out, or are the API (its answers are JSON, checked by the suite).
SKIP = re.compile(r"^/(logout/|i18n/|api/v1/(?!docs$|openapi\.json$))")
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def is_html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")


@dataclass
class Browser:
    """A cookie-keeping HTTP client for one user, behind a pretend TLS proxy (X-Forwarded-Proto: https)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "Accept": "text/html,*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
            for value in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        finally:
            connection.close()
        self.requests += 1
        return answer

    def get(self, path: str) -> Answer:
        return self.send("GET", path)

    def login(self, email: str) -> None:
        page = self.get("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status != 200 or token is None:
            raise CheckFailed(f"/login/ answered {page.status} without a CSRF token")
        done = self.send(
            "POST", "/login/", {"csrfmiddlewaretoken": token.group(1), "username": email, "password": DEMO_PASSWORD}
        )
        if done.status != 302:
            raise CheckFailed(f"logging in as {email} answered {done.status}, not a redirect")


class CheckFailed(Exception):
    pass


class _Refs(HTMLParser):
    """The links (a href) and the static files (link href, script src, img src) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        elif tag in ("link", "script", "img"):
            ref = values.get("href") if tag == "link" else values.get("src")
            if ref:
                self.assets.append(ref)


def shape(path: str) -> str:
    """The page a URL shows: ids become N, the account's slug S, the query string is left out."""
    found = re.sub(r"/\d+(?=/|$)", "/N", urlsplit(path).path)
    found = re.sub(r"^/a/[^/]+/", "/a/S/", found)
    return re.sub(r"/invitation/[^/]+/", "/invitation/T/", found)


def kind(path: str) -> str:
    """One URL per kind: its shape and the names (not values) of its query parameters."""
    keys = sorted({pair.split("=", 1)[0] for pair in urlsplit(path).query.split("&") if pair})
    return shape(path) + ("?" + "&".join(keys) if keys else "")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)
    assets: dict[str, int] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.problems.append(message)


def check_assets(browser: Browser, page: str, answer: Answer, report: Report) -> list[str]:
    refs = _Refs()
    refs.feed(answer.text)
    for ref in refs.assets:
        path = urlsplit(urljoin(page, ref)).path
        if not path.startswith("/static/"):
            continue
        if not HASHED.search(path):
            report.fail(f"{page} names the static file {path} without the manifest's hash")
        if path not in report.assets:
            report.assets[path] = browser.get(path).status
            if report.assets[path] != 200:
                report.fail(f"{page} names {path}, which answers {report.assets[path]}")
    return refs.links


def _local(browser: Browser, base: str, href: str) -> str | None:
    """`href` (relative to `base`) as a path and query on our server, or None when it points elsewhere."""
    target = urlsplit(urljoin(base, href))
    if target.scheme not in ("", "https") or target.netloc not in ("", f"127.0.0.1:{browser.port}"):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def crawl(browser: Browser, report: Report) -> None:
    queue = deque(["/", *EXTRA_PAGES])
    seen: set[str] = set()
    variants: Counter[str] = Counter()
    while queue and len(report.pages) < MAX_PAGES:
        path = queue.popleft()
        if kind(path) in seen or SKIP.search(path) or variants[shape(path)] >= VARIANTS_PER_PAGE:
            continue
        seen.add(kind(path))
        variants[shape(path)] += 1
        answer = browser.get(path)
        report.pages[path] = answer.status
        if answer.status >= 400:
            report.fail(f"{path} (linked from a page) answered {answer.status}")
        if answer.status in (301, 302, 303):
            target = _local(browser, path, answer.headers.get("location", ""))
            if target is None:
                report.fail(f"{path} redirects away, to {answer.headers.get('location')}")
            else:
                queue.append(target)
        if not answer.is_html:
            continue
        for link in check_assets(browser, path, answer, report):
            target = _local(browser, path, link)
            # A list's next page (a signed cursor) first, before its filter and sort variants use up the budget.
            if target is not None and "cursor=" in target:
                queue.appendleft(target)
            elif target is not None:
                queue.append(target)
    reached = {shape(p) for p in report.pages}
    for required in REQUIRED_KINDS:
        if required not in reached:
            report.fail(f"the crawl never reached a page like {required}")


def check_error_pages(port: int, admin: Browser, report: Report) -> None:
    english = Browser(port, cookies={**admin.cookies, "django_language": "en"})
    polish = Browser(port, cookies={**admin.cookies, "django_language": "pl"})
    viewer = Browser(port, cookies={"django_language": "en"})
    viewer.login("viewer@demo.test")
    expectations = [
        (english, "/a/demo/", 200, "Dashboard"),
        (english, "/a/demo/companies/987654321/", 404, "Page not found"),
        (viewer, "/a/demo/settings/", 403, "Not allowed"),
        (polish, "/a/demo/", 200, "Pulpit"),
        (polish, "/a/demo/companies/987654321/", 404, "Nie znaleziono strony"),
        (polish, "/a/demo/no-such-page/", 404, "Nie znaleziono strony"),
        (Browser(port, cookies={"django_language": "en"}), "/no-such-page/", 404, "Page not found"),
    ]
    for browser, path, status, text in expectations:
        answer = browser.get(path)
        report.pages[f"{path} ({status} expected)"] = answer.status
        if answer.status != status:
            report.fail(f"{path} answered {answer.status}, expected {status}")
        if text not in answer.text or 'class="topbar"' not in answer.text:
            report.fail(f"{path} ({answer.status}) lacks the site's layout or {text!r}")
        check_assets(browser, path, answer, report)
    admin.requests += english.requests + polish.requests + viewer.requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def throwaway_database(workdir: Path, postgres: str | None) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{workdir / 'production-check.sqlite3'}"
        return
    import psycopg  # noqa: PLC0415 — only with --postgres

    base = postgres.rsplit("/", 1)[0]
    name = f"hw_production_check_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, static_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CheckFailed(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 — our own command line
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(process, port, log)
            yield port
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CheckFailed(f"gunicorn exited:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if Browser(port).get("/healthz").status == 200:
                return
        time.sleep(0.1)
    raise CheckFailed(f"gunicorn did not answer on port {port}:\n{log.read_text()}")


def check_background_job(env: dict[str, str], admin: Browser, report: Report) -> None:
    """The time-zone change queues a job in the database; Statistics waits for it; a production worker
    (`db_worker --batch`) runs it; Statistics shows the figures again and the tallies are exact."""
    page = admin.get("/a/demo/settings/")
    fields = dict(re.findall(r'<input[^>]*name="(name|version)"[^>]*value="([^"]*)"', page.text))
    selected = dict(
        re.findall(r'<select name="(currency|language)".*?<option value="([^"]+)"[^>]*selected', page.text, re.S)
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status != 200 or token is None or set(fields) != {"name", "version"} or len(selected) != 2:
        report.fail(f"the account settings page ({page.status}) did not show its form as expected")
        return
    form = {"csrfmiddlewaretoken": token.group(1), **fields, **selected, "time_zone": "America/New_York"}
    saved = admin.send("POST", "/a/demo/settings/", form)
    if saved.status != 302:
        report.fail(f"saving a new time zone answered {saved.status}, not a redirect")
        return
    waiting = admin.get("/a/demo/stats/sources/")
    if waiting.status != 200 or "/progress/?then=reload" not in waiting.text:
        report.fail(f"Statistics ({waiting.status}) did not show the recomputation's progress while it was queued")
    manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "-v0")
    manage(env, "stats_tallies", "--check")
    after = admin.get("/a/demo/stats/sources/")
    if after.status != 200 or "/progress/" in after.text or "stats-highlights" not in after.text:
        report.fail(f"Statistics ({after.status}) did not show the figures after the worker ran the job")


def run(postgres: str | None) -> Report:
    report = Report()
    with tempfile.TemporaryDirectory(prefix="headwater-production-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(workdir, postgres) as database_url:
            env = production_env(database_url, workdir / "static")
            started = time.monotonic()
            manage(env, "collectstatic", "--noinput", "-v0")
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "demo_data")
            prepared = time.monotonic() - started
            log = workdir / "gunicorn.log"
            try:
                with gunicorn(env, log) as port:
                    admin = Browser(port)
                    admin.login("admin@demo.test")
                    crawl(admin, report)
                    check_error_pages(port, admin, report)
                    check_background_job(env, admin, report)
            finally:
                server_log = log.read_text() if log.exists() else ""
            tracebacks = server_log.count("Traceback")
            if tracebacks:
                report.fail(f"gunicorn's log holds {tracebacks} tracebacks:\n{server_log}")
            print(
                f"production check: static files, migrations and demo data in {prepared:.1f} s; "
                f"{len(report.pages)} pages of {len({kind(p) for p in report.pages})} kinds and "
                f"{len(report.assets)} static files fetched ({admin.requests} requests); "
                f"{tracebacks} tracebacks in gunicorn's log"
            )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL; a throwaway database is made on its server")
    parser.add_argument("--verbose", action="store_true", help="list every page fetched with its status")
    args = parser.parse_args()
    try:
        report = run(args.postgres)
    except CheckFailed as exc:
        print(f"production check failed: {exc}", file=sys.stderr)
        return 1
    if args.verbose:
        for page, status in sorted(report.pages.items()):
            print(f"{status} {page}")
    for problem in report.problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
