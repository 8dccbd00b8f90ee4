"""The SQL that keeps `TouchTally` equal to the records' first and last touches: database triggers, and the same
sums computed afresh.

A record's first or last touch changes when a lead arrives (`RecordTouches` is inserted or moved), when the rules
are applied again, a value is mapped or an admin corrects a first touch (`Touch.resolved_source` changes), when a
source is merged or deleted (the touches' source is cleared by the collector's UPDATE) and when a record and its
touches are deleted. Triggers on the two capture tables see every one of those, however it is written, so the
Statistics page grouped by touch reads a few hundred tally rows instead of joining every touched record.

Each row of `capture_recordtouches` counts once per basis (1 its first touch, 2 its last): by the record's kind, the
touch's local day (the account's time zone) and month, the source the touch resolved to, and the source the lead
named (self-reported; 0 for none). Like the record tallies, a time zone change needs a rebuild (stats does it in the
same job), and the triggers take the record tallies' shared advisory lock so that rebuild never misses a write.

Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TABLE = "capture_touchtally"
KEY = "account_id, basis, kind, bucket, source_key, reported_key"
COLUMNS = f"{KEY}, n"
FIRST, LAST = 1, 2
COMPANY, PERSON, DEAL = 1, 2, 3
DAILY = 10  # added to a kind: the tally of one local day (otherwise of one local month)
# The record tallies' lock class (stats.tally_sql.LOCK_CLASS, a layer above): a zone change's rebuild takes it
# exclusively for the account; writers here take it shared, as the record triggers do.
LOCK_CLASS = 0x48570001
_KIND = f"CASE {{column}} WHEN 'company' THEN {COMPANY} WHEN 'person' THEN {PERSON} WHEN 'deal' THEN {DEAL} END"
_TYPES = "('company', 'person', 'deal')"
_UPSERT_PG = f"ON CONFLICT ({KEY}) DO UPDATE SET n = t.n + EXCLUDED.n"
_UPSERT_SQLITE = f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n"


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_by_record(rows: str, sign: int, *, where: str = "") -> str:
    """Facts of the RecordTouches rows `rows` (a transition table or the table), joined with their touches now."""
    return (
        f"SELECT rt.account_id, b.basis, {_KIND.format(column='rt.record_type')} AS kind, "
        "(tc.at AT TIME ZONE a.time_zone)::date AS day, coalesce(tc.resolved_source_id, 0) AS source_key, "
        f"coalesce(tc.reported_source_id, 0) AS reported_key, {sign} AS n "
        f"FROM {rows} rt CROSS JOIN LATERAL (VALUES ({FIRST}, rt.first_touch_id), ({LAST}, rt.last_touch_id)) "
        "b(basis, touch_id) JOIN capture_touch tc ON tc.id = b.touch_id JOIN core_account a ON a.id = rt.account_id "
        f"WHERE rt.record_type IN {_TYPES}{where}"
    )


def _pg_by_touch(rows: str, sign: int) -> str:
    """Facts of the RecordTouches rows pointing at the touches `rows` (a transition table), with those touches'
    values."""
    parts = []
    for basis, column in ((FIRST, "first_touch_id"), (LAST, "last_touch_id")):
        parts.append(
            f"SELECT rt.account_id, {basis} AS basis, {_KIND.format(column='rt.record_type')} AS kind, "
            "(tc.at AT TIME ZONE a.time_zone)::date AS day, coalesce(tc.resolved_source_id, 0) AS source_key, "
            f"coalesce(tc.reported_source_id, 0) AS reported_key, {sign} AS n "
            f"FROM {rows} tc JOIN capture_recordtouches rt ON rt.{column} = tc.id "
            f"JOIN core_account a ON a.id = rt.account_id WHERE rt.record_type IN {_TYPES}"
        )
    return " UNION ALL ".join(parts)


def _pg_grouped(facts: str) -> str:
    """Each fact in its month and its day, summed per key; keys in one order so concurrent writers cannot
    deadlock on them."""
    return (
        f"SELECT f.account_id, f.basis, o.kind, o.bucket, f.source_key, f.reported_key, sum(f.n) "
        f"FROM ({facts}) f CROSS JOIN LATERAL (VALUES (f.kind, f.day - (extract(day FROM f.day)::int - 1)), "
        f"(f.kind + {DAILY}, f.day)) o(kind, bucket) "
        "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
    )


def _pg_function(name: str, lock_rows: str, facts: str) -> list[str]:
    return [
        (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, (x.account_id % 2147483647)::int) "
            f"FROM (SELECT DISTINCT account_id FROM {lock_rows} ORDER BY 1) x; "
            f"INSERT INTO {TABLE} AS t ({COLUMNS}) {_pg_grouped(facts)} {_UPSERT_PG}; "
            "RETURN NULL; END $body$"
        )
    ]


def _pg_trigger_sql() -> list[str]:
    statements: list[str] = []
    specs = [
        ("capture_recordtouches", "insert", "NEW TABLE AS new_rows", "new_rows", _pg_by_record("new_rows", 1)),
        (
            "capture_recordtouches",
            "update",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "new_rows",
            f"{_pg_by_record('new_rows', 1)} UNION ALL {_pg_by_record('old_rows', -1)}",
        ),
        ("capture_recordtouches", "delete", "OLD TABLE AS old_rows", "old_rows", _pg_by_record("old_rows", -1)),
        (
            "capture_touch",
            "update",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "new_rows",
            f"{_pg_by_touch('new_rows', 1)} UNION ALL {_pg_by_touch('old_rows', -1)}",
        ),
        ("capture_touch", "delete", "OLD TABLE AS old_rows", "old_rows", _pg_by_touch("old_rows", -1)),
    ]
    for table, op, referencing, lock_rows, facts in specs:
        name = f"capture_tally_{table}_{op}"
        statements += _pg_function(name, lock_rows, facts)
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


# --- SQLite -------------------------------------------------------------------------------------------

_LEVELS = f"(SELECT 0 AS add_kind UNION ALL SELECT {DAILY})"


def _sqlite_select(*, account: str, record_type: str, basis: str, touch: str, sign: int, source: str) -> str:
    """The month and day rows of one (record, basis, touch): `touch` is the alias (or NEW/OLD) holding `at`,
    `resolved_source_id` and `reported_source_id`; `source` is the FROM clause that binds the other names."""
    day = f"hw_local_date({touch}.at, a.time_zone)"
    return (
        f"SELECT {account} AS c0, {basis} AS c1, {_KIND.format(column=record_type)} + lv.add_kind AS c2, "
        f"CASE lv.add_kind WHEN 0 THEN substr({day}, 1, 8) || '01' ELSE {day} END AS c3, "
        f"coalesce({touch}.resolved_source_id, 0) AS c4, coalesce({touch}.reported_source_id, 0) AS c5, {sign} AS c6 "
        f"FROM {source} JOIN core_account a ON a.id = {account} JOIN {_LEVELS} lv "
        f"WHERE {record_type} IN {_TYPES}"
    )


def _sqlite_by_record(row: str, sign: int) -> str:
    parts = [
        _sqlite_select(
            account=f"{row}.account_id",
            record_type=f"{row}.record_type",
            basis=str(basis),
            touch="tc",
            sign=sign,
            source="capture_touch tc",
        ).replace("WHERE ", f"WHERE tc.id = {row}.{column} AND ", 1)
        for basis, column in ((FIRST, "first_touch_id"), (LAST, "last_touch_id"))
    ]
    return " UNION ALL ".join(parts)


def _sqlite_by_touch(row: str, sign: int) -> str:
    parts = [
        _sqlite_select(
            account="rt.account_id",
            record_type="rt.record_type",
            basis=str(basis),
            touch=row,
            sign=sign,
            source="capture_recordtouches rt",
        ).replace("WHERE ", f"WHERE rt.{column} = {row}.id AND ", 1)
        for basis, column in ((FIRST, "first_touch_id"), (LAST, "last_touch_id"))
    ]
    return " UNION ALL ".join(parts)


def _sqlite_upsert(select: str) -> str:
    # Each part is a plain SELECT ending in WHERE, which tells SQLite's parser the ON CONFLICT is the INSERT's.
    return f"INSERT INTO {TABLE} ({COLUMNS}) SELECT * FROM ({select}) WHERE true {_UPSERT_SQLITE}"


def _sqlite_trigger_sql() -> list[str]:
    rt_changed = " OR ".join(
        f"OLD.{c} IS NOT NEW.{c}" for c in ("account_id", "record_type", "first_touch_id", "last_touch_id")
    )
    touch_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("at", "resolved_source_id", "reported_source_id"))
    specs = [
        ("capture_recordtouches", "insert", "", [_sqlite_by_record("NEW", 1)]),
        (
            "capture_recordtouches",
            "update",
            f" WHEN {rt_changed}",
            [_sqlite_by_record("OLD", -1), _sqlite_by_record("NEW", 1)],
        ),
        ("capture_recordtouches", "delete", "", [_sqlite_by_record("OLD", -1)]),
        (
            "capture_touch",
            "update",
            f" WHEN {touch_changed}",
            [_sqlite_by_touch("OLD", -1), _sqlite_by_touch("NEW", 1)],
        ),
        ("capture_touch", "delete", "", [_sqlite_by_touch("OLD", -1)]),
    ]
    statements = []
    for table, op, when, bodies in specs:
        name = f"capture_tally_{table}_{op}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW{when} BEGIN "
            + " ".join(f"{_sqlite_upsert(body)};" for body in bodies)
            + " END"
        )
    return statements


# --- What the migrations, the rebuild and the tests use ------------------------------------------------


def trigger_sql(vendor: str) -> list[str]:
    return _pg_trigger_sql() if vendor == "postgresql" else _sqlite_trigger_sql()


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for table, op in (
        ("capture_recordtouches", "insert"),
        ("capture_recordtouches", "update"),
        ("capture_recordtouches", "delete"),
        ("capture_touch", "update"),
        ("capture_touch", "delete"),
    ):
        name = f"capture_tally_{table}_{op}"
        if vendor == "postgresql":
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def fresh_tallies_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """SELECT the touch tallies computed afresh (of the given accounts, or all), in the table's columns."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    if vendor == "postgresql":
        where = "" if ids is None else " AND rt.account_id = ANY(%s)"
        return _pg_grouped(_pg_by_record("capture_recordtouches", 1, where=where)), ([] if ids is None else [ids])
    condition = "" if ids is None else " AND rt.account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    parts = []
    for basis, column in ((FIRST, "first_touch_id"), (LAST, "last_touch_id")):
        parts.append(
            _sqlite_select(
                account="rt.account_id",
                record_type="rt.record_type",
                basis=str(basis),
                touch="tc",
                sign=1,
                source=f"capture_recordtouches rt JOIN capture_touch tc ON tc.id = rt.{column}",
            )
            + condition
        )
    select = (
        "SELECT c0, c1, c2, c3, c4, c5, sum(c6) FROM ("
        + " UNION ALL ".join(f"SELECT * FROM ({part})" for part in parts)
        + ") GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c6) <> 0"
    )
    return select, ([] if ids is None else ids * 2)


def tally_drift(connection: Any, *, account_ids: Iterable[int] | None = None) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    """Keys where the stored touch tallies differ from tallies computed afresh: {key: (stored, fresh)}; empty when the
    triggers kept them exact (the test suite checks it after every test, beside the record tallies)."""
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    if ids == []:
        return {}

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        # The bucket arrives as a date from the table and as text from SQLite's computed rows.
        return (int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]), int(row[5]))

    select, params = fresh_tallies_sql(connection.vendor, ids)
    where = "" if ids is None else " AND account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        fresh = {key(row): int(row[6]) for row in cursor.fetchall()}
        cursor.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE n <> 0{where}", ids or [])
        stored = {key(row): int(row[6]) for row in cursor.fetchall()}
    return {k: (stored.get(k), fresh.get(k)) for k in stored.keys() | fresh.keys() if stored.get(k) != fresh.get(k)}
