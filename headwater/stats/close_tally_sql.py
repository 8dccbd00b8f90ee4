"""The SQL that keeps `CloseDaysTally` (closed deals per number of days to close) equal to the deals: database
triggers on the deal table, and the same counts computed afresh.

Built on `tally_sql`'s facts (a deal's tally key, its local creation day in the account's time zone, its days to
close), so a deal's days to close are the same number the mean in `SourceTally` sums: the median and the mean
always describe the same deals. Only won and lost deals with a close date count, at the same levels as their
`SourceTally` kinds: the close month per owner and for all owners, and for all owners the close day and year; and
for all owners all time (one row per source and days: the unfiltered all-time page reads no years), and the close
half month and quarter (coarser buckets a period reads instead of their days or months: fewer rows to sum).

Separate triggers from `tally_sql`'s (named `stats_closedays_...`), so either can change without the other; on
PostgreSQL they take the same shared advisory lock on the account first, so a time-zone rebuild never misses one.
Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater.stats import tally_sql

TABLE = "stats_closedaystally"
KEY = "account_id, owner_key, level, bucket, source_key, days"
COLUMNS = f"{KEY}, n"
DEALS = "deals_deal"
MONTH, DAY, YEAR, ALL_TIME, HALF_MONTH, QUARTER = 1, 11, 21, 31, 41, 51  # keep in step with stats.models.CloseDaysLevel
# The levels a close-day tally exists at, in the order the SQL below writes them.
LEVELS = (MONTH, DAY, YEAR, ALL_TIME, HALF_MONTH, QUARTER)
# The bucket of the all-time level: one row per source and days, so all time reads no years.
ALL_TIME_BUCKET = "0001-01-01"
# The facts' kinds of a closed deal with a close date (tally_sql.WON, tally_sql.LOST).
_CLOSED = f"f.kind IN ({tally_sql.WON}, {tally_sql.LOST})"
# A fact's days are signed like its count (a removed deal counts -1 and -days): days * n is the deal's own number.
_DAYS = "f.days * f.n"
# Columns whose change can move a deal's contribution; the others (value, currency, name) cannot.
_WATCHED = ("account_id", "owner_id", "source_id", "created_at", "status", "closed_at")


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_grouped(facts: str, levels: tuple[int, ...] = LEVELS) -> str:
    only = "" if levels == LEVELS else " AND o.level IN (" + ", ".join(str(int(level)) for level in levels) + ")"
    return (
        f"SELECT f.account_id, o.owner_key, o.level, o.bucket, f.source_key, {_DAYS}, sum(f.n) "
        f"FROM ({facts}) f CROSS JOIN LATERAL (VALUES (f.owner_key, {MONTH}, f.month), (-1, {MONTH}, f.month), "
        f"(-1, {DAY}, f.day), (-1, {YEAR}, make_date(extract(year FROM f.month)::int, 1, 1)), "
        f"(-1, {ALL_TIME}, DATE '{ALL_TIME_BUCKET}'), "
        # The half month: the month's first day for days 1-15, its 16th after (f.day - f.month is the day less one).
        f"(-1, {HALF_MONTH}, CASE WHEN f.day - f.month >= 15 THEN f.month + 15 ELSE f.month END), "
        f"(-1, {QUARTER}, date_trunc('quarter', f.month)::date)) "
        "o(owner_key, level, bucket) "
        f"WHERE {_CLOSED}{only} "
        "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
    )


def _pg_trigger_sql(levels: tuple[int, ...]) -> list[str]:
    statements = []
    for op, referencing, parts in (
        ("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("new_rows", 1), ("old_rows", -1)]),
        ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
    ):
        name = f"stats_closedays_{DEALS}_{op}"
        facts = " UNION ALL ".join(tally_sql._pg_facts(DEALS, rows, sign) for rows, sign in parts)
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"PERFORM pg_advisory_xact_lock_shared({tally_sql.LOCK_CLASS}, (x.account_id % 2147483647)::int) "
            f"FROM (SELECT DISTINCT account_id FROM {parts[0][0]} ORDER BY 1) x; "
            f"INSERT INTO {TABLE} AS t ({COLUMNS}) {_pg_grouped(facts, levels)} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + EXCLUDED.n; "
            "RETURN NULL; END $body$"
        )
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {DEALS}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {DEALS} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


# --- SQLite -------------------------------------------------------------------------------------------


# The rows of `_sqlite_levels`' levels table that write each level (0 is the owner's month).
_SQLITE_LEVEL_ROWS = {MONTH: (0, 1), DAY: (2,), YEAR: (3,), ALL_TIME: (4,), HALF_MONTH: (5,), QUARTER: (6,)}


def _sqlite_levels(facts: str, *, grouped: bool, levels: tuple[int, ...] = LEVELS) -> str:
    # Levels as in tally_sql: 0 the month for the owner, 1 the month, 2 the day and 3 the year for all owners; and
    # 4 all time, 5 the half month and 6 the quarter for all owners. Days are ISO text: 'YYYY-MM-DD'.
    count = "sum(f.n)" if grouped else "f.n"
    tail = " GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.n) <> 0" if grouped else ""
    rows = sorted(row for level in levels for row in _SQLITE_LEVEL_ROWS[level])
    return (
        "SELECT f.account_id, CASE w.level WHEN 0 THEN f.owner_key ELSE -1 END, "
        f"CASE w.level WHEN 2 THEN {DAY} WHEN 3 THEN {YEAR} WHEN 4 THEN {ALL_TIME} WHEN 5 THEN {HALF_MONTH} "
        f"WHEN 6 THEN {QUARTER} ELSE {MONTH} END, "
        "CASE w.level WHEN 2 THEN f.day WHEN 3 THEN substr(f.month, 1, 4) || '-01-01' "
        f"WHEN 4 THEN '{ALL_TIME_BUCKET}' "
        "WHEN 5 THEN substr(f.day, 1, 8) || CASE WHEN substr(f.day, 9, 2) >= '16' THEN '16' ELSE '01' END "
        "WHEN 6 THEN substr(f.month, 1, 5) || CASE WHEN substr(f.month, 6, 2) <= '03' THEN '01' "
        "WHEN substr(f.month, 6, 2) <= '06' THEN '04' WHEN substr(f.month, 6, 2) <= '09' THEN '07' ELSE '10' END "
        "|| '-01' ELSE f.month END, "
        f"f.source_key, {_DAYS}, {count} "
        f"FROM ({facts}) f JOIN ("
        + " UNION ALL ".join(f"SELECT {row} AS level" for row in rows)
        + f") w WHERE {_CLOSED}{tail}"
    )


def _sqlite_upsert(select: str) -> str:
    return f"INSERT INTO {TABLE} ({COLUMNS}) {select} ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n"


def _sqlite_trigger_sql(levels: tuple[int, ...] = LEVELS) -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    add = _sqlite_upsert(_sqlite_levels(tally_sql._sqlite_facts(DEALS, "NEW", 1), grouped=False, levels=levels))
    remove = _sqlite_upsert(_sqlite_levels(tally_sql._sqlite_facts(DEALS, "OLD", -1), grouped=False, levels=levels))
    statements = []
    for op, when, body in (
        ("insert", "", [add]),
        ("update", f" WHEN {changed}", [remove, add]),
        ("delete", "", [remove]),
    ):
        name = f"stats_closedays_{DEALS}_{op}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {DEALS} FOR EACH ROW{when} BEGIN "
            + " ".join(f"{statement};" for statement in body)
            + " END"
        )
    return statements


def sqlite_insert_trigger_sql(*, create: bool) -> str:
    """Drop (or create again) the deal table's insert trigger, for a bulk insert (services.tallies_bulk_insert)."""
    return _sqlite_trigger_sql()[1] if create else f"DROP TRIGGER IF EXISTS stats_closedays_{DEALS}_insert"


def sqlite_add_rows_sql() -> str:
    """Add the deals with ids from %s to %s, grouped: what the insert trigger would have added row by row."""
    facts = tally_sql._sqlite_facts(DEALS, "r", 1, rebuild_where="r.id BETWEEN %s AND %s")
    return _sqlite_upsert(_sqlite_levels(facts, grouped=True))


# --- What the migration, the rebuild and the tests use -------------------------------------------------


def trigger_sql(vendor: str, levels: tuple[int, ...] = LEVELS) -> list[str]:
    """The triggers, writing the given levels (all; a migration taken back writes the levels it found)."""
    return _pg_trigger_sql(levels) if vendor == "postgresql" else _sqlite_trigger_sql(levels)


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for op in ("insert", "update", "delete"):
        name = f"stats_closedays_{DEALS}_{op}"
        if vendor == "postgresql":
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {DEALS}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def fresh_sql(
    vendor: str, account_ids: Iterable[int] | None, levels: tuple[int, ...] = LEVELS
) -> tuple[str, list[Any]]:
    """SELECT the counts computed afresh from the deals (of the given accounts, or all), in the table's columns; of
    the given levels only (a migration that adds a level fills it alone)."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    if vendor == "postgresql":
        where = "" if ids is None else " WHERE r.account_id = ANY(%s)"
        facts = tally_sql._pg_facts(DEALS, "r", 1, source=f"{DEALS} r", where=where)
        return _pg_grouped(facts, levels), ([] if ids is None else [ids])
    condition = "true" if ids is None else "r.account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    facts = tally_sql._sqlite_facts(DEALS, "r", 1, rebuild_where=condition)
    return _sqlite_levels(facts, grouped=True, levels=levels), ([] if ids is None else ids)
