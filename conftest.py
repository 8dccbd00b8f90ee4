"""Fixtures everyone needs: two accounts (isolation is always tested against a second tenant), users per role."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseOperations
from django.test import Client
from django.utils import translation

from headwater.capture import tally_sql as touch_tally_sql
from headwater.core.models import Account
from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import AccountFactory, MembershipFactory, UserFactory
from headwater.users.models import Role, User

# pytest-django's live_server runs in a thread while Playwright's sync API holds an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOT_DIR = Path(__file__).resolve().parent / "var" / "screenshots"
CHROMIUM = os.environ.get("HEADWATER_CHROMIUM", "/usr/bin/chromium")


TALLY_TABLES = (
    tally_sql.TABLE,
    close_tally_sql.TABLE,
    campaign_tally_sql.TABLE,
    cohort_sql.TABLE,
    touch_tally_sql.TABLE,
)
_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True, scope="session")
def _flush_the_tallies_last() -> Any:
    """A transactional test ends with a flush, which on SQLite is one DELETE per table in the order of a Python set
    (it changes with the hash seed). The tally triggers fire on those DELETEs: when a tally table came before the
    records' tables, deleting the records wrote negative tallies for accounts that no longer exist, and a later
    test's `stats_tallies --check` (every account) failed now and then. Tally tables are emptied last here;
    PostgreSQL truncates, which fires no row trigger."""
    original = DatabaseOperations.sql_flush

    # The records' tables first, then the per-contact deal counts (their triggers feed the source tallies), then
    # the tallies.
    rank = {funnel_sql.TABLE: 1, **dict.fromkeys(TALLY_TABLES, 2)}

    def tallies_last(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        return original(self, style, sorted(tables, key=lambda table: rank.get(table, 0)), **kwargs)

    DatabaseOperations.sql_flush = tallies_last  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After every test that used the database, while its data is still there: the statistics tallies the triggers
    kept must equal tallies computed afresh from the records, whatever the test wrote and however it wrote it.

    A test inside one transaction (never committed) on PostgreSQL has the funnel's changes applied after each
    statement instead of at commit (stats/funnel_sql.py), so it reads what a later request would read; the race
    tests, which commit, go through the commit itself."""
    fixtures = set(getattr(item, "fixturenames", ()))
    uses_db = bool(fixtures & _DB_FIXTURES or item.get_closest_marker("django_db"))
    if uses_db and connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {funnel_sql.RECONCILE} IMMEDIATE")
    result = yield
    # A test that ended inside a failed transaction (it provoked an IntegrityError on purpose) cannot query.
    if uses_db and not connection.needs_rollback:
        accounts = Account.objects.values_list("pk", flat=True)
        drift = tally_drift(account_ids=list(accounts))
        assert not drift, f"statistics tallies differ from the records (key: (stored, fresh)): {drift}"
        # A migration test may have taken the database back before the touch tallies existed.
        if touch_tally_sql.TABLE in connection.introspection.table_names():
            touch_drift = touch_tally_sql.tally_drift(connection, account_ids=list(accounts))
            assert not touch_drift, f"touch tallies differ from the touches (key: (stored, fresh)): {touch_drift}"
    return result


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Any:
    """The language middleware activates the reader's language for the thread and leaves it there (a streamed export
    is still rendered in it after the middleware returns), so a Polish request in one test would leave the next
    test's strings in Polish."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Tenant:
    account: Account
    admin: User
    member: User
    viewer: User

    def client_for(self, role: str) -> Client:
        client = Client()
        client.force_login(getattr(self, role))
        return client

    def url(self, path: str) -> str:
        return f"/a/{self.account.slug}/{path.lstrip('/')}"


def _tenant(slug: str, language: str = "en") -> Tenant:
    account = AccountFactory(slug=slug, name=slug.title(), language=language)
    users = {}
    for role in (Role.ADMIN, Role.MEMBER, Role.VIEWER):
        user = UserFactory(email=f"{role}@{slug}.test", full_name=f"{role.title()} of {slug.title()}")
        MembershipFactory(account=account, user=user, role=role)
        users[str(role)] = user
    return Tenant(account=account, **users)


@pytest.fixture
def tenant(db: Any) -> Tenant:
    return _tenant("alpha")


@pytest.fixture
def other_tenant(db: Any) -> Tenant:
    return _tenant("bravo")


@pytest.fixture
def account(tenant: Tenant) -> Account:
    return tenant.account


@pytest.fixture
def admin_client(tenant: Tenant) -> Client:
    return tenant.client_for("admin")


@pytest.fixture
def member_client(tenant: Tenant) -> Client:
    return tenant.client_for("member")


@pytest.fixture
def viewer_client(tenant: Tenant) -> Client:
    return tenant.client_for("viewer")


# --- Browser tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM}: run `make test` (it installs it with apt) or "
            "`apt-get install chromium`, or set HEADWATER_CHROMIUM to its path."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def screenshot(page: Any) -> Any:
    """Call screenshot("name") to save var/screenshots/name.png; look at them after a run."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        # caret="initial": hiding the caret injects an inline style, which our CSP blocks and logs as an error.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def browser_login(page: Any, live_server: Any) -> Any:
    """Log `user` in through the real login form and return the page."""

    def login(user: User, password: str = "correct horse battery") -> Any:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return login
