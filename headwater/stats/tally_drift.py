"""The check that the stored tallies equal tallies computed afresh from the records (tally_sql.fresh_tallies_sql)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from headwater.stats import campaign_tally_sql, close_tally_sql, cohort_sql, funnel_sql, tally_sql


def _tally_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # The month arrives as a date from the table and as text from SQLite's computed rows.
    return (int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]), row[5])


def _close_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]), int(row[5]))


def _campaign_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (int(row[0]), int(row[1]), str(row[2]), int(row[3]), int(row[4]), row[5])


def _cohort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (int(row[0]), str(row[1]), int(row[2]), int(row[3]), str(row[4]), row[5])


def _contact_counts(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # The day arrives as a date from PostgreSQL and as text from SQLite.
    return (int(row[3]), int(row[4]), row[5], row[6], None if row[7] is None else str(row[7]))


def tally_drift(*, account_ids: Iterable[int] | None = None) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    """Keys where the stored tallies (and days-to-close counts) differ from those computed afresh from the records:
    {key: (stored, fresh)}.

    Empty when the triggers kept everything exact; the test suite checks it after every test that writes.
    """
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    if ids == []:
        return {}
    with connection.cursor() as cursor:  # this transaction's funnel changes, applied (PostgreSQL does at commit)
        funnel_sql.settle(cursor, connection.vendor, in_transaction=connection.in_atomic_block)
    select, params = tally_sql.fresh_tallies_sql(connection.vendor, ids)
    where = "" if ids is None else " AND account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        fresh = {_tally_key(row): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT {tally_sql.COLUMNS} FROM {tally_sql.TABLE} "  # noqa: S608 — constant names
            f"WHERE (n <> 0 OR cents <> 0 OR days <> 0 OR dated <> 0){where}",
            ids or [],
        )
        stored = {_tally_key(row): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
        # The days-to-close counts (the median's), keyed apart: ("close_days", account, owner, level, bucket, ...).
        select, params = close_tally_sql.fresh_sql(connection.vendor, ids)
        cursor.execute(select, params)
        fresh.update({("close_days", *_close_key(row)): (int(row[6]),) for row in cursor.fetchall()})
        cursor.execute(
            f"SELECT {close_tally_sql.COLUMNS} FROM {close_tally_sql.TABLE} "  # noqa: S608 — constant names
            f"WHERE n <> 0{where}",
            ids or [],
        )
        stored.update({("close_days", *_close_key(row)): (int(row[6]),) for row in cursor.fetchall()})
        # The campaign tallies, keyed apart: ("campaign", account, kind, bucket, source, campaign, currency). A
        # migration test may have taken the database back before them (and the records' campaigns).
        tables = connection.introspection.table_names(cursor)
        if campaign_tally_sql.TABLE in tables:
            _campaign_drift(cursor, ids, where, fresh, stored)
        # The cohort tallies: ("cohort", account, cohort, source, kind, bucket, currency). A migration test may have
        # taken the database back before they existed.
        if cohort_sql.TABLE in tables:
            _cohort_drift(cursor, ids, where, fresh, stored)
        # Each contact's deals and won deals (the funnel's) and where it is counted (owner, source, local day),
        # keyed apart: ("contact_deals", account, kind, id). A migration test may have taken the database back before
        # the table existed.
        if funnel_sql.TABLE in tables:
            select, params = funnel_sql.fresh_counts_sql(connection.vendor, ids)
            cursor.execute(select, params)
            fresh.update({("contact_deals", *map(int, row[:3])): _contact_counts(row) for row in cursor.fetchall()})
            cursor.execute(
                f"SELECT {funnel_sql.COLUMNS} FROM {funnel_sql.TABLE} "  # noqa: S608 — constant names
                f"WHERE (deals <> 0 OR won <> 0){where}",
                ids or [],
            )
            stored.update({("contact_deals", *map(int, row[:3])): _contact_counts(row) for row in cursor.fetchall()})
    return _differences(stored, fresh)


def _campaign_drift(
    cursor: Any,
    ids: list[int] | None,
    where: str,
    fresh: dict[tuple[Any, ...], tuple[Any, ...]],
    stored: dict[tuple[Any, ...], tuple[Any, ...]],
) -> None:
    select, params = campaign_tally_sql.fresh_sql(connection.vendor, ids)
    cursor.execute(select, params)
    fresh.update({("campaign", *_campaign_key(row)): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()})
    cursor.execute(
        f"SELECT {campaign_tally_sql.COLUMNS} FROM {campaign_tally_sql.TABLE} "  # noqa: S608 — constant names
        f"WHERE (n <> 0 OR cents <> 0 OR days <> 0 OR dated <> 0){where}",
        ids or [],
    )
    stored.update({("campaign", *_campaign_key(row)): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()})


def _differences(stored: dict[Any, Any], fresh: dict[Any, Any]) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    return {
        key: (stored.get(key), fresh.get(key))
        for key in stored.keys() | fresh.keys()
        if stored.get(key) != fresh.get(key)
    }


def _cohort_drift(
    cursor: Any,
    ids: list[int] | None,
    where: str,
    fresh: dict[tuple[Any, ...], tuple[Any, ...]],
    stored: dict[tuple[Any, ...], tuple[Any, ...]],
) -> None:
    select, params = cohort_sql.fresh_sql(connection.vendor, ids)
    cursor.execute(select, params)
    fresh.update({("cohort", *_cohort_key(row)): (int(row[6]), int(row[7])) for row in cursor.fetchall()})
    cursor.execute(
        f"SELECT {cohort_sql.COLUMNS} FROM {cohort_sql.TABLE} "  # noqa: S608 — constant names
        f"WHERE (n <> 0 OR cents <> 0){where}",
        ids or [],
    )
    stored.update({("cohort", *_cohort_key(row)): (int(row[6]), int(row[7])) for row in cursor.fetchall()})
