"""The SQL that keeps the funnel's tallies (contacts with a deal, contacts with a won deal) equal to the records.

A contact (a company or a person) is "with a deal" while at least one deal points at it (`deals_deal.company_id` or
`person_id`), "won" while at least one of those deals is won; whenever the deals were made. It counts, like in
`SourceTally`'s COMPANY and PERSON kinds, in the local month (day, year) it was created in, for its owner and its
source: `SourceTally` kinds DEAL_CONTACT (8) and WON_CONTACT (9), with the same day (+10) and year (+20) levels.
So the funnel of a period is "of the contacts created in the period, how many have a deal, a won deal, today".

Two tables:
- `stats_contactdeals`, per contact its number of deals and of won deals: kept by triggers on the deals (a count
  added and removed, so concurrent writers on one contact commute like the other tallies' upserts);
- `stats_sourcetally`, changed by the same triggers only when a contact's count crosses 0 <-> 1, and by triggers on
  the contacts when a contact with deals changes its source, owner or creation time, or is deleted.

A deal pointing at a contact that does not exist (deleted earlier in the same transaction, the foreign keys being
deferred on PostgreSQL) is not counted: the collector nulls the deals' contacts before deleting the contact anyway.

On PostgreSQL each trigger first takes the shared advisory lock on the account the record tallies take
(`tally_sql.LOCK_CLASS`, accounts in id order): a time-zone rebuild (exclusive) never misses a write, and no new lock
order appears. Rows are upserted in key order (contacts, then tallies), so two writers cannot deadlock on them.

Known limit (PostgreSQL): a deal trigger places a crossing at its contact's source, owner and creation day as its
snapshot shows them. A concurrent, not yet committed change of those (a merge moving the contact) moves the counts
it saw, without this crossing: the crossing stays at the old place until a rebuild (`stats_tallies --check` shows
it). Serialising the two needs a lock on the contact: taken after the deal's row it deadlocks with merges, before it
with the search-key refreshes (both tried). The fix is a reconciliation per touched contact at commit (a deferred
trigger comparing what is counted with the contact and its counts then).

Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater.stats import tally_sql

TABLE = "stats_contactdeals"
KEY = "account_id, contact_kind, contact_id"
COLUMNS = f"{KEY}, deals, won"
DEALS = "deals_deal"
DEAL_CONTACT, WON_CONTACT = 8, 9  # keep in step with stats.models.TallyKind
# Contact kind, its table, and the deal column pointing at it.
CONTACTS = ((tally_sql.COMPANY, "companies_company", "company_id"), (tally_sql.PERSON, "persons_person", "person_id"))
_WATCHED_DEAL = ("account_id", "company_id", "person_id", "status")
_WATCHED_CONTACT = ("account_id", "owner_id", "source_id", "created_at")
_LOCK = (
    f"PERFORM pg_advisory_xact_lock_shared({tally_sql.LOCK_CLASS}, (x.account_id % 2147483647)::int) "
    "FROM (SELECT DISTINCT account_id FROM {rows} ORDER BY 1) x; "
)
_PG_UPSERT_TALLY = (
    f"INSERT INTO {tally_sql.TABLE} AS t ({tally_sql.COLUMNS}) {{grouped}} "
    f"ON CONFLICT ({tally_sql.KEY}) DO UPDATE SET n = t.n + EXCLUDED.n, cents = t.cents + EXCLUDED.cents, "
    "days = t.days + EXCLUDED.days, dated = t.dated + EXCLUDED.dated"
)


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_contact_facts(table: str, contacts: str, changes: str, *, kind_column: str, join: str) -> str:
    """Tally facts (tally_sql's columns) of the contacts of `table` joined with `changes` (rows with contact_kind,
    contact_id and the signed counts dn, wn of the kinds DEAL_CONTACT and WON_CONTACT)."""
    return (
        f"SELECT c.account_id, coalesce(c.owner_id, 0) AS owner_key, k.kind, "
        "l.day - (extract(day FROM l.day)::int - 1) AS month, l.day AS day, "
        "coalesce(c.source_id, 0) AS source_key, ''::varchar AS currency, k.n, 0::numeric AS cents, 0 AS days, "
        f"0 AS dated FROM {changes} JOIN {contacts} c ON {join} "
        "JOIN core_account a ON a.id = c.account_id "
        "CROSS JOIN LATERAL (SELECT (c.created_at AT TIME ZONE a.time_zone)::date AS day) l "
        f"CROSS JOIN LATERAL (VALUES ({DEAL_CONTACT}, x.dn), ({WON_CONTACT}, x.wn)) k(kind, n) "
        f"WHERE k.n <> 0 AND x.{kind_column} = {{kind}}"
    )


def _pg_deal_deltas(parts: list[tuple[str, int]]) -> str:
    pieces = [
        f"SELECT r.account_id, {kind} AS contact_kind, r.{column} AS contact_id, {sign} AS deals, "
        f"CASE WHEN r.status = 'won' THEN {sign} ELSE 0 END AS won FROM {rows} r WHERE r.{column} IS NOT NULL"
        for rows, sign in parts
        for kind, _table, column in CONTACTS
    ]
    return (
        f"SELECT account_id, contact_kind, contact_id, sum(deals) AS deals, sum(won) AS won "
        f"FROM ({' UNION ALL '.join(pieces)}) p GROUP BY 1, 2, 3 HAVING sum(deals) <> 0 OR sum(won) <> 0"
    )


def _pg_deal_function(parts: list[tuple[str, int]]) -> str:
    exists = " OR ".join(
        f"(d.contact_kind = {kind} AND EXISTS (SELECT 1 FROM {table} c WHERE c.id = d.contact_id))"
        for kind, table, _column in CONTACTS
    )
    facts = " UNION ALL ".join(
        _pg_contact_facts(table, table, "x", kind_column="contact_kind", join="c.id = x.contact_id").format(kind=kind)
        for kind, table, _column in CONTACTS
    )
    return (
        f"WITH d AS ({_pg_deal_deltas(parts)}), "
        f"u AS (INSERT INTO {TABLE} AS t ({COLUMNS}) SELECT d.account_id, d.contact_kind, d.contact_id, d.deals, "
        f"d.won FROM d WHERE {exists} ORDER BY 1, 2, 3 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET deals = t.deals + EXCLUDED.deals, won = t.won + EXCLUDED.won "
        "RETURNING t.account_id, t.contact_kind, t.contact_id, t.deals, t.won), "
        "x AS (SELECT u.contact_kind, u.contact_id, "
        "(u.deals > 0)::int - ((u.deals - d.deals) > 0)::int AS dn, "
        "(u.won > 0)::int - ((u.won - d.won) > 0)::int AS wn FROM u JOIN d ON d.account_id = u.account_id "
        "AND d.contact_kind = u.contact_kind AND d.contact_id = u.contact_id) "
        + _PG_UPSERT_TALLY.format(grouped=tally_sql._pg_grouped(facts))
    )


def _pg_contact_function(kind: int, parts: list[tuple[str, int]], *, delete: bool) -> str:
    changes = " UNION ALL ".join(
        f"SELECT r.id AS contact_id, {kind} AS contact_kind, r.account_id, r.owner_id, r.source_id, r.created_at, "
        f"CASE WHEN cd.deals > 0 THEN {sign} ELSE 0 END AS dn, CASE WHEN cd.won > 0 THEN {sign} ELSE 0 END AS wn "
        f"FROM {rows} r JOIN {TABLE} cd ON cd.account_id = r.account_id AND cd.contact_kind = {kind} "
        "AND cd.contact_id = r.id"
        for rows, sign in parts
    )
    # The changed rows themselves carry the contact's columns (old and new): "c" is the change.
    facts = (
        "SELECT c.account_id, coalesce(c.owner_id, 0) AS owner_key, k.kind, "
        "l.day - (extract(day FROM l.day)::int - 1) AS month, l.day AS day, "
        "coalesce(c.source_id, 0) AS source_key, ''::varchar AS currency, k.n, 0::numeric AS cents, 0 AS days, "
        f"0 AS dated FROM ({changes}) c JOIN core_account a ON a.id = c.account_id "
        "CROSS JOIN LATERAL (SELECT (c.created_at AT TIME ZONE a.time_zone)::date AS day) l "
        f"CROSS JOIN LATERAL (VALUES ({DEAL_CONTACT}, c.dn), ({WON_CONTACT}, c.wn)) k(kind, n) WHERE k.n <> 0"
    )
    statement = _PG_UPSERT_TALLY.format(grouped=tally_sql._pg_grouped(facts)) + "; "
    if delete:
        statement += (
            f"DELETE FROM {TABLE} t USING {parts[0][0]} r WHERE t.account_id = r.account_id "
            f"AND t.contact_kind = {kind} AND t.contact_id = r.id; "
        )
    return statement


def _pg_trigger(name: str, table: str, op: str, *, referencing: str, lock_rows: str, body: str) -> list[str]:
    create = (
        f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
        + _LOCK.format(rows=lock_rows)
        + body
        + " RETURN NULL; END $body$",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        create,
    ]


_PG_OPS = (
    ("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
    ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("new_rows", 1), ("old_rows", -1)]),
    ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
)


def _pg_trigger_sql() -> list[str]:
    statements: list[str] = []
    for op, referencing, parts in _PG_OPS:
        body = _pg_deal_function(parts) + ";"
        statements += _pg_trigger(
            f"stats_funnel_{DEALS}_{op}", DEALS, op, referencing=referencing, lock_rows=parts[0][0], body=body
        )
    for kind, table, _column in CONTACTS:
        # A new contact has no deals yet: only updates and deletes move its place in the funnel.
        for op, referencing, parts in _PG_OPS[1:]:
            body = _pg_contact_function(kind, parts, delete=op == "delete")
            statements += _pg_trigger(
                f"stats_funnel_{table}_{op}", table, op, referencing=referencing, lock_rows=parts[0][0], body=body
            )
    return statements


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite_levels_upsert(facts: str) -> str:
    return (
        f"INSERT INTO {tally_sql.TABLE} ({tally_sql.COLUMNS}) {tally_sql._sqlite_levels(facts, grouped=False)} "
        f"ON CONFLICT ({tally_sql.KEY}) DO UPDATE SET n = n + excluded.n, cents = cents + excluded.cents, "
        "days = days + excluded.days, dated = dated + excluded.dated"
    )


def _sqlite_facts(inner: str, dn: str, wn: str) -> str:
    """Tally facts from `inner` (one contact: account_id, owner_key, source_key, ld its local creation date and the
    columns `dn`, `wn` refer to), for the kinds DEAL_CONTACT (count `dn`) and WON_CONTACT (`wn`)."""
    return (
        f"SELECT x.account_id AS account_id, x.owner_key AS owner_key, k.kind AS kind, "
        "substr(x.ld, 1, 8) || '01' AS month, x.ld AS day, x.source_key AS source_key, '' AS currency, "
        f"CASE k.kind WHEN {DEAL_CONTACT} THEN {dn} ELSE {wn} END AS n, 0 AS cents, 0 AS days, 0 AS dated "
        f"FROM ({inner}) x JOIN (SELECT {DEAL_CONTACT} AS kind UNION ALL SELECT {WON_CONTACT}) k "
        f"WHERE (CASE k.kind WHEN {DEAL_CONTACT} THEN {dn} ELSE {wn} END) <> 0 LIMIT -1"
    )


def _sqlite_deal_change(row: str, sign: int) -> list[str]:
    """A deal `row` (NEW or OLD) added (sign 1) or removed (-1): per contact it points at, the funnel's crossing
    (from the contact's counts before), then the counts."""
    won = f"CASE WHEN {row}.status = 'won' THEN {sign} ELSE 0 END"
    statements = []
    for kind, table, column in CONTACTS:
        inner = (
            "SELECT c.account_id AS account_id, coalesce(c.owner_id, 0) AS owner_key, "
            "coalesce(c.source_id, 0) AS source_key, hw_local_date(c.created_at, a.time_zone) AS ld, "
            "coalesce(cd.deals, 0) AS d0, coalesce(cd.won, 0) AS w0 "
            f"FROM {table} c JOIN core_account a ON a.id = c.account_id "
            f"LEFT JOIN {TABLE} cd ON cd.account_id = c.account_id AND cd.contact_kind = {kind} "
            "AND cd.contact_id = c.id "
            f"WHERE c.id = {row}.{column} LIMIT -1"
        )
        dn = f"((x.d0 + {sign}) > 0) - (x.d0 > 0)"
        wn = f"((x.w0 + ({won})) > 0) - (x.w0 > 0)"
        statements.append(_sqlite_levels_upsert(_sqlite_facts(inner, dn, wn)))
        statements.append(
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT c.account_id, {kind}, c.id, {sign}, {won} "
            f"FROM {table} c WHERE c.id = {row}.{column} "
            "ON CONFLICT (account_id, contact_kind, contact_id) DO UPDATE SET deals = deals + excluded.deals, "
            "won = won + excluded.won"
        )
    return statements


def _sqlite_contact_change(kind: int, row: str, sign: int) -> str:
    inner = (
        f"SELECT {row}.account_id AS account_id, coalesce({row}.owner_id, 0) AS owner_key, "
        f"coalesce({row}.source_id, 0) AS source_key, hw_local_date({row}.created_at, a.time_zone) AS ld, "
        "cd.deals AS deals, cd.won AS won "
        f"FROM {TABLE} cd JOIN core_account a ON a.id = {row}.account_id "
        f"WHERE cd.account_id = {row}.account_id AND cd.contact_kind = {kind} AND cd.contact_id = {row}.id LIMIT -1"
    )
    return _sqlite_levels_upsert(
        _sqlite_facts(
            inner, f"CASE WHEN x.deals > 0 THEN {sign} ELSE 0 END", f"CASE WHEN x.won > 0 THEN {sign} ELSE 0 END"
        )
    )


def _sqlite_trigger(name: str, table: str, op: str, when: str, body: list[str]) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW{when} BEGIN "
        + " ".join(f"{statement};" for statement in body)
        + " END",
    ]


def _sqlite_trigger_sql() -> list[str]:
    statements: list[str] = []
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED_DEAL)
    for op, when, body in (
        ("insert", "", _sqlite_deal_change("NEW", 1)),
        ("update", f" WHEN {changed}", _sqlite_deal_change("OLD", -1) + _sqlite_deal_change("NEW", 1)),
        ("delete", "", _sqlite_deal_change("OLD", -1)),
    ):
        statements += _sqlite_trigger(f"stats_funnel_{DEALS}_{op}", DEALS, op, when, body)
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED_CONTACT)
    for kind, table, _column in CONTACTS:
        update = [_sqlite_contact_change(kind, "OLD", -1), _sqlite_contact_change(kind, "NEW", 1)]
        delete = [
            _sqlite_contact_change(kind, "OLD", -1),
            f"DELETE FROM {TABLE} WHERE account_id = OLD.account_id AND contact_kind = {kind} AND contact_id = OLD.id",
        ]
        statements += _sqlite_trigger(f"stats_funnel_{table}_update", table, "update", f" WHEN {changed}", update)
        statements += _sqlite_trigger(f"stats_funnel_{table}_delete", table, "delete", "", delete)
    return statements


# --- What the migration, the rebuild and the tests use -------------------------------------------------


def _trigger_names() -> list[tuple[str, str]]:
    names = [(f"stats_funnel_{DEALS}_{op}", DEALS) for op in ("insert", "update", "delete")]
    for _kind, table, _column in CONTACTS:
        names += [(f"stats_funnel_{table}_{op}", table) for op in ("update", "delete")]
    return names


def trigger_sql(vendor: str) -> list[str]:
    return _pg_trigger_sql() if vendor == "postgresql" else _sqlite_trigger_sql()


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for name, table in _trigger_names():
        if vendor == "postgresql":
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def _scope(vendor: str, column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    if vendor == "postgresql":
        return f" AND {column} = ANY(%s)", [ids]
    return f" AND {column} IN (" + ", ".join("%s" for _ in ids) + ")", list(ids)


def _fresh_counts(vendor: str, kind: int, ids: list[int] | None) -> tuple[str, list[Any]]:
    table, column = {k: (t, c) for k, t, c in CONTACTS}[kind]
    where, params = _scope(vendor, "c.account_id", ids)
    won = "CASE WHEN d.status = 'won' THEN 1 ELSE 0 END"
    return (
        f"SELECT c.account_id AS account_id, {kind} AS contact_kind, c.id AS contact_id, count(*) AS deals, "
        f"sum({won}) AS won FROM {DEALS} d JOIN {table} c ON c.id = d.{column} WHERE true{where} "
        "GROUP BY c.account_id, c.id"
    ), params


def fresh_counts_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """SELECT each contact's deals and won deals counted afresh (contacts with at least one deal), in the table's
    columns."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    parts, params = [], []
    for kind, _table, _column in CONTACTS:
        sql, more = _fresh_counts(vendor, kind, ids)
        parts.append(sql)
        params += more
    return " UNION ALL ".join(parts), params


def fresh_facts_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """The funnel's tally facts (tally_sql's fact columns) computed afresh from the contacts and their deals."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    if vendor == "postgresql":
        facts = (
            "SELECT c.account_id, coalesce(c.owner_id, 0) AS owner_key, k.kind, "
            "l.day - (extract(day FROM l.day)::int - 1) AS month, l.day AS day, "
            "coalesce(c.source_id, 0) AS source_key, ''::varchar AS currency, 1 AS n, 0::numeric AS cents, "
            "0 AS days, 0 AS dated FROM ({counts}) g JOIN {table} c ON c.id = g.contact_id "
            "JOIN core_account a ON a.id = c.account_id "
            "CROSS JOIN LATERAL (SELECT (c.created_at AT TIME ZONE a.time_zone)::date AS day) l "
            f"CROSS JOIN LATERAL (VALUES ({DEAL_CONTACT}, g.deals > 0), ({WON_CONTACT}, g.won > 0)) k(kind, ok) "
            "WHERE k.ok"
        )
    else:
        facts = (
            "SELECT x.account_id AS account_id, x.owner_key AS owner_key, k.kind AS kind, "
            "substr(x.ld, 1, 8) || '01' AS month, x.ld AS day, x.source_key AS source_key, '' AS currency, 1 AS n, "
            "0 AS cents, 0 AS days, 0 AS dated FROM (SELECT c.account_id AS account_id, "
            "coalesce(c.owner_id, 0) AS owner_key, coalesce(c.source_id, 0) AS source_key, "
            "hw_local_date(c.created_at, a.time_zone) AS ld, g.deals AS deals, g.won AS won "
            "FROM ({counts}) g JOIN {table} c ON c.id = g.contact_id "
            "JOIN core_account a ON a.id = c.account_id LIMIT -1) x "
            f"JOIN (SELECT {DEAL_CONTACT} AS kind UNION ALL SELECT {WON_CONTACT}) k "
            f"WHERE (k.kind = {DEAL_CONTACT} AND x.deals > 0) OR (k.kind = {WON_CONTACT} AND x.won > 0)"
        )
    parts, params = [], []
    for kind, table, _column in CONTACTS:
        counts, more = _fresh_counts(vendor, kind, ids)
        parts.append(f"SELECT * FROM ({facts.format(counts=counts, table=table)}) p{kind}")
        params += more
    return " UNION ALL ".join(parts), params
