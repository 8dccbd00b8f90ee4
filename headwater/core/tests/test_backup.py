"""Backups taken while writers commit are consistent (every write batch all or nothing) and restore cleanly."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from headwater.core.backup import backup, restore

BATCH = 20


def _sqlite_writer(path: Path, stop: threading.Event, written: list[int]) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    batch = 0
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t(batch, n) VALUES (?, ?)", [(batch, n) for n in range(BATCH)])
        conn.execute("COMMIT")
        written.append(batch)
        batch += 1
    conn.close()


def _assert_batches_whole(rows: list[tuple[int, int]]) -> int:
    per_batch: dict[int, int] = {}
    for batch, count in rows:
        per_batch[batch] = count
    assert per_batch, "the backup should hold some committed batches"
    assert all(count == BATCH for count in per_batch.values()), per_batch
    # Committed batches are consecutive from 0: the snapshot is one point in time, with no holes.
    assert sorted(per_batch) == list(range(len(per_batch)))
    return len(per_batch)


def test_sqlite_backup_during_writes_is_consistent_and_restores(tmp_path):
    live = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, n INTEGER NOT NULL)")
    conn.commit()
    conn.close()
    stop = threading.Event()
    written: list[int] = []
    writer = threading.Thread(target=_sqlite_writer, args=(live, stop, written))
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        target = tmp_path / "backup.sqlite3"
        backup({"ENGINE": "django.db.backends.sqlite3", "NAME": str(live)}, target)
        taken_after = len(written)
    finally:
        stop.set()
        writer.join()
    snap = sqlite3.connect(target)
    batches = _assert_batches_whole(snap.execute("SELECT batch, COUNT(*) FROM t GROUP BY batch").fetchall())
    snap.close()
    assert 20 <= batches <= taken_after + 1

    restored = tmp_path / "restored.sqlite3"
    restore({"ENGINE": "django.db.backends.sqlite3", "NAME": str(restored)}, target)
    check = sqlite3.connect(restored)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("SELECT COUNT(*) FROM t").fetchone()[0] == batches * BATCH
    check.close()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_backup_during_writes_is_consistent_and_restores(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backup runs in the PostgreSQL suite (make test-pg)")
    import psycopg  # noqa: PLC0415 — only present where PostgreSQL is used

    base = dict(connection.settings_dict)
    names = [f"hw_backup_{uuid.uuid4().hex[:8]}", f"hw_restore_{uuid.uuid4().hex[:8]}"]
    conninfo = {"host": base["HOST"] or None, "port": base["PORT"] or None, "user": base["USER"] or None}
    conninfo = {k: v for k, v in conninfo.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(dbname=names[0], autocommit=True, **conninfo) as setup:
            setup.execute("CREATE TABLE t (id bigserial PRIMARY KEY, batch int NOT NULL, n int NOT NULL)")
        stop = threading.Event()
        written: list[int] = []

        def writer() -> None:
            with psycopg.connect(dbname=names[0], **conninfo) as w:
                batch = 0
                while not stop.is_set():
                    with w.transaction(), w.cursor() as cur:
                        cur.executemany("INSERT INTO t(batch, n) VALUES (%s, %s)", [(batch, n) for n in range(BATCH)])
                    written.append(batch)
                    batch += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            while len(written) < 20:
                time.sleep(0.01)
            dump = tmp_path / "backup.dump"
            backup({**base, "NAME": names[0]}, dump)
        finally:
            stop.set()
            thread.join()
        with psycopg.connect(dbname=names[1], autocommit=True, **conninfo) as target:
            target.execute("CREATE TABLE junk (x int)")  # restore replaces what it dumped; the rest stays
        restore({**base, "NAME": names[1]}, dump)
        with psycopg.connect(dbname=names[1], **conninfo) as check:
            rows = check.execute("SELECT batch, COUNT(*) FROM t GROUP BY batch").fetchall()
        assert _assert_batches_whole(rows) >= 20
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
