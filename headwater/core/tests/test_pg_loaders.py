"""Instants read through psycopg's C parser (core/pg_loaders.py) are the values and errors of Django's own loader."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, connection
from django.test import override_settings

from headwater.core.pg_loaders import tz_loader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a loader of psycopg's PostgreSQL connections"),
]

# Instants around what a CRM holds and at the types' edges: whole seconds, every count of fractional digits, offsets
# other than the session's, the first and last instants Python has, and NULL.
INSTANTS = """
SELECT v FROM (VALUES
    ('2026-12-05 20:00:00+00'::timestamptz), ('2026-12-05 20:00:00.1+00'), ('2026-12-05 20:00:00.123456+00'),
    ('2026-03-29 02:30:00+02'), ('2026-10-25 02:30:00+01'), ('1999-12-31 23:59:59.999999-05:30'),
    ('0001-01-01 00:00:00+00'), ('9999-12-31 23:59:59.999999+00'), (NULL)
) AS t(v)
UNION ALL
SELECT '2026-01-01 00:00:00+00'::timestamptz + n * interval '7 days 13.000987 seconds' FROM generate_series(1, 500) n
"""


def djangos_own(cursor):
    """`cursor` reading instants through Django's loader (its `psycopg_any.register_tzloader`), as before."""
    from django.db.backends.postgresql.psycopg_any import (  # type: ignore[import-untyped]  # noqa: PLC0415  # PostgreSQL only
        register_tzloader,
    )

    register_tzloader(connection.timezone, cursor.cursor)
    return cursor


def read(sql, own=False):
    with connection.cursor() as cursor:
        if own:
            djangos_own(cursor)
        cursor.execute(sql)
        return cursor.fetchall()


def test_connections_read_instants_through_it():
    connection.ensure_connection()
    from psycopg.postgres import types  # noqa: PLC0415  # PostgreSQL only
    from psycopg.pq import Format  # noqa: PLC0415  # PostgreSQL only

    loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    assert loader is tz_loader(connection.timezone)


def test_the_values_are_djangos_to_the_time_zone_object():
    ours, theirs = read(INSTANTS), read(INSTANTS, own=True)
    assert len(ours) == 509
    assert ours == theirs
    assert [repr(row) for row in ours] == [repr(row) for row in theirs]
    assert all(row[0] is None or row[0].tzinfo is dt.UTC for row in ours)


@pytest.mark.parametrize("value", ["0044-03-15 BC", "infinity", "-infinity"])
def test_an_instant_python_cannot_hold_fails_as_with_djangos_loader(value):
    sql = f"SELECT '{value}'::timestamptz"
    with pytest.raises(DataError) as ours:
        read(sql)
    with pytest.raises(DataError) as theirs:
        read(sql, own=True)
    assert str(ours.value) == str(theirs.value)


def test_without_time_zones_a_cursor_gets_djangos_naive_values():
    # Django replaces the connection's loader on each cursor whose time zone differs from the loader's.
    # (Not the last instant: in Warsaw it is in year 10000.)
    sql = INSTANTS.replace("('9999-12-31 23:59:59.999999+00'), ", "")
    with override_settings(USE_TZ=False, TIME_ZONE="Europe/Warsaw"):
        ours, theirs = read(sql), read(sql, own=True)
        assert ours == theirs
        assert ours[0][0] == dt.datetime(2026, 12, 5, 21, 0)  # noqa: DTZ001 — the naive local time is the point
