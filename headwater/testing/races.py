"""Races on PostgreSQL: real threads, each with its own connection, released together by a barrier.

SQLite serialises every writer (IMMEDIATE transactions), so a race only means something on PostgreSQL: a race
module sets `pytestmark = POSTGRES_RACE` and repeats each race `rounds(...)` times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection

POSTGRES_RACE = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks; SQLite serialises writers (set DATABASE_URL=postgres://...)",
    ),
    # The racing threads open their own connections: they cannot see rows inside the test's transaction.
    pytest.mark.django_db(transaction=True),
]


def rounds(long: int, *, short: int = 5) -> int:
    """How often a race repeats: a few times in the normal suite, `long` times with HEADWATER_LONG=1."""
    return long if os.environ.get("HEADWATER_LONG") else short


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in separate threads; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # the test inspects whatever each side raised
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if any(thread.is_alive() for thread in threads):
        pytest.fail("a racing thread hung (deadlock?)")
    return results
