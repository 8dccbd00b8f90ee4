"""Soak: 8 writers against gunicorn on 127.0.0.1 through the REST API (creates, edits with versions, source changes,
source creates and merges). Every acknowledged write is logged by the client; afterwards every one of them is in the
database (or superseded by a later acknowledged write), integrity checks are clean, and the only errors were
conflicts (409, or a source merged away under the writer: a clear 400/404 on that field) or throttling (429).

Also: SQLite with 4 concurrent writer processes: no "database is locked" ever reaches a user.

10 s in the normal suite, 60 s with HEADWATER_LONG=1. Runs on the suite's database engine: a migrated temp SQLite
file, or a PostgreSQL database created and dropped for the test.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.trust import figures
from tests.trust.server import Gunicorn, postgres_admin_url, request, server_database, task

pytestmark = pytest.mark.slow

SECONDS = 60 if os.environ.get("HEADWATER_LONG") else 10
WRITERS, ADMINS = 6, 2  # 8 writers: 6 members (records), 2 admins (sources and merges)


@dataclass
class Log:
    """What the writers were told, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acks: list[tuple[str, int, int, str, int | None]] = field(default_factory=list)  # kind, id, version, name, src
    latest: dict[tuple[str, int], int] = field(default_factory=dict)
    sources: set[int] = field(default_factory=set)
    merged: dict[int, int] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    creates: int = 0

    def ack(self, kind: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.acks.append((kind, body["id"], body["version"], body["name"], body.get("source_id")))
            key = (kind, body["id"])
            self.latest[key] = max(self.latest.get(key, 0), body["version"])

    def pick(self, kind: str, rng: random.Random) -> tuple[int, int] | None:
        with self.lock:
            keys = [k for k in self.latest if k[0] == kind]
            if not keys:
                return None
            key = rng.choice(keys)
            return key[1], self.latest[key]

    def source(self, rng: random.Random) -> int | None:
        with self.lock:
            alive = sorted(self.sources)
        return rng.choice(alive) if alive and rng.random() < 0.8 else None

    def refused(self, what: str, status: int, body: Any) -> None:
        fields = set(body["error"]["fields"]) if isinstance(body, dict) and "error" in body else set()
        with self.lock:
            if status in (409, 429):
                self.statuses[str(status)] += 1
            elif status in (400, 404) and fields <= {"source_id", "into_id"}:
                # The source was merged away between the writer's choice and its write: a clear error on the field.
                self.statuses[f"{status} source gone"] += 1
            else:
                self.unexpected.append(f"{what}: {status} {str(body)[:300]}")


def member_writer(base: str, token: str, log: Log, seed: int, deadline: float) -> None:
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        roll = rng.random()
        try:
            if roll < 0.3 or not log.pick("companies", rng):
                body = {"name": f"w{seed}-c{n}", "source_id": log.source(rng)}
                status, answer = request("post", f"{base}/api/v1/companies", token, body)
                kind, ok = "companies", status == 201
            elif roll < 0.5:
                company = log.pick("companies", rng)
                body = {"name": f"w{seed}-d{n}", "value": f"{rng.randint(0, 10**6)}.{rng.randint(0, 99):02d}"}
                body |= {"company_id": company[0] if company else None, "source_id": log.source(rng)}
                status, answer = request("post", f"{base}/api/v1/deals", token, body)
                kind, ok = "deals", status == 201
            else:
                kind = "companies" if roll < 0.8 else "deals"
                picked = log.pick(kind, rng)
                assert picked is not None or kind == "deals"
                if picked is None:
                    continue
                pk, version = picked
                change: dict[str, Any] = {"version": version}
                if kind == "companies":
                    change["name"] = f"w{seed}-e{n}"
                else:
                    change["source_id"] = log.source(rng)
                status, answer = request("patch", f"{base}/api/v1/{kind}/{pk}", token, change)
                ok = status == 200
        except OSError as error:
            with log.lock:
                log.unexpected.append(f"network: {error}")
            continue
        if ok:
            log.ack(kind, answer)
        else:
            log.refused(f"{kind} write", status, answer)


def admin_writer(base: str, token: str, log: Log, seed: int, deadline: float) -> None:
    rng = random.Random(seed)
    n = 0
    mine: list[int] = []
    while time.monotonic() < deadline:
        n += 1
        try:
            if len(mine) < 2 or rng.random() < 0.5:
                status, answer = request("post", f"{base}/api/v1/sources", token, {"name": f"a{seed}-s{n}"})
                if status == 201:
                    mine.append(answer["id"])
                    with log.lock:
                        log.sources.add(answer["id"])
                else:
                    log.refused("source create", status, answer)
            else:
                source = mine.pop(0)
                with log.lock:
                    log.sources.discard(source)  # writers stop choosing it; some may still hold it
                    targets = sorted(log.sources - set(mine))
                into = rng.choice(targets)
                status, answer = request("post", f"{base}/api/v1/sources/{source}/merge", token, {"into_id": into})
                if status == 200:
                    with log.lock:
                        log.merged[source] = into
                else:
                    log.refused("merge", status, answer)
                    with log.lock:
                        log.sources.add(source)
                    mine.append(source)
            time.sleep(0.2)
        except OSError as error:
            with log.lock:
                log.unexpected.append(f"network: {error}")


def resolve(source: int | None, merged: dict[int, int]) -> int | None:
    while source in merged:
        source = merged[source]
    return source


def test_soak_eight_writers_every_acknowledged_write_is_found(tmp_path):
    with server_database(tmp_path) as url:
        seeded = task(url, "seed", writers=WRITERS, admins=ADMINS, sources=4)
        log = Log()
        log.sources.update(seeded["sources"])
        with Gunicorn(url, log_dir=tmp_path, workers=2, threads=4) as server:
            deadline = time.monotonic() + SECONDS
            threads = [
                threading.Thread(target=member_writer, args=(server.base, t, log, i, deadline))
                for i, t in enumerate(seeded["tokens"])
            ] + [
                threading.Thread(target=admin_writer, args=(server.base, t, log, 100 + i, deadline))
                for i, t in enumerate(seeded["admin_tokens"])
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=SECONDS + 120)
            assert not any(t.is_alive() for t in threads)
        state = task(url, "state")
        problems = task(url, "integrity")

    assert log.unexpected == []
    assert problems == []
    found = 0
    by_record: dict[tuple[str, int], list[tuple[int, str, int | None]]] = defaultdict(list)
    for kind, pk, version, name, source in log.acks:
        by_record[(kind, pk)].append((version, name, source))
    for (kind, pk), acks in by_record.items():
        row = state[kind].get(str(pk))
        assert row is not None, f"acknowledged {kind} {pk} is missing"
        db_version, db_name, db_source = row
        for version, _, _ in acks:
            assert db_version >= version, f"{kind} {pk}: version {db_version} < acknowledged {version}"
            found += 1
        last_version, last_name, last_source = max(acks)
        if db_version == last_version:
            assert db_name == last_name, f"{kind} {pk}: {db_name!r} is not the acknowledged {last_name!r}"
            assert db_source == resolve(last_source, log.merged), f"{kind} {pk}: source {db_source}"
    assert not set(log.merged) & set(state["sources"]), "a merged source still exists"
    figures.count("soak_acknowledged", len(log.acks) + len(log.merged))
    figures.count("soak_found", found + len(log.merged))
    figures.count("soak_conflicts", sum(log.statuses.values()))
    figures.count("soak_errors_other", len(log.unexpected))
    assert len(log.acks) > 50 * SECONDS // 10, f"only {len(log.acks)} writes in {SECONDS} s"


@pytest.mark.skipif(postgres_admin_url() is not None, reason="the SQLite writer test runs in the SQLite suite")
def test_sqlite_four_writer_processes_never_show_database_is_locked(tmp_path):
    with server_database(tmp_path) as url:
        seeded = task(url, "seed", writers=4, admins=0, sources=1)
        # Four processes with one thread each: four connections contending for SQLite's single write lock.
        with Gunicorn(url, log_dir=tmp_path, workers=4, threads=1) as server:
            deadline = time.monotonic() + min(SECONDS, 30) // 2
            results: list[tuple[int, Any]] = []
            lock = threading.Lock()

            def write(token: str, index: int) -> None:
                n = 0
                while time.monotonic() < deadline:
                    n += 1
                    answer = request("post", f"{server.base}/api/v1/companies", token, {"name": f"p{index}-{n}"})
                    with lock:
                        results.append(answer)

            threads = [threading.Thread(target=write, args=(t, i)) for i, t in enumerate(seeded["tokens"])]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        state = task(url, "state")
    locked = [r for r in results if "locked" in str(r[1]).lower() or r[0] >= 500]
    figures.count("sqlite_writes", sum(1 for r in results if r[0] == 201))
    figures.count("sqlite_locked", len(locked))
    assert locked == []
    assert {r[0] for r in results} <= {201, 429}
    created = {r[1]["id"] for r in results if r[0] == 201}
    assert created <= {int(pk) for pk in state["companies"]}
    assert len(created) > 20
