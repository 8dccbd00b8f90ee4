"""The SQL that keeps `CohortTally` (deals per cohort month, status and close month) equal to the records: database
triggers on the deal, person and company tables, and the same sums computed afresh.

A deal's cohort is the local month (the account's time zone) in which its *cohort contact* was created: the deal's
person when it has one (of the same account, still existing), else its company, else the deal itself. So:

- the deal triggers follow a deal whose person or company link changes (they watch `person_id` and `company_id`),
  whose source, status, close day, value or currency changes, and deals inserted or deleted;
- the person and company triggers follow a contact whose creation instant changes, or which is deleted (its deals
  then fall back to the company, or to the deal itself; Django's SET NULL of the deal's link comes first and the
  deal trigger moves it, so the contact trigger then finds no deal left on it), or which is inserted after deals
  that already point at it (deferred foreign keys allow that inside a transaction).

A won or lost deal with a close day counts in its close month (`bucket`, the month's first day, a local day
already); an open deal, and a closed one without a close day, in the undated bucket (1 January of year 1). The
source is the deal's own, as everywhere in the statistics.

On PostgreSQL the statement triggers take the same shared advisory lock on each account (`tally_sql.LOCK_CLASS`),
in account order, as `tally_sql`'s and `close_tally_sql`'s, so a time-zone rebuild (exclusive lock) never misses
a write; the upserted keys come in one order, so two writers cannot deadlock on them.
Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater.stats import tally_sql

TABLE = "stats_cohorttally"
KEY = "account_id, cohort, source_key, kind, bucket, currency"
COLUMNS = f"{KEY}, n, cents"
DEALS = "deals_deal"
PERSONS = "persons_person"
COMPANIES = "companies_company"
UNDATED = tally_sql.UNDATED_MONTH
OPEN, WON, LOST, WON_UNDATED, LOST_UNDATED = (
    tally_sql.OPEN,
    tally_sql.WON,
    tally_sql.LOST,
    tally_sql.WON_UNDATED,
    tally_sql.LOST_UNDATED,
)
_DEAL_WATCHED = (
    "account_id",
    "source_id",
    "created_at",
    "status",
    "closed_at",
    "currency",
    "value",
    "person_id",
    "company_id",
)


def _kind(d: str) -> str:
    return (
        f"CASE WHEN {d}.status = 'open' THEN {OPEN} "
        f"WHEN {d}.status = 'won' THEN CASE WHEN {d}.closed_at IS NULL THEN {WON_UNDATED} ELSE {WON} END "
        f"ELSE CASE WHEN {d}.closed_at IS NULL THEN {LOST_UNDATED} ELSE {LOST} END END"
    )


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_facts(deals: str, sign: int, *, person: str, company: str, joins: str = "", where: str = "") -> str:
    """One row per deal of `deals` (a table or transition table aliased `d`): its key and contribution. `person`
    and `company` are the creation instants of the deal's contacts (NULL: none), from `joins`."""
    bucket = (
        f"CASE WHEN d.status <> 'open' AND d.closed_at IS NOT NULL "
        f"THEN d.closed_at - (extract(day FROM d.closed_at)::int - 1) ELSE DATE '{UNDATED}' END"
    )
    return (
        f"SELECT d.account_id, "
        f"date_trunc('month', coalesce({person}, {company}, d.created_at) AT TIME ZONE a.time_zone)::date AS cohort, "
        f"coalesce(d.source_id, 0) AS source_key, {_kind('d')} AS kind, {bucket} AS bucket, "
        f"d.currency::varchar AS currency, {sign} AS n, {sign} * d.value * 100 AS cents "
        f"FROM {deals} JOIN core_account a ON a.id = d.account_id {joins}{where}"
    )


_PG_PERSON = f"LEFT JOIN {PERSONS} p ON p.id = d.person_id AND p.account_id = d.account_id "
_PG_COMPANY = f"LEFT JOIN {COMPANIES} c ON c.id = d.company_id AND c.account_id = d.account_id "


def _pg_deal_facts(deals: str, sign: int, where: str = "") -> str:
    return _pg_facts(
        deals, sign, person="p.created_at", company="c.created_at", joins=_PG_PERSON + _PG_COMPANY, where=where
    )


def _pg_grouped(facts: str) -> str:
    return (
        "SELECT f.account_id, f.cohort, f.source_key, f.kind, f.bucket, f.currency, sum(f.n), sum(f.cents) "
        f"FROM ({facts}) f GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.n) <> 0 OR sum(f.cents) <> 0 "
        "ORDER BY 1, 2, 3, 4, 5, 6"
    )


def _pg_function(name: str, lock_rows: str, facts: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
        f"PERFORM pg_advisory_xact_lock_shared({tally_sql.LOCK_CLASS}, (x.account_id % 2147483647)::int) "
        f"FROM (SELECT DISTINCT account_id FROM {lock_rows} ORDER BY 1) x; "
        f"INSERT INTO {TABLE} AS t ({COLUMNS}) {_pg_grouped(facts)} "
        "ON CONFLICT (account_id, cohort, source_key, kind, bucket, currency) "
        "DO UPDATE SET n = t.n + EXCLUDED.n, cents = t.cents + EXCLUDED.cents; "
        "RETURN NULL; END $body$"
    )


def _pg_contact_facts(table: str, op: str) -> str:
    """The deals of the changed contacts of `table`, out of the cohort the old contact gave them (-1) and into the
    one the new contact (or, deleted, the fallback) gives them (+1). Only contacts whose creation instant changed."""
    is_person = table == PERSONS
    link = "person_id" if is_person else "company_id"
    changed = "FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.created_at IS DISTINCT FROM n.created_at"
    changed_old, changed_new = {
        "update": (
            f"(SELECT o.id, o.account_id, o.created_at {changed})",
            f"(SELECT n.id, n.account_id, n.created_at {changed})",
        ),
        "delete": (
            "(SELECT o.id, o.account_id, o.created_at FROM old_rows o)",
            "(SELECT o.id, o.account_id, NULL::timestamptz AS created_at FROM old_rows o)",
        ),
        # A contact inserted after deals that already point at it (deferred foreign keys allow it in a transaction).
        "insert": (
            "(SELECT n.id, n.account_id, NULL::timestamptz AS created_at FROM new_rows n)",
            "(SELECT n.id, n.account_id, n.created_at FROM new_rows n)",
        ),
    }[op]
    other = _PG_COMPANY if is_person else _PG_PERSON
    parts = []
    for sign, rows in ((-1, changed_old), (1, changed_new)):
        joins = f"JOIN {rows} k ON k.id = d.{link} AND k.account_id = d.account_id {other}"
        person, company = ("k.created_at", "c.created_at") if is_person else ("p.created_at", "k.created_at")
        parts.append(_pg_facts(f"{DEALS} d", sign, person=person, company=company, joins=joins))
    return " UNION ALL ".join(parts)


def _pg_trigger_sql() -> list[str]:
    statements = []
    for op, referencing, parts in (
        ("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("new_rows", 1), ("old_rows", -1)]),
        ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
    ):
        name = f"stats_cohort_{DEALS}_{op}"
        facts = " UNION ALL ".join(_pg_deal_facts(f"{rows} d", sign) for rows, sign in parts)
        statements += [
            _pg_function(name, parts[0][0], facts),
            f"DROP TRIGGER IF EXISTS {name} ON {DEALS}",
            (
                f"CREATE TRIGGER {name} AFTER {op.upper()} ON {DEALS} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            ),
        ]
    for table in (PERSONS, COMPANIES):
        for op, referencing, lock_rows in (
            ("insert", "NEW TABLE AS new_rows", "new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", "old_rows"),
            ("delete", "OLD TABLE AS old_rows", "old_rows"),
        ):
            name = f"stats_cohort_{table}_{op}"
            statements += [
                _pg_function(name, lock_rows, _pg_contact_facts(table, op)),
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                (
                    f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                ),
            ]
    return statements


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite_person(d: str) -> str:
    return f"(SELECT p.created_at FROM {PERSONS} p WHERE p.id = {d}.person_id AND p.account_id = {d}.account_id)"


def _sqlite_company(d: str) -> str:
    return f"(SELECT c.created_at FROM {COMPANIES} c WHERE c.id = {d}.company_id AND c.account_id = {d}.account_id)"


def _sqlite_facts(d: str, sign: int, *, person: str, company: str, source: str, grouped: bool) -> str:
    """The key and contribution of deal `d` (`NEW`/`OLD` in a deal trigger, or an alias of `source`): `person` and
    `company` the creation instants of its contacts (NULL: none). Grouped when one statement adds several deals."""
    local = f"hw_local_date(coalesce({person}, {company}, {d}.created_at), a.time_zone)"
    bucket = (
        f"CASE WHEN {d}.status <> 'open' AND {d}.closed_at IS NOT NULL "
        f"THEN substr({d}.closed_at, 1, 8) || '01' ELSE '{UNDATED}' END"
    )
    sums = "sum(n), sum(cents)" if grouped else "n, cents"
    tail = " GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 OR sum(cents) <> 0" if grouped else " WHERE true"
    return (
        f"SELECT account_id, cohort, source_key, kind, bucket, currency, {sums} FROM ("
        f"SELECT {d}.account_id AS account_id, substr({local}, 1, 8) || '01' AS cohort, "
        f"coalesce({d}.source_id, 0) AS source_key, {_kind(d)} AS kind, {bucket} AS bucket, "
        f"{d}.currency AS currency, {sign} AS n, {sign} * CAST(ROUND({d}.value * 100) AS INTEGER) AS cents "
        f"FROM {source}) x{tail}"
    )


def _sqlite_upsert(select: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) {select} "
        "ON CONFLICT (account_id, cohort, source_key, kind, bucket, currency) "
        "DO UPDATE SET n = n + excluded.n, cents = cents + excluded.cents"
    )


def _sqlite_deal(row: str, sign: int) -> str:
    return _sqlite_upsert(
        _sqlite_facts(
            row,
            sign,
            person=_sqlite_person(row),
            company=_sqlite_company(row),
            source=f"core_account a WHERE a.id = {row}.account_id",
            grouped=False,
        )
    )


def _sqlite_contact(table: str, sign: int, created_at: str, row: str = "OLD") -> str:
    """The deals of contact `row` (OLD or NEW, of `table`), counted with the creation instant `created_at` (NULL:
    no such contact)."""
    is_person = table == PERSONS
    link = "person_id" if is_person else "company_id"
    person, company = (created_at, _sqlite_company("d")) if is_person else (_sqlite_person("d"), created_at)
    return _sqlite_upsert(
        _sqlite_facts(
            "d",
            sign,
            person=person,
            company=company,
            source=f"{DEALS} d JOIN core_account a ON a.id = d.account_id "
            f"WHERE d.account_id = {row}.account_id AND d.{link} = {row}.id",
            grouped=True,
        )
    )


def _sqlite_trigger_sql() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _DEAL_WATCHED)
    statements = []
    bodies: list[tuple[str, str, str, list[str]]] = [
        (DEALS, "insert", "", [_sqlite_deal("NEW", 1)]),
        (DEALS, "update", f" WHEN {changed}", [_sqlite_deal("OLD", -1), _sqlite_deal("NEW", 1)]),
        (DEALS, "delete", "", [_sqlite_deal("OLD", -1)]),
    ]
    for table in (PERSONS, COMPANIES):
        bodies.append(
            (
                table,
                "insert",
                "",
                [_sqlite_contact(table, -1, "NULL", "NEW"), _sqlite_contact(table, 1, "NEW.created_at", "NEW")],
            )
        )
        bodies.append(
            (
                table,
                "update",
                " WHEN OLD.created_at IS NOT NEW.created_at",
                [_sqlite_contact(table, -1, "OLD.created_at"), _sqlite_contact(table, 1, "NEW.created_at")],
            )
        )
        bodies.append(
            (table, "delete", "", [_sqlite_contact(table, -1, "OLD.created_at"), _sqlite_contact(table, 1, "NULL")])
        )
    for table, op, when, body in bodies:
        name = f"stats_cohort_{table}_{op}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW{when} BEGIN "
            + " ".join(f"{statement};" for statement in body)
            + " END"
        )
    return statements


def sqlite_insert_trigger_sql(*, create: bool) -> str:
    """Drop (or create again) the deal table's insert trigger, for a bulk insert (services.tallies_bulk_insert)."""
    return _sqlite_trigger_sql()[1] if create else f"DROP TRIGGER IF EXISTS stats_cohort_{DEALS}_insert"


def sqlite_add_rows_sql() -> str:
    """Add the deals with ids from %s to %s, grouped: what the insert trigger would have added row by row."""
    return _sqlite_upsert(
        _sqlite_facts(
            "d",
            1,
            person=_sqlite_person("d"),
            company=_sqlite_company("d"),
            source=f"{DEALS} d JOIN core_account a ON a.id = d.account_id WHERE d.id BETWEEN %s AND %s",
            grouped=True,
        )
    )


def sqlite_contact_insert_trigger_sql(table: str, *, create: bool) -> str:
    """Drop (or create again) a contact table's insert trigger, for a bulk insert (services.tallies_bulk_insert)."""
    name = f"stats_cohort_{table}_insert"
    if not create:
        return f"DROP TRIGGER IF EXISTS {name}"
    return next(statement for statement in _sqlite_trigger_sql() if statement.startswith(f"CREATE TRIGGER {name} "))


def sqlite_add_contacts_sql(table: str) -> list[str]:
    """Add the contacts of `table` with ids from %s to %s (each statement takes the two), grouped: what the insert
    trigger would have done row by row. Its two statements per contact move the deals pointing at the contact from
    "no such contact" to the contact's creation instant; over the range, the same two, each once for every deal
    pointing at one of its contacts (as a rule none: a new contact has no deal yet)."""
    link = "person_id" if table == PERSONS else "company_id"
    source = (
        f"{DEALS} d JOIN {table} t ON t.id = d.{link} AND t.account_id = d.account_id "
        "JOIN core_account a ON a.id = d.account_id WHERE t.id BETWEEN %s AND %s"
    )
    statements = []
    for sign, created_at in ((-1, "NULL"), (1, "t.created_at")):
        person, company = (created_at, _sqlite_company("d")) if table == PERSONS else (_sqlite_person("d"), created_at)
        statements.append(
            _sqlite_upsert(_sqlite_facts("d", sign, person=person, company=company, source=source, grouped=True))
        )
    return statements


# --- What the migration, the rebuild and the drift check use -------------------------------------------

_TRIGGERS = [(DEALS, op) for op in ("insert", "update", "delete")] + [
    (table, op) for table in (PERSONS, COMPANIES) for op in ("insert", "update", "delete")
]


def trigger_sql(vendor: str) -> list[str]:
    return _pg_trigger_sql() if vendor == "postgresql" else _sqlite_trigger_sql()


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for table, op in _TRIGGERS:
        name = f"stats_cohort_{table}_{op}"
        if vendor == "postgresql":
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def fresh_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """SELECT the sums computed afresh from the deals (of the given accounts, or all), in the table's columns."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    if vendor == "postgresql":
        where = "" if ids is None else " WHERE d.account_id = ANY(%s)"
        return _pg_grouped(_pg_deal_facts(f"{DEALS} d", 1, where=where)), ([] if ids is None else [ids])
    condition = "" if ids is None else " WHERE d.account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    select = _sqlite_facts(
        "d",
        1,
        person=_sqlite_person("d"),
        company=_sqlite_company("d"),
        source=f"{DEALS} d JOIN core_account a ON a.id = d.account_id{condition}",
        grouped=True,
    )
    return select, ([] if ids is None else ids)
