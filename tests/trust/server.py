"""A real server for the soak and crash tests: its own database (a migrated SQLite file, or a PostgreSQL database
created and dropped for the test), gunicorn on a free 127.0.0.1 port, and tasks run in child processes.

Run as `python -m tests.trust.server <task> <json args>` (with DATABASE_URL set) to run a task against that
database; the task prints its result as JSON on the last line.
"""

from __future__ import annotations

# The tasks import Django and the models inside their functions: this module is also the parent process, which
# imports it without configuring Django (only the child it starts calls django.setup()).
# ruff: noqa: PLC0415
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETTINGS = "config.settings.test"


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE=SETTINGS, PYTHONPATH=str(ROOT), **extra)
    return env


def postgres_admin_url() -> str | None:
    """The PostgreSQL server the suite runs on (DATABASE_URL), or None on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextlib.contextmanager
def server_database(tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for a server: a file on SQLite, a new database on PostgreSQL (dropped after)."""
    admin = postgres_admin_url()
    if admin is None:
        url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        name = None
    else:
        import psycopg

        name = f"hw_trust_server_{uuid.uuid4().hex[:10]}"
        base = admin.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    try:
        subprocess.run(  # noqa: S603 — our own interpreter and manage.py
            [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=_env(url),
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        if name is not None:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def task(url: str, name: str, **kwargs: Any) -> Any:
    """Run one of the tasks below in a child process against the database at `url`."""
    done = subprocess.run(  # noqa: S603 — our own interpreter and module
        [str(BIN / "python"), "-m", "tests.trust.server", name, json.dumps(kwargs)],
        cwd=ROOT,
        env=_env(url),
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"task {name} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """gunicorn serving the project on 127.0.0.1 in its own process group (so kill -9 takes every worker)."""

    def __init__(self, url: str, *, log_dir: Path, workers: int = 2, threads: int = 4, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"gunicorn-{self.port}.log"
        command = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
        ]
        self._log = self.log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 — our own command line
            command, cwd=ROOT, env=_env(url, **env), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response,  # noqa: S310 — loopback
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer:\n{self.log.read_text()}")

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
                return
        self._log.close()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def request(method: str, url: str, token: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    """One API call: (status, parsed JSON or None). Network errors raise."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method.upper())  # noqa: S310 — loopback only
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 — loopback only
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode("utf-8", "replace")


# --- Tasks (run in a child process with DATABASE_URL pointing at the server's database) -------------------


def _setup() -> None:
    import django

    django.setup()


def _confirmed_user(email: str) -> Any:
    """A user as the sign-up link leaves them (seeding only: the link itself is tested in headwater/users)."""
    from django.utils import timezone

    from headwater.users.models import User

    return User.objects.create_user(
        email=email,
        password="seed password 2026",
        full_name=email.split("@", maxsplit=1)[0],
        email_confirmed_at=timezone.now(),
    )


def _admin_with_account(slug: str) -> tuple[Any, Any]:
    from headwater.users.services import account_create

    admin = _confirmed_user(f"{slug}-admin@example.test")
    return admin, account_create(name=slug.title(), slug=slug, currency="PLN", language="en", owner=admin)


def task_seed(*, writers: int, admins: int, sources: int) -> dict[str, Any]:
    """One account with sources on, `sources` sources, a member token per writer and an admin token per admin."""
    from headwater.sources.services import source_create, source_settings_update
    from headwater.users.models import Membership, Role
    from headwater.users.token_services import api_token_create

    admin, account = _admin_with_account("soak")
    source_settings_update(account=account, user=admin, enabled=True, default_from_contact=False)
    created = [source_create(account=account, user=admin, name=f"Soak source {i}").pk for i in range(sources)]
    tokens = []
    for i in range(writers):
        writer = _confirmed_user(f"w{i}@example.test")
        Membership.unscoped.create(account=account, user=writer, role=Role.MEMBER)
        tokens.append(api_token_create(account=account, user=writer, name=f"writer {i}")[1])
    admin_tokens = [api_token_create(account=account, user=admin, name=f"admin {i}")[1] for i in range(admins)]
    return {"account_id": account.pk, "sources": created, "tokens": tokens, "admin_tokens": admin_tokens}


def task_state() -> dict[str, Any]:
    """Every record's (version, name, source) and the sources, for the checks after a soak."""
    from headwater.companies.models import Company
    from headwater.deals.models import Deal
    from headwater.sources.models import Source

    return {
        "companies": {str(r[0]): r[1:] for r in Company.unscoped.values_list("id", "version", "name", "source_id")},
        "deals": {str(r[0]): r[1:] for r in Deal.unscoped.values_list("id", "version", "name", "source_id")},
        "sources": sorted(Source.unscoped.values_list("id", flat=True)),
    }


RECORD_TABLES = ("companies_company", "persons_person", "deals_deal")


def task_integrity() -> list[str]:
    """Problems found by the database's own checks and by foreign-key validity queries (empty when clean)."""
    from django.db import connection

    problems: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            result = [r[0] for r in cursor.fetchall()]
            if result != ["ok"]:
                problems += result
            cursor.execute("PRAGMA foreign_key_check")
            problems += [f"foreign key: {row}" for row in cursor.fetchall()]
        checks = {
            "record with a missing source": [
                (
                    f"SELECT COUNT(*) FROM {t} r LEFT JOIN sources_source s ON s.id = r.source_id "  # noqa: S608 — table names from a fixed list
                    "WHERE r.source_id IS NOT NULL AND s.id IS NULL"
                )
                for t in RECORD_TABLES
            ],
            "record whose source is another account's": [
                (
                    f"SELECT COUNT(*) FROM {t} r JOIN sources_source s ON s.id = r.source_id "  # noqa: S608 — table names from a fixed list
                    "WHERE s.account_id <> r.account_id"
                )
                for t in RECORD_TABLES
            ],
            "deal with a missing company or person": [
                (
                    "SELECT COUNT(*) FROM deals_deal d LEFT JOIN companies_company c ON c.id = d.company_id "
                    "WHERE d.company_id IS NOT NULL AND c.id IS NULL"
                ),
                (
                    "SELECT COUNT(*) FROM deals_deal d LEFT JOIN persons_person p ON p.id = d.person_id "
                    "WHERE d.person_id IS NOT NULL AND p.id IS NULL"
                ),
            ],
            "two sources with one name": [
                (
                    "SELECT COUNT(*) FROM (SELECT account_id, name_key FROM sources_source "
                    "GROUP BY account_id, name_key HAVING COUNT(*) > 1) dup"
                )
            ],
        }
        for label, queries in checks.items():
            for sql in queries:
                cursor.execute(sql)
                (found,) = cursor.fetchone()
                if found:
                    problems.append(f"{label}: {found} ({sql})")
    return problems


def task_seed_merge(*, records: int) -> dict[str, Any]:
    """An account with sources A and B, `records` companies/persons/deals (a third each) on A, bulk inserted."""
    from headwater.companies.models import Company
    from headwater.deals.models import Deal
    from headwater.persons.models import Person
    from headwater.sources.services import source_create, source_settings_update
    from headwater.users.token_services import api_token_create

    admin, account = _admin_with_account("merge")
    source_settings_update(account=account, user=admin, enabled=True, default_from_contact=False)
    a = source_create(account=account, user=admin, name="Merge A")
    b = source_create(account=account, user=admin, name="Merge B")
    third = records // 3
    Company.unscoped.bulk_create(
        [Company(account=account, name=f"Co {i}", source=a) for i in range(third)], batch_size=2000
    )
    Person.unscoped.bulk_create(
        [Person(account=account, last_name=f"P {i}", source=a) for i in range(third)], batch_size=2000
    )
    Deal.unscoped.bulk_create(
        [Deal(account=account, name=f"D {i}", currency="PLN", source=a) for i in range(records - 2 * third)],
        batch_size=2000,
    )
    token = api_token_create(account=account, user=admin, name="merge")[1]
    return {"a": a.pk, "b": b.pk, "token": token, "records": records}


def task_merge_state(*, a: int, b: int) -> dict[str, Any]:
    from headwater.companies.models import Company
    from headwater.deals.models import Deal
    from headwater.persons.models import Person
    from headwater.sources.models import HowChanged, Source, SourceChange

    on = {"a": 0, "b": 0, "none": 0}
    for model in (Company, Person, Deal):
        on["a"] += model.unscoped.filter(source_id=a).count()
        on["b"] += model.unscoped.filter(source_id=b).count()
        on["none"] += model.unscoped.filter(source__isnull=True).count()
    return {
        "a_exists": Source.unscoped.filter(pk=a).exists(),
        "on": on,
        "merge_history": SourceChange.unscoped.filter(how=HowChanged.MERGE).count(),
    }


def task_merge_reset(*, a: int, b: int) -> dict[str, Any]:
    """After a merge went through: bring A back with the same id and move its records back, for the next round."""
    from django.db import transaction

    from headwater.companies.models import Company
    from headwater.core.text import name_key, name_look_key
    from headwater.deals.models import Deal
    from headwater.persons.models import Person
    from headwater.sources.models import HowChanged, Source, SourceChange, SourceEvent

    with transaction.atomic():
        target = Source.unscoped.get(pk=b)
        if not Source.unscoped.filter(pk=a).exists():
            Source.unscoped.create(
                pk=a,
                account_id=target.account_id,
                name="Merge A",
                name_key=name_key("Merge A"),
                look_key=name_look_key("Merge A"),
                position=target.position + 1,
            )
        for model in (Company, Person, Deal):
            model.unscoped.filter(source_id=b).update(source_id=a)
        SourceChange.unscoped.filter(how=HowChanged.MERGE).delete()
        SourceEvent.unscoped.filter(action="merged").delete()
        version = Source.unscoped.get(pk=a).version
    return {"version": version}


def task_quiesce(*, timeout: float = 60) -> int:
    """On PostgreSQL, wait until no other session uses the database (a killed client's backend rolls back first)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (others,) = cursor.fetchone()
            if not others or time.monotonic() > deadline:
                return int(others)
            time.sleep(0.1)


def task_merge_check(*, a: int, b: int) -> dict[str, Any]:
    """After a kill: wait for the database to be ours alone, then the merge state and the integrity checks."""
    return {
        "others": task_quiesce(),
        "state": task_merge_state(a=a, b=b),
        "integrity": task_integrity(),
    }


TASKS: dict[str, Callable[..., Any]] = {
    "merge_check": task_merge_check,
    "quiesce": task_quiesce,
    "seed": task_seed,
    "state": task_state,
    "integrity": task_integrity,
    "seed_merge": task_seed_merge,
    "merge_state": task_merge_state,
    "merge_reset": task_merge_reset,
}

if __name__ == "__main__":
    _setup()
    result = TASKS[sys.argv[1]](**json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"))
    sys.stdout.write(json.dumps(result, default=str) + "\n")
