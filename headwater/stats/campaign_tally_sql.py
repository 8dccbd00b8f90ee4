"""The SQL that keeps `CampaignTally` (records per campaign) equal to the records: database triggers on the three
record tables, and the same sums computed afresh. docs/statistics.md, "Campaigns".

Built on `tally_sql`'s facts with their `campaign` option: a record's kind, local month and day (account time
zone), currency, value and days to close are the very numbers `SourceTally` sums, so a campaign's figures and its
source's always describe the same records. Only records with a campaign count (a record without one needs no row:
its source's "(no campaign)" figures are the source's less its campaigns'). Kept for all owners only (spend has no
owner, and the campaign figures go with the spend), at three levels: the local month (kind), day (kind + 10) and
year (kind + 20), so a period's days outside whole months need no records either. A row is keyed by the record's
source too: when a source merge moves records, their campaign rows move with them, and a source's campaigns always
add up to at most the source itself.

Separate triggers from `tally_sql`'s (named `stats_campaigns_...`), as `close_tally_sql`'s are. On PostgreSQL each
takes the same shared advisory lock on the account first (the lock `tally_sql` and `close_tally_sql` take, in the
same order: per account ascending, before any tally row), so a time-zone rebuild (exclusive) never misses a record.
PostgreSQL fires a table's triggers in name order, so a write locks its campaign tally rows, then its days-to-close
rows, then its source tally rows, always in that order and each set sorted: every campaign row a write locks maps
to one source tally row with the same kind, day and source that the same write locks next, so two writers that
meet on a campaign row meet on that source row too, in the same order — no new deadlock (docs/statistics.md).

Changing anything here needs a new migration that runs `trigger_sql` again.
"""

# SQL built from this module's constants only; no value from outside is ever formatted into it.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from headwater.stats import tally_sql

TABLE = "stats_campaigntally"
KEY = "account_id, kind, bucket, source_key, campaign_key, currency"
COLUMNS = f"{KEY}, n, cents, days, dated"
RECORD_TABLES = tally_sql.RECORD_TABLES
_SUMS = "sum(f.n), sum(f.cents), sum(f.days), sum(f.dated)"
_NONZERO = "sum(f.n) <> 0 OR sum(f.cents) <> 0 OR sum(f.days) <> 0 OR sum(f.dated) <> 0"
_UPDATE = "n = {t}n + {e}.n, cents = {t}cents + {e}.cents, days = {t}days + {e}.days, dated = {t}dated + {e}.dated"


def _name(table: str, op: str) -> str:
    return f"stats_campaigns_{table}_{op}"


# --- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_grouped(facts: str) -> str:
    """The facts summed per key, each record in its month, its day (none for undated closed deals) and its year;
    keys in one order, so two writers upserting several keys lock them in the same order."""
    return (
        f"SELECT f.account_id, o.kind, o.bucket, f.source_key, f.campaign_key, f.currency, {_SUMS} "
        f"FROM ({facts}) f CROSS JOIN LATERAL (VALUES (f.kind, f.month), (f.kind + {tally_sql.DAILY}, f.day), "
        f"(f.kind + {tally_sql.YEARLY}, make_date(extract(year FROM f.month)::int, 1, 1))) o(kind, bucket) "
        "WHERE o.bucket IS NOT NULL "
        f"GROUP BY 1, 2, 3, 4, 5, 6 HAVING {_NONZERO} ORDER BY 1, 2, 3, 4, 5, 6"
    )


def _pg_trigger_sql(table: str) -> list[str]:
    statements = []
    for op, referencing, parts in (
        ("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
        ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("new_rows", 1), ("old_rows", -1)]),
        ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
    ):
        name = _name(table, op)
        facts = " UNION ALL ".join(tally_sql._pg_facts(table, rows, sign, campaign=True) for rows, sign in parts)
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            f"PERFORM pg_advisory_xact_lock_shared({tally_sql.LOCK_CLASS}, (x.account_id % 2147483647)::int) "
            f"FROM (SELECT DISTINCT account_id FROM {parts[0][0]} ORDER BY 1) x; "
            f"INSERT INTO {TABLE} AS t ({COLUMNS}) {_pg_grouped(facts)} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET {_UPDATE.format(t='t.', e='EXCLUDED')}; "
            "RETURN NULL; END $body$"
        )
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite_levels(facts: str, *, grouped: bool) -> str:
    # Levels: 1 the month, 2 the day, 3 the year (tally_sql's levels for all owners). `WHERE` also tells SQLite's
    # parser that a following ON CONFLICT belongs to the INSERT.
    sums = _SUMS if grouped else "f.n, f.cents, f.days, f.dated"
    tail = f" GROUP BY 1, 2, 3, 4, 5, 6 HAVING {_NONZERO}" if grouped else ""
    return (
        "SELECT f.account_id, "
        f"CASE w.level WHEN 2 THEN f.kind + {tally_sql.DAILY} WHEN 3 THEN f.kind + {tally_sql.YEARLY} "
        "ELSE f.kind END, "
        "CASE w.level WHEN 2 THEN f.day WHEN 3 THEN substr(f.month, 1, 4) || '-01-01' ELSE f.month END, "
        f"f.source_key, f.campaign_key, f.currency, {sums} "
        f"FROM ({facts}) f JOIN (SELECT 1 AS level UNION ALL SELECT 2 UNION ALL SELECT 3) w "
        f"WHERE w.level <> 2 OR f.day IS NOT NULL{tail}"
    )


def _sqlite_upsert(select: str) -> str:
    update = _UPDATE.format(t="", e="excluded")
    return f"INSERT INTO {TABLE} ({COLUMNS}) {select} ON CONFLICT ({KEY}) DO UPDATE SET {update}"


def _sqlite_trigger_sql(table: str) -> list[str]:
    deal = table == "deals_deal"
    columns = (*(tally_sql._DEAL_COLUMNS if deal else tally_sql._CONTACT_COLUMNS), "campaign_id")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
    add = _sqlite_upsert(_sqlite_levels(tally_sql._sqlite_facts(table, "NEW", 1, campaign=True), grouped=False))
    remove = _sqlite_upsert(_sqlite_levels(tally_sql._sqlite_facts(table, "OLD", -1, campaign=True), grouped=False))
    statements = []
    either = "(OLD.campaign_id IS NOT NULL OR NEW.campaign_id IS NOT NULL)"
    for op, when, body in (
        ("insert", " WHEN NEW.campaign_id IS NOT NULL", [add]),
        ("update", f" WHEN ({changed}) AND {either}", [remove, add]),
        ("delete", " WHEN OLD.campaign_id IS NOT NULL", [remove]),
    ):
        name = _name(table, op)
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {table} FOR EACH ROW{when} BEGIN "
            + " ".join(f"{statement};" for statement in body)
            + " END"
        )
    return statements


def sqlite_insert_trigger_sql(table: str, *, create: bool) -> str:
    """Drop (or create again) one table's insert trigger, for a bulk insert (services.tallies_bulk_insert)."""
    return _sqlite_trigger_sql(table)[1] if create else f"DROP TRIGGER IF EXISTS {_name(table, 'insert')}"


def sqlite_add_rows_sql(table: str) -> str:
    """Add the rows of `table` with ids from %s to %s, grouped: what the insert trigger would have added row by row."""
    facts = tally_sql._sqlite_facts(table, "r", 1, rebuild_where="r.id BETWEEN %s AND %s", campaign=True)
    return _sqlite_upsert(_sqlite_levels(facts, grouped=True))


# --- What the migration, the rebuild and the tests use -------------------------------------------------


def trigger_sql(vendor: str) -> list[str]:
    make = _pg_trigger_sql if vendor == "postgresql" else _sqlite_trigger_sql
    return [statement for table in RECORD_TABLES for statement in make(table)]


def drop_sql(vendor: str) -> list[str]:
    statements = []
    for table in RECORD_TABLES:
        for op in ("insert", "update", "delete"):
            name = _name(table, op)
            if vendor == "postgresql":
                statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def fresh_sql(vendor: str, account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    """SELECT the campaign tallies computed afresh from the records (of the given accounts, or all), in the table's
    columns."""
    ids = None if account_ids is None else [int(i) for i in account_ids]
    if vendor == "postgresql":
        where = "" if ids is None else " WHERE r.account_id = ANY(%s)"
        facts = " UNION ALL ".join(
            tally_sql._pg_facts(table, "r", 1, source=f"{table} r", where=where, campaign=True)
            for table in RECORD_TABLES
        )
        return _pg_grouped(facts), ([] if ids is None else [ids] * len(RECORD_TABLES))
    condition = "true" if ids is None else "r.account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    # Each part in its own SELECT: SQLite takes a LIMIT before UNION ALL for the whole compound.
    facts = " UNION ALL ".join(
        f"SELECT * FROM ({tally_sql._sqlite_facts(table, 'r', 1, rebuild_where=condition, campaign=True)})"
        for table in RECORD_TABLES
    )
    return _sqlite_levels(facts, grouped=True), ([] if ids is None else ids * len(RECORD_TABLES))
