"""The SQL that keeps `SourceTally` equal to the records: database triggers, and the same sums computed afresh.

Why triggers and not the services: every way a record changes (a service, a source merge's bulk UPDATE, an
import, a member's removal, a factory in a test, a raw statement) changes the tallies in the same transaction,
so the statistics can read a few thousand tally rows instead of a million records and still be exact.

PostgreSQL runs one statement-level trigger per write (transition tables), so a bulk UPDATE of 300,000 deals
costs one grouped upsert, not 300,000. SQLite only has row triggers; its local dates come from `sqlite_local_date`,
registered as `hw_local_date` on every connection Django opens (stats/apps.py).

A record counts in the local month (the account's time zone) it was created in, for its owner and for all owners
(-1); for all owners also in its local day (kind + 10), so a period's days outside whole months need no records
either, and in its local year (kind + 20), so all time reads a few rows a year instead of a few hundred. A
closed deal counts by its `closed_at`, a day already local. A changed time zone therefore needs a
rebuild (the account settings service does it); on PostgreSQL writers hold a shared advisory lock on their
account, so a rebuild (exclusive) never misses a record written under the old zone.

Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

TABLE = "stats_sourcetally"
KEY = "account_id, owner_key, kind, bucket, source_key, currency"
COLUMNS = f"{KEY}, n, cents, days, dated"
# pg_advisory_xact_lock's first key: "HW" and 1, so our locks never meet another application's.
LOCK_CLASS = 0x48570001

# Kind codes: keep in step with stats.models.TallyKind.
COMPANY, PERSON, OPEN, WON, LOST, WON_UNDATED, LOST_UNDATED = 1, 2, 3, 4, 5, 6, 7
# 8 and 9: contacts with a deal, with a won deal (the funnel), kept by stats/funnel_sql.py's triggers.
DAILY = 10  # added to a kind: the tally of one local day, for all owners
YEARLY = 20  # added to a kind: the tally of one local year (its 1 January), for all owners
UNDATED_MONTH = "0001-01-01"

# The tables the triggers watch, named here rather than found in the record registry: each kind is tallied in its
# own way (contacts by creation, deals by status and closing day) and a change here needs a migration anyway.
_RECORDS = {"companies_company": COMPANY, "persons_person": PERSON, "deals_deal": None}
RECORD_TABLES = tuple(_RECORDS)


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_facts(
    table: str, rows: str, sign: int, *, source: str | None = None, where: str = "", campaign: bool = False
) -> str:
    """One row per record of `rows` (a transition table, or the alias of `source`, the table itself, with an
    optional `where` condition): its tally key and its contribution. With `campaign` (stats/campaign_tally_sql.py),
    only records with a campaign, and their `campaign_key` as a last column."""
    source = source or rows
    tail = ""
    if campaign:
        tail = f", {rows}.campaign_id AS campaign_key"
        where = f"{where} AND {rows}.campaign_id IS NOT NULL" if where else f" WHERE {rows}.campaign_id IS NOT NULL"
    local = f"({rows}.created_at AT TIME ZONE a.time_zone)::date"
    if _RECORDS[table] is not None:
        return (
            f"SELECT {rows}.account_id, coalesce({rows}.owner_id, 0) AS owner_key, {_RECORDS[table]} AS kind, "
            f"l.day - (extract(day FROM l.day)::int - 1) AS month, l.day AS day, "
            f"coalesce({rows}.source_id, 0) AS source_key, ''::varchar AS currency, {sign} AS n, "
            f"0::numeric AS cents, 0 AS days, 0 AS dated{tail} "
            f"FROM {source} JOIN core_account a ON a.id = {rows}.account_id "
            f"CROSS JOIN LATERAL (SELECT {local} AS day) l{where}"
        )
    closed = f"{rows}.status <> 'open' AND {rows}.closed_at IS NOT NULL"
    return (
        f"SELECT {rows}.account_id, coalesce({rows}.owner_id, 0) AS owner_key, "
        f"CASE WHEN {rows}.status = 'open' THEN {OPEN} "
        f"WHEN {rows}.status = 'won' THEN CASE WHEN {rows}.closed_at IS NULL THEN {WON_UNDATED} ELSE {WON} END "
        f"WHEN {rows}.status = 'lost' THEN CASE WHEN {rows}.closed_at IS NULL THEN {LOST_UNDATED} ELSE {LOST} END "
        f"END AS kind, "
        f"CASE WHEN {rows}.status = 'open' THEN l.day - (extract(day FROM l.day)::int - 1) "
        f"WHEN {rows}.closed_at IS NULL THEN DATE '{UNDATED_MONTH}' "
        f"ELSE {rows}.closed_at - (extract(day FROM {rows}.closed_at)::int - 1) END AS month, "
        f"CASE WHEN {rows}.status = 'open' THEN l.day ELSE {rows}.closed_at END AS day, "
        f"coalesce({rows}.source_id, 0) AS source_key, {rows}.currency::varchar AS currency, {sign} AS n, "
        f"{sign} * {rows}.value * 100 AS cents, "
        f"CASE WHEN {closed} THEN {sign} * ({rows}.closed_at - l.day) ELSE 0 END AS days, "
        f"CASE WHEN {closed} THEN {sign} ELSE 0 END AS dated{tail} "
        f"FROM {source} JOIN core_account a ON a.id = {rows}.account_id "
        f"CROSS JOIN LATERAL (SELECT {local} AS day) l{where}"
    )


def _pg_grouped(facts: str) -> str:
    """The facts summed per key: each record in its month for its owner and for all owners (-1), and in its day
    (none for undated closed deals) and its year for all owners. Keys come in one order: two transactions upserting
    several keys lock them in the same order and cannot deadlock on each other."""
    return (
        "SELECT f.account_id, o.owner_key, o.kind, o.bucket, f.source_key, f.currency, "
        "sum(f.n), sum(f.cents), sum(f.days), sum(f.dated) "
        f"FROM ({facts}) f CROSS JOIN LATERAL (VALUES (f.owner_key, f.kind, f.month), (-1, f.kind, f.month), "
        f"(-1, f.kind + {DAILY}, f.day), "
        f"(-1, f.kind + {YEARLY}, make_date(extract(year FROM f.month)::int, 1, 1))) o(owner_key, kind, bucket) "
        "WHERE o.bucket IS NOT NULL "
        "GROUP BY 1, 2, 3, 4, 5, 6 "
        "HAVING sum(f.n) <> 0 OR sum(f.cents) <> 0 OR sum(f.days) <> 0 OR sum(f.dated) <> 0 "
        "ORDER BY 1, 2, 3, 4, 5, 6"
    )


def _pg_upsert(facts: str) -> str:
    return (
        f"INSERT INTO {TABLE} AS t ({COLUMNS}) {_pg_grouped(facts)} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + EXCLUDED.n, cents = t.cents + EXCLUDED.cents, "
        "days = t.days + EXCLUDED.days, dated = t.dated + EXCLUDED.dated"
    )


def _pg_trigger_sql(table: str) -> list[str]:
    statements = []
    for op, referencing, parts in (
        ("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("new_rows", 1), ("old_rows", -1)]),
        ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
    ):
        name = f"stats_tally_{table}_{op}"
        facts = " UNION ALL ".join(_pg_facts(table, rows, sign) for rows, sign in parts)
        lock_rows = parts[0][0]
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, (x.account_id % 2147483647)::int) "
            f"FROM (SELECT DISTINCT account_id FROM {lock_rows} ORDER BY 1) x; "
            f"{_pg_upsert(facts)}; "
            f"RETURN NULL; END $body$"
        )
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


# --- SQLite -------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def sqlite_local_date(stored: str | None, zone: str) -> str | None:
    """The local date (ISO) of a UTC datetime as Django stores it on SQLite ("2025-01-31 23:30:00[.ffffff]").

    About ten times cheaper than Django's general `django_datetime_cast_date`, which a bulk UPDATE calls per row.
    Kept by its arguments: the records an import (or any one save) writes share one creation instant, and the
    grouped tally statements ask for it once per record and statement.
    """
    if stored is None:
        return None
    moment = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)
    return moment.astimezone(_zone(zone)).date().isoformat()


def _sqlite_facts(table: str, row: str, sign: int, *, rebuild_where: str | None = None, campaign: bool = False) -> str:
    """The tally key and contribution of one row: `NEW`/`OLD` in a trigger, or with `rebuild_where` (a condition)
    every row of the table under the alias `row`.

    The local date is computed once per row in the inner query: its `LIMIT -1` (no limit) and the outer one keep
    SQLite from flattening it into the queries around it, which would call the Python date function for every
    reference (nine calls per row instead of one). With `campaign`, only a record with a campaign, and its
    `campaign_key` as a last column.
    """
    inner_campaign = outer_campaign = only_campaign = ""
    if campaign:
        inner_campaign = f", {row}.campaign_id AS campaign_key"
        outer_campaign = ", x.campaign_key AS campaign_key"
        only_campaign = f" AND {row}.campaign_id IS NOT NULL"
        if rebuild_where is not None:
            rebuild_where = f"({rebuild_where})"
    closed = "x.status <> 'open' AND x.closed_at IS NOT NULL"
    deal = _RECORDS[table] is None
    deal_columns = (
        f", {row}.status AS status, {row}.closed_at AS closed_at, {row}.currency AS currency, {row}.value AS value"
        if deal
        else ""
    )
    inner = (
        f"SELECT {row}.account_id AS account_id, coalesce({row}.owner_id, 0) AS owner_key, "
        f"coalesce({row}.source_id, 0) AS source_key{deal_columns}, "
        f"hw_local_date({row}.created_at, a.time_zone) AS ld{inner_campaign} "
        + (
            f"FROM core_account a WHERE a.id = {row}.account_id{only_campaign} LIMIT -1"
            if rebuild_where is None
            else f"FROM {table} {row} JOIN core_account a ON a.id = {row}.account_id "
            f"WHERE {rebuild_where}{only_campaign} LIMIT -1"
        )
    )
    if not deal:
        return (
            f"SELECT x.account_id AS account_id, x.owner_key AS owner_key, {_RECORDS[table]} AS kind, "
            "substr(x.ld, 1, 8) || '01' AS month, x.ld AS day, x.source_key AS source_key, "
            f"'' AS currency, {sign} AS n, 0 AS cents, 0 AS days, 0 AS dated{outer_campaign} "
            f"FROM ({inner}) x LIMIT -1"
        )
    return (
        "SELECT x.account_id AS account_id, x.owner_key AS owner_key, "
        f"CASE WHEN x.status = 'open' THEN {OPEN} "
        f"WHEN x.status = 'won' THEN CASE WHEN x.closed_at IS NULL THEN {WON_UNDATED} ELSE {WON} END "
        f"WHEN x.status = 'lost' THEN CASE WHEN x.closed_at IS NULL THEN {LOST_UNDATED} ELSE {LOST} END "
        "END AS kind, "
        "CASE WHEN x.status = 'open' THEN substr(x.ld, 1, 8) || '01' "
        f"WHEN x.closed_at IS NULL THEN '{UNDATED_MONTH}' "
        "ELSE substr(x.closed_at, 1, 8) || '01' END AS month, "
        "CASE WHEN x.status = 'open' THEN x.ld ELSE x.closed_at END AS day, "
        f"x.source_key AS source_key, x.currency AS currency, {sign} AS n, "
        f"{sign} * CAST(ROUND(x.value * 100) AS INTEGER) AS cents, "
        f"CASE WHEN {closed} THEN {sign} * CAST(round(julianday(x.closed_at) - julianday(x.ld)) AS INTEGER) "
        "ELSE 0 END AS days, "
        f"CASE WHEN {closed} THEN {sign} ELSE 0 END AS dated{outer_campaign} "
        f"FROM ({inner}) x LIMIT -1"
    )


def _sqlite_levels(facts: str, *, grouped: bool) -> str:
    # Levels: 0 the month for the owner, 1 the month for all owners, 2 the day and 3 the year for all owners. A
    # trigger's facts are one record, whose four keys differ: no grouping (and no sorter) needed; a rebuild groups.
    # `WHERE`: besides dropping undated days, it tells SQLite's parser that a following ON CONFLICT belongs to the
    # INSERT, not to a join constraint.
    sums = "sum(f.n), sum(f.cents), sum(f.days), sum(f.dated)" if grouped else "f.n, f.cents, f.days, f.dated"
    tail = (
        " GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.n) <> 0 OR sum(f.cents) <> 0 OR sum(f.days) <> 0 OR sum(f.dated) <> 0"
        if grouped
        else ""
    )
    return (
        "SELECT f.account_id, CASE w.level WHEN 0 THEN f.owner_key ELSE -1 END, "
        f"CASE w.level WHEN 2 THEN f.kind + {DAILY} WHEN 3 THEN f.kind + {YEARLY} ELSE f.kind END, "
        "CASE w.level WHEN 2 THEN f.day WHEN 3 THEN substr(f.month, 1, 4) || '-01-01' ELSE f.month END, "
        f"f.source_key, f.currency, {sums} "
        f"FROM ({facts}) f JOIN (SELECT 0 AS level UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) w "
        f"WHERE w.level <> 2 OR f.day IS NOT NULL{tail}"
    )


def _sqlite_upsert(facts: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) {_sqlite_levels(facts, grouped=False)} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n, cents = cents + excluded.cents, "
        "days = days + excluded.days, dated = dated + excluded.dated"
    )


_DEAL_COLUMNS = ("account_id", "owner_id", "source_id", "created_at", "status", "closed_at", "currency", "value")
_CONTACT_COLUMNS = ("account_id", "owner_id", "source_id", "created_at")


def _sqlite_trigger_sql(table: str) -> list[str]:
    columns = _CONTACT_COLUMNS if _RECORDS[table] is not None else _DEAL_COLUMNS
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    add = _sqlite_upsert(_sqlite_facts(table, "NEW", 1))
    remove = _sqlite_upsert(_sqlite_facts(table, "OLD", -1))
    statements = []
    for op, when, body in (
        ("insert", "", [add]),
        ("update", f" WHEN {changed}", [remove, add]),
        ("delete", "", [remove]),
    ):
        name = f"stats_tally_{table}_{op}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW{when} BEGIN "
            + " ".join(f"{statement};" for statement in body)
            + " END"
        )
    return statements


def sqlite_insert_trigger_sql(table: str, *, create: bool) -> str:
    """Drop (or create again) the insert trigger of one table: a bulk insert on SQLite tallies its rows with one
    grouped statement (`sqlite_add_rows_sql`) instead of one upsert per row."""
    statements = _sqlite_trigger_sql(table)
    name = f"stats_tally_{table}_insert"
    return statements[1] if create else f"DROP TRIGGER IF EXISTS {name}"


def sqlite_add_rows_sql(table: str) -> str:
    """Add the rows of `table` with ids from %s to %s to the tallies, grouped: what the insert trigger would have
    added row by row."""
    facts = _sqlite_facts(table, "r", 1, rebuild_where="r.id BETWEEN %s AND %s")
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) {_sqlite_levels(facts, grouped=True)} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n, cents = cents + excluded.cents, "
        "days = days + excluded.days, dated = dated + excluded.dated"
    )


# --- What the migrations, the rebuild and the tests use ------------------------------------------------


def trigger_sql(vendor: str) -> list[str]:
    make = _pg_trigger_sql if vendor == "postgresql" else _sqlite_trigger_sql
    return [statement for table in _RECORDS for statement in make(table)]


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for table in _RECORDS:
        for op in ("insert", "update", "delete"):
            name = f"stats_tally_{table}_{op}"
            if vendor == "postgresql":
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                statements.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def fresh_tallies_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """SELECT the tallies computed afresh from the records (of the given accounts, or all), in the table's columns;
    with the funnel's kinds (contacts with a deal, with a won deal: stats/funnel_sql.py)."""
    from headwater.stats import funnel_sql  # noqa: PLC0415 — it builds on this module

    ids = None if account_ids is None else [int(i) for i in account_ids]
    funnel, funnel_params = funnel_sql.fresh_facts_sql(vendor, ids)
    if vendor == "postgresql":
        where = "" if ids is None else " WHERE r.account_id = ANY(%s)"
        facts = " UNION ALL ".join(_pg_facts(table, "r", 1, source=f"{table} r", where=where) for table in _RECORDS)
        params: list[Any] = [] if ids is None else [ids] * len(_RECORDS)
        return _pg_grouped(f"{facts} UNION ALL {funnel}"), params + funnel_params
    condition = "true" if ids is None else "r.account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    # Each part in its own SELECT: SQLite takes a LIMIT before UNION ALL for the whole compound.
    facts = " UNION ALL ".join(
        f"SELECT * FROM ({_sqlite_facts(table, 'r', 1, rebuild_where=condition)})" for table in _RECORDS
    )
    params = [] if ids is None else ids * len(_RECORDS)
    return _sqlite_levels(f"{facts} UNION ALL {funnel}", grouped=True), params + funnel_params
