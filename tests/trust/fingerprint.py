"""A fingerprint of the whole database: one hash per table, over every row in primary-key order.

"A refused request changes nothing" is checked by comparing fingerprints taken before and after. Computed with plain
SQL through Django's connection, so the same code works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.apps import apps
from django.db import connection, models

# Columns that legitimately change on reads (not on writes): a token's last use is refreshed when it is used.
VOLATILE_COLUMNS = {("users_apitoken", "last_used_at")}
# Sessions change on every request that stores a message or rotates a key; the throttling counters live in the cache.
SKIPPED_TABLES = {"django_session"}


def _tables() -> list[tuple[str, list[str], str]]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in SKIPPED_TABLES:
            continue
        columns = [
            f.column
            for f in meta.concrete_fields
            if isinstance(f, models.Field) and (meta.db_table, f.column) not in VOLATILE_COLUMNS
        ]
        found.append((meta.db_table, columns, meta.pk.column))
    return sorted(found)


def _hash_rows(rows: Iterable[tuple[object, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def db_fingerprint() -> dict[str, str]:
    """{table: hash of its rows}; compare two of these to see whether (and where) anything changed."""
    result = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns, pk in _tables():
            cols = ", ".join(quote(c) for c in columns)
            cursor.execute(f"SELECT {cols} FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608 — names from models
            result[table] = _hash_rows(cursor.fetchall())
    return result


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def account_fingerprint(account_id: int) -> dict[str, str]:
    """Like `db_fingerprint`, limited to one account's rows (its tenant rows, the account, its members' users)."""
    result = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, columns, pk in _tables():
            cols = ", ".join(quote(c) for c in columns)
            if "account_id" in columns:
                where = f"{quote('account_id')} = %s"
            elif table == "core_account":
                where = f"{quote('id')} = %s"
            elif table == "users_user":
                where = f"{quote('id')} IN (SELECT user_id FROM users_membership WHERE account_id = %s)"  # noqa: S608 — names from the schema, the id a parameter
            else:
                continue
            sql = f"SELECT {cols} FROM {quote(table)} WHERE {where} ORDER BY {quote(pk)}"  # noqa: S608 — names from the schema, quoted
            cursor.execute(sql, [account_id])
            result[table] = _hash_rows(cursor.fetchall())
    return result
