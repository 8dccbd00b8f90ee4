"""The SQL that keeps the funnel's tallies (contacts with a deal, contacts with a won deal) equal to the records.

A contact (a company or a person) is "with a deal" while at least one deal points at it (`deals_deal.company_id` or
`person_id`), "won" while at least one of those deals is won; whenever the deals were made. It counts, like in
`SourceTally`'s COMPANY and PERSON kinds, in the local month (day, year) it was created in, for its owner and its
source: `SourceTally` kinds DEAL_CONTACT (8) and WON_CONTACT (9), with the same day (+10) and year (+20) levels.
So the funnel of a period is "of the contacts created in the period, how many have a deal, a won deal, today".

Two tables:
- `stats_contactdeals`, per contact its number of deals and of won deals, and where it is counted in the tallies
  (`owner_key`, `source_key`, `day`: its owner, source and local creation day when last counted);
- `stats_sourcetally`, changed only when a contact's count crosses 0 <-> 1 or when a contact with deals changes its
  source, owner or creation time, or is deleted.

SQLite (one writer at a time): row triggers on the deals and the contacts change both at once, reading the contact.

PostgreSQL: a crossing has to land where the contact is when its transaction commits, and a merge may be moving
the contact at the same moment. So the statement triggers only note what changed, per contact, in the unlogged
`stats_funnelpending` (this transaction's deal and won-deal deltas; a contact whose source, owner or creation time
changed, or that was deleted, with zero deltas), and a deferred constraint trigger (`stats_funnel_reconcile`,
queued once per transaction by a marker row) applies them at commit:
1. it upserts the touched contacts' `stats_contactdeals` rows in key order with the deltas (a row made if missing,
   also for a moved contact without deals): this row lock is where two writers of one contact meet, the later one
   waiting until the other commits;
2. in the next statement (a new snapshot, which sees what that writer committed) it moves each contact from where its
   row says it is counted (with the counts before this transaction) to where the contact is now (with the counts
   after), in the tallies' key order, and writes that place on the row (or deletes the row: contact gone, or no deal
   left).
No trigger reads a contact's place from an older snapshot any more, so a crossing and a concurrent move cannot miss
each other. It cannot deadlock: the locks it takes (contact rows of `stats_contactdeals`, then the funnel's tally rows,
each in key order) are taken by nothing but other transactions' commits, which take nothing after them; the
statements themselves only insert rows of their own transaction and take the accounts' shared advisory lock
(`tally_sql.LOCK_CLASS`, in account order, as the record tallies do: a time-zone rebuild never misses a write).
The cost: per transaction that touches deals or contacts, one trigger call at commit; per contact, a pending row
written and deleted, and a moved contact without deals gets a row made and deleted at commit.

Until its commit, a transaction's own reads see the funnel's tallies without its changes; `settle` applies them at
once (`stats_funnel_apply()`, the function the trigger calls; the drift check and a rebuild do), and the tests,
which never commit, switch the constraint to IMMEDIATE. Applying them before the commit takes those locks early:
only a rebuild does it in production, under locks that keep every other writer of its accounts out.

A deal pointing at a contact that does not exist (deleted earlier in the same transaction, the foreign keys being
deferred on PostgreSQL) is not counted: the collector nulls the deals' contacts before deleting the contact anyway.

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
COUNT_COLUMNS = f"{KEY}, deals, won"  # what migration 0007 filled, before the placement columns existed
PLACEMENT = "owner_key, source_key, day"
COLUMNS = f"{COUNT_COLUMNS}, {PLACEMENT}"
# PostgreSQL only: what this transaction's writes changed, per contact (tx: txid_current()); emptied at commit.
PENDING = "stats_funnelpending"
RECONCILE = "stats_funnel_reconcile"  # the deferred trigger (and its function), calling APPLY at commit
APPLY = "stats_funnel_apply"  # applies this transaction's pending changes (also callable: `settle`)
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
# The statement triggers only note, per contact, what changed (`PENDING`); the deferred trigger `RECONCILE` moves
# the counts and the tallies at commit (see the module's docstring).

_PENDING_COLUMNS = f"tx, {COUNT_COLUMNS}"
_PG_PENDING_TABLE = [
    # UNLOGGED: its rows never outlive their transaction, so they need no WAL (and a crash loses none that matter).
    (
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {PENDING} (tx bigint NOT NULL, account_id bigint NOT NULL, "
        "contact_kind smallint NOT NULL, contact_id bigint NOT NULL, deals bigint NOT NULL, won bigint NOT NULL)"
    ),
    f"CREATE INDEX IF NOT EXISTS {PENDING}_tx ON {PENDING} (tx)",
]


def _pg_note(changes: str) -> str:
    """Note `changes` (rows: account_id, contact_kind, contact_id, deals, won) for this transaction, and the marker
    row (contact_kind 0) that queues the reconciliation at commit, once per transaction."""
    return (
        f"WITH p AS (INSERT INTO {PENDING} ({_PENDING_COLUMNS}) SELECT txid_current(), ch.* FROM ({changes}) ch "
        f"RETURNING 1) INSERT INTO {PENDING} ({_PENDING_COLUMNS}) SELECT txid_current(), 0, 0, 0, 0, 0 "
        f"WHERE EXISTS (SELECT 1 FROM p) AND NOT EXISTS (SELECT 1 FROM {PENDING} m "
        "WHERE m.tx = txid_current() AND m.contact_kind = 0);"
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


def _pg_contact_changes(kind: int, op: str) -> str:
    if op == "update":
        # Only the contacts whose place in the funnel changed; all of them, with deals or not (yet): a deal written
        # at the same moment by a transaction not yet committed meets this one on the contact's row at commit.
        return (
            f"SELECT n.account_id, {kind}::smallint, n.id, 0::bigint, 0::bigint FROM new_rows n "
            "JOIN old_rows o ON o.id = n.id WHERE (o.account_id, o.owner_id, o.source_id, o.created_at) "
            "IS DISTINCT FROM (n.account_id, n.owner_id, n.source_id, n.created_at)"
        )
    # A deleted contact: only one counted (a deal being written for it fails on its foreign key anyway).
    return (
        f"SELECT o.account_id, {kind}::smallint, o.id, 0::bigint, 0::bigint FROM old_rows o WHERE EXISTS "
        f"(SELECT 1 FROM {TABLE} cd WHERE cd.account_id = o.account_id AND cd.contact_kind = {kind} "
        "AND cd.contact_id = o.id)"
    )


def _pg_placement(kind: int, table: str) -> str:
    """The place of the contact `x` points at, as this statement sees it; no row when it no longer exists."""
    return (
        "SELECT coalesce(k.owner_id, 0) AS owner_key, coalesce(k.source_id, 0) AS source_key, "
        f"(k.created_at AT TIME ZONE a.time_zone)::date AS day FROM {table} k JOIN core_account a "
        f"ON a.id = k.account_id WHERE x.contact_kind = {kind} AND k.id = x.contact_id"
    )


def _pg_apply_function() -> str:
    mine = f"FROM {PENDING} WHERE tx = me AND contact_kind <> 0"
    placements = " UNION ALL ".join(_pg_placement(kind, table) for kind, table, _column in CONTACTS)
    key = "t.account_id = c.account_id AND t.contact_kind = c.contact_kind AND t.contact_id = c.contact_id"
    side = (
        "SELECT c.account_id, c.{o} AS owner_key, k.kind, c.{d} - (extract(day FROM c.{d})::int - 1) AS month, "
        "c.{d} AS day, c.{s} AS source_key, ''::varchar AS currency, {sign} AS n, 0::numeric AS cents, 0 AS days, "
        f"0 AS dated FROM c CROSS JOIN LATERAL (VALUES ({DEAL_CONTACT}, {{deals}} > 0), ({WON_CONTACT}, {{won}} > 0)) "
        "k(kind, counted) WHERE k.counted AND c.{d} IS NOT NULL"
    )
    facts = (
        side.format(o="o0", s="s0", d="d0", sign=-1, deals="c.deals - c.dd", won="c.won - c.dw")
        + " UNION ALL "
        + side.format(o="o1", s="s1", d="d1", sign=1, deals="c.deals", won="c.won")
    )
    return (
        f"CREATE OR REPLACE FUNCTION {APPLY}() RETURNS void LANGUAGE plpgsql AS $body$ "
        "DECLARE me bigint := txid_current(); BEGIN "
        f"IF EXISTS (SELECT 1 {mine}) THEN "
        # 1. Each touched contact's row, locked in key order (made if missing), with this transaction's counts: a
        # concurrent writer of the same contact waits here until the other commits, and the next statement then
        # sees what it committed.
        f"INSERT INTO {TABLE} AS t ({COUNT_COLUMNS}) SELECT account_id, contact_kind, contact_id, sum(deals), "
        f"sum(won) {mine} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET deals = t.deals + EXCLUDED.deals, won = t.won + EXCLUDED.won "
        # (a row not changed is still locked: PostgreSQL locks every conflicting row of ON CONFLICT DO UPDATE)
        "WHERE EXCLUDED.deals <> 0 OR EXCLUDED.won <> 0; "
        # 2. From where the row says the contact is counted (o0, s0, d0, with its counts before this transaction)
        # to where the contact is now (o1, s1, d1; none if deleted), in the tallies' key order.
        f"WITH x AS (SELECT account_id, contact_kind, contact_id, sum(deals) AS dd, sum(won) AS dw {mine} "
        "GROUP BY 1, 2, 3), "
        "c AS (SELECT x.account_id, x.contact_kind, x.contact_id, x.dd, x.dw, t.deals, t.won, t.owner_key AS o0, "
        "t.source_key AS s0, t.day AS d0, pl.owner_key AS o1, pl.source_key AS s1, pl.day AS d1 "
        f"FROM x JOIN {TABLE} t ON t.account_id = x.account_id AND t.contact_kind = x.contact_kind "
        f"AND t.contact_id = x.contact_id LEFT JOIN LATERAL ({placements}) pl ON true), "
        f"kept AS (UPDATE {TABLE} t SET owner_key = c.o1, source_key = c.s1, day = c.d1 FROM c WHERE {key} "
        "AND c.d1 IS NOT NULL AND (c.deals <> 0 OR c.won <> 0) "
        "AND (t.owner_key, t.source_key, t.day) IS DISTINCT FROM (c.o1, c.s1, c.d1) RETURNING 1), "
        f"gone AS (DELETE FROM {TABLE} t USING c WHERE {key} AND (c.d1 IS NULL OR (c.deals = 0 AND c.won = 0)) "
        "RETURNING 1) " + _PG_UPSERT_TALLY.format(grouped=tally_sql._pg_grouped(facts)) + "; END IF; "
        f"DELETE FROM {PENDING} WHERE tx = me; END $body$"
    )


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
    statements: list[str] = [
        *_PG_PENDING_TABLE,
        _pg_apply_function(),
        (
            f"CREATE OR REPLACE FUNCTION {RECONCILE}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"PERFORM {APPLY}(); RETURN NULL; END $body$"
        ),
        f"DROP TRIGGER IF EXISTS {RECONCILE} ON {PENDING}",
        (
            f"CREATE CONSTRAINT TRIGGER {RECONCILE} AFTER INSERT ON {PENDING} DEFERRABLE INITIALLY DEFERRED "
            f"FOR EACH ROW WHEN (NEW.contact_kind = 0) EXECUTE FUNCTION {RECONCILE}()"
        ),
    ]
    for op, referencing, parts in _PG_OPS:
        statements += _pg_trigger(
            f"stats_funnel_{DEALS}_{op}",
            DEALS,
            op,
            referencing=referencing,
            lock_rows=parts[0][0],
            body=_pg_note(_pg_deal_deltas(parts)),
        )
    for kind, table, _column in CONTACTS:
        # A new contact has no deals yet: only updates and deletes move its place in the funnel.
        for op, referencing, parts in _PG_OPS[1:]:
            statements += _pg_trigger(
                f"stats_funnel_{table}_{op}",
                table,
                op,
                referencing=referencing,
                lock_rows=parts[0][0],
                body=_pg_note(_pg_contact_changes(kind, op)),
            )
    return statements


def settle(cursor: Any, vendor: str, *, in_transaction: bool) -> None:
    """Apply this transaction's funnel changes now rather than at commit (PostgreSQL), so a read later in the same
    transaction sees them: the statistics' read, the drift check, a rebuild. Nothing to do on SQLite (its triggers
    apply them at once) or outside a transaction (each statement committed and applied them)."""
    if vendor == "postgresql" and in_transaction:
        cursor.execute(f"SELECT {APPLY}()")  # the trigger still queued at commit then finds nothing to do


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
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT c.account_id, {kind}, c.id, {sign}, {won}, "
            "coalesce(c.owner_id, 0), coalesce(c.source_id, 0), hw_local_date(c.created_at, a.time_zone) "
            f"FROM {table} c JOIN core_account a ON a.id = c.account_id WHERE c.id = {row}.{column} "
            "ON CONFLICT (account_id, contact_kind, contact_id) DO UPDATE SET deals = deals + excluded.deals, "
            "won = won + excluded.won, owner_key = excluded.owner_key, source_key = excluded.source_key, "
            "day = excluded.day"
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
        update = [
            _sqlite_contact_change(kind, "OLD", -1),
            _sqlite_contact_change(kind, "NEW", 1),
            (
                f"UPDATE {TABLE} SET owner_key = coalesce(NEW.owner_id, 0), source_key = coalesce(NEW.source_id, 0), "
                "day = hw_local_date(NEW.created_at, "
                "(SELECT a.time_zone FROM core_account a WHERE a.id = NEW.account_id)) "
                f"WHERE account_id = OLD.account_id AND contact_kind = {kind} AND contact_id = OLD.id"
            ),
        ]
        delete = [
            _sqlite_contact_change(kind, "OLD", -1),
            f"DELETE FROM {TABLE} WHERE account_id = OLD.account_id AND contact_kind = {kind} AND contact_id = OLD.id",
        ]
        statements += _sqlite_trigger(f"stats_funnel_{table}_update", table, "update", f" WHEN {changed}", update)
        statements += _sqlite_trigger(f"stats_funnel_{table}_delete", table, "delete", "", delete)
    return statements


def sqlite_insert_trigger_sql(*, create: bool) -> str:
    """Drop (or create again) the deal table's insert trigger, for a bulk insert (services.tallies_bulk_insert)."""
    return _sqlite_trigger_sql()[1] if create else f"DROP TRIGGER IF EXISTS stats_funnel_{DEALS}_insert"


def sqlite_add_rows_sql() -> list[str]:
    """Add the deals with ids from %s to %s (each statement takes the two), grouped by the contact they point at:
    what the insert trigger would have done row by row. Per contact, the row trigger's crossings one deal after
    another add up to one crossing from the contact's counts before the deals to its counts after them
    ((d0 + d > 0) - (d0 > 0)), and its counts grow by the deals' number and won deals'; the contact's place is the
    same for each of its deals (the contacts do not change while the deals are inserted). The local date is computed
    once per contact and statement instead of once per deal."""
    statements = []
    for kind, table, column in CONTACTS:
        added = (
            f"SELECT {column} AS contact_id, count(*) AS d, sum(status = 'won') AS w FROM {DEALS} "
            f"WHERE id BETWEEN %s AND %s AND {column} IS NOT NULL GROUP BY {column}"
        )
        inner = (
            "SELECT c.account_id AS account_id, coalesce(c.owner_id, 0) AS owner_key, "
            "coalesce(c.source_id, 0) AS source_key, hw_local_date(c.created_at, a.time_zone) AS ld, "
            "coalesce(cd.deals, 0) AS d0, coalesce(cd.won, 0) AS w0, n.d AS d, n.w AS w "
            f"FROM ({added}) n JOIN {table} c ON c.id = n.contact_id JOIN core_account a ON a.id = c.account_id "
            f"LEFT JOIN {TABLE} cd ON cd.account_id = c.account_id AND cd.contact_kind = {kind} "
            "AND cd.contact_id = c.id LIMIT -1"
        )
        facts = _sqlite_facts(inner, "((x.d0 + x.d) > 0) - (x.d0 > 0)", "((x.w0 + x.w) > 0) - (x.w0 > 0)")
        statements.append(
            f"INSERT INTO {tally_sql.TABLE} ({tally_sql.COLUMNS}) {tally_sql._sqlite_levels(facts, grouped=True)} "
            f"ON CONFLICT ({tally_sql.KEY}) DO UPDATE SET n = n + excluded.n, cents = cents + excluded.cents, "
            "days = days + excluded.days, dated = dated + excluded.dated"
        )
        statements.append(
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT c.account_id, {kind}, c.id, n.d, n.w, "
            "coalesce(c.owner_id, 0), coalesce(c.source_id, 0), hw_local_date(c.created_at, a.time_zone) "
            f"FROM ({added}) n JOIN {table} c ON c.id = n.contact_id JOIN core_account a ON a.id = c.account_id "
            "WHERE true ON CONFLICT (account_id, contact_kind, contact_id) DO UPDATE SET "
            "deals = deals + excluded.deals, won = won + excluded.won, owner_key = excluded.owner_key, "
            "source_key = excluded.source_key, day = excluded.day"
        )
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
    if vendor == "postgresql":
        # Dropping the table drops its trigger (call it before the transaction wrote any record).
        statements += [
            f"DROP TABLE IF EXISTS {PENDING}",
            f"DROP FUNCTION IF EXISTS {RECONCILE}()",
            f"DROP FUNCTION IF EXISTS {APPLY}()",
        ]
    return statements


def _scope(vendor: str, column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    if ids is None:
        return "", []
    if vendor == "postgresql":
        return f" AND {column} = ANY(%s)", [ids]
    return f" AND {column} IN (" + ", ".join("%s" for _ in ids) + ")", list(ids)


def _fresh_counts(vendor: str, kind: int, ids: list[int] | None, *, placement: bool) -> tuple[str, list[Any]]:
    table, column = {k: (t, c) for k, t, c in CONTACTS}[kind]
    where, params = _scope(vendor, "c.account_id", ids)
    won = "CASE WHEN d.status = 'won' THEN 1 ELSE 0 END"
    if not placement:
        return (
            f"SELECT c.account_id AS account_id, {kind} AS contact_kind, c.id AS contact_id, count(*) AS deals, "
            f"sum({won}) AS won FROM {DEALS} d JOIN {table} c ON c.id = d.{column} WHERE true{where} "
            "GROUP BY c.account_id, c.id"
        ), params
    day = (
        "(c.created_at AT TIME ZONE a.time_zone)::date"
        if vendor == "postgresql"
        else "hw_local_date(c.created_at, a.time_zone)"
    )
    return (
        f"SELECT c.account_id AS account_id, {kind} AS contact_kind, c.id AS contact_id, count(*) AS deals, "
        f"sum({won}) AS won, coalesce(c.owner_id, 0) AS owner_key, coalesce(c.source_id, 0) AS source_key, "
        f"{day} AS day FROM {DEALS} d JOIN {table} c ON c.id = d.{column} JOIN core_account a ON a.id = c.account_id "
        f"WHERE true{where} GROUP BY c.account_id, c.id, c.owner_id, c.source_id, c.created_at, a.time_zone"
    ), params


def fresh_counts_sql(
    vendor: str, account_ids: Iterable[int] | None, *, placement: bool = True
) -> tuple[str, list[Any]]:
    """SELECT each contact's deals and won deals counted afresh (contacts with at least one deal), with where the
    contact counts in the funnel (`PLACEMENT`), in the table's `COLUMNS` (without `placement`: `COUNT_COLUMNS`)."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    parts, params = [], []
    for kind, _table, _column in CONTACTS:
        sql, more = _fresh_counts(vendor, kind, ids, placement=placement)
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
        counts, more = _fresh_counts(vendor, kind, ids, placement=False)
        parts.append(f"SELECT * FROM ({facts.format(counts=counts, table=table)}) p{kind}")
        params += more
    return " UNION ALL ".join(parts), params
