"""Word-start tables: a two-character search word in a list's name order, read as one index range (PostgreSQL).

A short search word must begin a word of the key (records/search.py). The trigram index finds such rows, but in no
order: with more matches than a search page pins (SEARCH_PIN_LIMIT), the page walks the list's name index and tests
every row, and when the matches sort late ("ko" among 166,000 other surnames of the big benchmark account) that is
the whole account (docs/performance.md, "Short words in name order through a word-start table").

So persons and companies (the kinds sorted by name, `RecordKind.word_start_columns`) keep a table beside them,
`<table>_word_start`, of (account, prefix, the name-order columns, id) as its primary key: one row per record and
per distinct two-character start of a word of its `search_key`, words as `word_start_pattern` draws them. A one-word
search of exactly two characters in name order reads that key's range, after the cursor, for each page; its pin
reads the first matches' sort keys from it, index-only. Only two characters: one matches a large share of any
account, and three or more have a trigram of their own.

The table holds the rows of the accounts **switched on** only (`<table>_word_start_account`, one row an account:
`manage.py word_starts --enable | --disable --account N`): a big account's name-index walk is what it saves, and
every write of a record pays for its ~15 index entries (an import +40 %: docs/performance.md), so a small account,
whose walk is short, keeps none and pays one probe of that small table per write, or per import batch and kind.

It is outside the model state, like the trigram index (`WordStartTable`, a migration operation): SQLite has no such
table and keeps scanning. It is kept exact by row triggers on the key, the account and the name columns (a form, the
API, a bulk change, a merge, a delete, an undo: one write each, a few index entries; nothing but the probe for an
account switched off); an import writes its new records' word starts itself, in one statement per batch and kind
(`written_in_bulk`), if its account is switched on. `manage.py word_starts --check | --rebuild` compares it with the
records, or rebuilds it. A page reads through it only for an account switched on (`reads_word_starts`), its rows by
the ids the table gives and still under the search's own condition, so a stale table could leave a row out, never
show a wrong one.

Who switches an account on: the size rule (`word_starts_due`, `word_starts_fit`): an account with
`WORD_STARTS_ON_AT` persons (companies) or more is switched on for that table, and off again only once it has fewer
than `WORD_STARTS_OFF_BELOW` (the gap keeps an account near the line from being switched back and forth). It is
applied after each import and import undo (a job, `records.tasks.word_starts_job_start`) and by `manage.py
word_starts --fit` (schedule it, e.g. hourly: deletes and merges shrink an account slowly). An operator's
`--enable` or `--disable` is a choice the rule then leaves alone (`<table>_word_start_choice`) until `--auto`.

Switching on writes an account's rows in batches (`WORD_STARTS_BATCH` records), each under its own short SHARE lock
on the records: writers wait for one batch, not the whole build. The account is listed from the first batch on,
so the triggers and the import keep what is written exact, but marked not `ready` until the last: until then its
lists read as before. Switching off takes the account off the list first, then drops its rows in batches.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

from headwater.records.registry import kind_of, record_kinds
from headwater.records.search import SEPARATOR_CLASS, WORD_SEPARATORS, search_terms

# Every statement here is built from our own table, column and function names; values are parameters.
# ruff: noqa: S608

# The length of the word starts kept: a search word of exactly this many characters is read through the table.
PREFIX_LENGTH = 2
FUNCTION = "hw_word_starts"
# Set for the rest of a transaction (`set_config(..., true)`) while an import writes records whose word starts it
# adds itself: the triggers' WHEN skips them, so no trigger function runs per imported row.
BULK_SETTING = "headwater.word_starts_bulk"


def table_of(model: type[models.Model]) -> str:
    return f"{model._meta.db_table}_word_start"


def accounts_table_of(model: type[models.Model]) -> str:
    """The accounts whose word starts `table_of(model)` holds: one row (the account's id, `ready` once its rows are
    all written) each."""
    return f"{model._meta.db_table}_word_start_account"


def choices_table_of(model: type[models.Model]) -> str:
    """The accounts an operator switched on or off by hand (`switched_on`): the size rule leaves them alone."""
    return f"{model._meta.db_table}_word_start_choice"


def word_starts(key: str | None) -> set[str]:
    """The two-character word starts of `key`, as the table holds them: what a two-character search word can match.

    `word_start_match(key, term)` holds for a term of two characters exactly when the term is one of these: a word
    begins at the start of the key, at each separator and after one (a term that begins with a separator is found
    wherever it occurs: at a separator). A start with a space in it is left out (a searched word holds none).
    """
    if not key:
        return set()
    found = set()
    for i in range(len(key) - PREFIX_LENGTH + 1):
        if i == 0 or key[i] in WORD_SEPARATORS or key[i - 1] in WORD_SEPARATORS:
            prefix = key[i : i + PREFIX_LENGTH]
            if " " not in prefix:
                found.add(prefix)
    return found


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _function_sql() -> str:
    """`hw_word_starts(key)`: the rows of `word_starts(key)`. The key cut into tokens, each separator one and each
    run of other characters one (one regular expression, in C); a word start is a token's start, and its two
    characters may run into the next token (`lead`). ~1.5 us a short key here, ~20 word starts of a long one."""
    # "%" as its escape: Django's schema editor and psycopg read a bare one as a parameter's mark.
    separators = SEPARATOR_CLASS.replace("\\%", "\\u0025")
    tokens = f"{separators}|[^{separators[1:]}+"
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}(key text) RETURNS SETOF text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 20 AS $$ "
        "SELECT DISTINCT p FROM ("
        f"SELECT substr(m.t[1] || coalesce(lead(m.t[1]) OVER (ORDER BY m.n), ''), 1, {PREFIX_LENGTH}) AS p "
        f"FROM regexp_matches(key, {_sql_literal(tokens)}, 'g') WITH ORDINALITY AS m(t, n)"
        f") AS s WHERE length(p) = {PREFIX_LENGTH} AND strpos(p, ' ') = 0 $$"
    )


def _column(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)  # a concrete field: the kinds' name columns
    return str(field.column)


def _columns(model: type[models.Model], names: Sequence[str], connection: Any) -> list[tuple[str, str]]:
    """(column, its type and collation) of each name-order field: the table sorts them as the records do."""
    found = []
    for name in names:
        field: Any = model._meta.get_field(name)
        kind = field.db_type(connection)
        collation = getattr(field, "db_collation", None)
        found.append((field.column, f"{kind} COLLATE {connection.ops.quote_name(collation)}" if collation else kind))
    return found


def _fill_sql(model: type[models.Model], names: Sequence[str], connection: Any, where: str = "") -> str:
    """INSERT of the word starts of `model`'s rows (those `where` keeps, a condition on `r`)."""
    quote = connection.ops.quote_name
    columns = [column for column, _ in _columns(model, names, connection)]
    own = ", ".join(f"r.{quote(c)}" for c in columns)
    return (
        f"INSERT INTO {quote(table_of(model))} (account_id, prefix, {', '.join(quote(c) for c in columns)}, id) "
        f"SELECT r.account_id, s.prefix, {own}, r.id FROM {quote(model._meta.db_table)} AS r "
        f"CROSS JOIN LATERAL {FUNCTION}(r.search_key) AS s(prefix) {where}"
    )


def _create_sql(model: type[models.Model], names: Sequence[str], connection: Any) -> list[str]:
    quote = connection.ops.quote_name
    table, records = quote(table_of(model)), quote(model._meta.db_table)
    columns = _columns(model, names, connection)
    quoted = [quote(c) for c, _ in columns]
    key = ", ".join(["account_id", "prefix", *quoted, "id"])
    sync = quote(f"{table_of(model)}_sync")
    clear = quote(f"{table_of(model)}_clear")

    accounts = quote(accounts_table_of(model))

    def switched_on(row: str) -> str:
        # One probe of the accounts' primary key: a write of an account not switched on reads nothing else.
        return f"EXISTS (SELECT 1 FROM {accounts} WHERE account_id = {row}.account_id)"

    def matches(row: str) -> str:
        # The prefixes as one array: a probe of the primary key with `prefix = ANY(...)`. Joined to the function's
        # rows, the plan read the whole table (10 ms for 300,000 rows).
        return " AND ".join(
            [f"account_id = {row}.account_id", f"prefix = ANY(ARRAY(SELECT {FUNCTION}({row}.search_key)))"]
            + [f"{q} = {row}.{q}" for q in quoted]
            + [f"id = {row}.id"]
        )

    def values(row: str) -> str:
        return ", ".join([f"{row}.account_id", "s.prefix", *(f"{row}.{q}" for q in quoted), f"{row}.id"])

    # A write's old word starts go by their key (an index probe each), its new ones are added: a handful of rows.
    function_body = (
        "BEGIN "
        f"IF TG_OP <> 'INSERT' AND {switched_on('OLD')} THEN "
        f"DELETE FROM {table} WHERE {matches('OLD')}; "
        "END IF; "
        f"IF TG_OP <> 'DELETE' AND {switched_on('NEW')} THEN "
        f"INSERT INTO {table} ({key}) SELECT {values('NEW')} FROM {FUNCTION}(NEW.search_key) AS s(prefix); "
        "END IF; "
        "RETURN NULL; "
        "END"
    )
    not_bulk = f"current_setting({_sql_literal(BULK_SETTING)}, true) IS DISTINCT FROM 'on'"
    watched = ["account_id", "search_key", *quoted]
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
    column_sql = ", ".join(f"{quote(c)} {kind} NOT NULL" for c, kind in columns)
    return [
        _function_sql(),
        # No account is switched on by the migration: `word_starts --enable --account N` writes an account's rows.
        f"CREATE TABLE {accounts} (account_id bigint PRIMARY KEY)",
        (
            f'CREATE TABLE {table} (account_id bigint NOT NULL, prefix text COLLATE "C" NOT NULL, {column_sql}, '
            "id bigint NOT NULL)"
        ),
        f"ALTER TABLE {table} ADD PRIMARY KEY ({key})",
        f"CREATE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql AS $$ {function_body} $$",
        # Only the columns the table holds: an owner, a source or a stage changed writes nothing here. And an
        # UPDATE that sets them to what they were (a bulk update lists every column) calls no function.
        (
            f"CREATE TRIGGER {sync} AFTER INSERT OR DELETE ON {records} FOR EACH ROW WHEN ({not_bulk}) "
            f"EXECUTE FUNCTION {sync}()"
        ),
        (
            f"CREATE TRIGGER {quote(f'{table_of(model)}_update')} AFTER UPDATE OF {', '.join(watched)} ON {records} "
            f"FOR EACH ROW WHEN ({not_bulk} AND ({changed})) EXECUTE FUNCTION {sync}()"
        ),
        # A TRUNCATE of the records (the test database's flush) empties the table too: no row of it outlives its
        # record; and the accounts switched on (their ids could come back after a flush that resets the sequences).
        _clear_sql(model, connection, choices=False).replace("CREATE OR REPLACE", "CREATE", 1),
        f"CREATE TRIGGER {clear} AFTER TRUNCATE ON {records} FOR EACH STATEMENT EXECUTE FUNCTION {clear}()",
        f"ANALYZE {table}",
    ]


def _clear_sql(model: type[models.Model], connection: Any, *, choices: bool) -> str:
    """The TRUNCATE trigger's function: the tables beside the records emptied with them (with the operators'
    choices once that table exists)."""
    quote = connection.ops.quote_name
    tables = [table_of(model), accounts_table_of(model), *([choices_table_of(model)] if choices else [])]
    deletes = " ".join(f"DELETE FROM {quote(t)};" for t in tables)
    return (
        f"CREATE OR REPLACE FUNCTION {quote(f'{table_of(model)}_clear')}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {deletes} RETURN NULL; END $$"
    )


def _drop_sql(model: type[models.Model], connection: Any) -> list[str]:
    quote = connection.ops.quote_name
    records = quote(model._meta.db_table)
    name = table_of(model)
    return [
        f"DROP TRIGGER IF EXISTS {quote(f'{name}_sync')} ON {records}",
        f"DROP TRIGGER IF EXISTS {quote(f'{name}_update')} ON {records}",
        f"DROP TRIGGER IF EXISTS {quote(f'{name}_clear')} ON {records}",
        f"DROP FUNCTION IF EXISTS {quote(f'{name}_sync')}()",
        f"DROP FUNCTION IF EXISTS {quote(f'{name}_clear')}()",
        f"DROP TABLE IF EXISTS {quote(name)}",
        f"DROP TABLE IF EXISTS {quote(accounts_table_of(model))}",
    ]


class _PostgreSQLOnly(Operation):
    """A migration operation of statements on PostgreSQL only, outside the model state: SQLite skips it."""

    reversible = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def statements(self, model: type[models.Model], connection: Any, *, forwards: bool) -> list[str]:
        raise NotImplementedError

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _run(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState, *, forwards: bool
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = state.apps.get_model(app_label, self.model_name)
        for statement in self.statements(model, schema_editor.connection, forwards=forwards):
            schema_editor.execute(statement)

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._run(app_label, schema_editor, to_state, forwards=True)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._run(app_label, schema_editor, from_state, forwards=False)


class WordStartTable(_PostgreSQLOnly):
    """Create `model_name`'s word-start table (empty: no account switched on), its table of accounts switched on,
    its triggers and the shared `hw_word_starts` function, on PostgreSQL only; SQLite skips it. `columns`: the
    list's name order (the kind's `word_start_columns` now).

    Not part of the model state, like records.search.TrigramIndex.
    """

    def __init__(self, model_name: str, columns: Sequence[str]) -> None:
        super().__init__(model_name)
        self.columns = tuple(columns)

    def statements(self, model: type[models.Model], connection: Any, *, forwards: bool) -> list[str]:
        return _create_sql(model, self.columns, connection) if forwards else _drop_sql(model, connection)

    def describe(self) -> str:
        return f"Word-start table of {self.model_name} by ({', '.join(self.columns)}) (PostgreSQL only)"


class WordStartSwitches(_PostgreSQLOnly):
    """What switching an account on or off in batches and by rule needs (PostgreSQL only): the accounts' `ready`
    (every existing account stays ready: its rows were written in one transaction) and the operators' choices."""

    def statements(self, model: type[models.Model], connection: Any, *, forwards: bool) -> list[str]:
        quote = connection.ops.quote_name
        accounts, choices = quote(accounts_table_of(model)), quote(choices_table_of(model))
        if forwards:
            return [
                f"ALTER TABLE {accounts} ADD COLUMN ready boolean NOT NULL DEFAULT true",
                f"CREATE TABLE {choices} (account_id bigint PRIMARY KEY, switched_on boolean NOT NULL)",
                _clear_sql(model, connection, choices=True),
            ]
        return [
            _clear_sql(model, connection, choices=False),
            f"DROP TABLE {choices}",
            # An account half written would read as whole without the mark: it goes, rows and all.
            (
                f"DELETE FROM {quote(table_of(model))} WHERE account_id IN "
                f"(SELECT account_id FROM {accounts} WHERE NOT ready)"
            ),
            f"DELETE FROM {accounts} WHERE NOT ready",
            f"ALTER TABLE {accounts} DROP COLUMN ready",
        ]

    def describe(self) -> str:
        return f"Word-start switches of {self.model_name} (PostgreSQL only)"


def has_table(model: type[models.Model], *, using: str = "default") -> bool:
    """Whether `model`'s list reads its word starts from a table: a kind with a name order, on PostgreSQL."""
    try:
        columns = kind_of(model).word_start_columns
    except LookupError:
        return False
    return bool(columns) and connections[using].vendor == "postgresql"


def switched_on(model: type[models.Model], account_id: int) -> bool:
    """Whether the table holds all of `account_id`'s word starts (`word_starts_enable` done: `ready`), so its lists
    may read through it: one probe of a small table."""
    if not has_table(model):
        return False
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(accounts_table_of(model))} "
            "WHERE account_id = %s AND ready)",
            [account_id],
        )
        return bool(cursor.fetchone()[0])


def reads_word_starts(model: type[models.Model], query: str, fields: tuple[str, ...], *, account_id: int) -> str | None:
    """The word start a list of `model` searched for `query` in the order `fields` reads through the table, or
    None: a one-word search of exactly PREFIX_LENGTH characters, in the kind's name order, on PostgreSQL, of an
    account switched on (the probe is made last: other searches send nothing more)."""
    terms = search_terms(query)
    if len(terms) != 1 or len(terms[0]) != PREFIX_LENGTH or " " in terms[0]:
        return None
    if not has_table(model) or kind_of(model).word_start_columns != fields:
        return None
    if not switched_on(model, account_id):
        return None
    return terms[0]


class WordStartRange:
    """The sort keys (the name-order columns, the id last) of `model`'s rows of `account_id` with the word start
    `prefix`, after a key in reading order: core.pagination's `KeyRange`. One range of the table's primary key,
    index-only; the row comparison and the sort are the database's, in the columns' collation (the records')."""

    def __init__(self, model: type[models.Model], *, account_id: int, prefix: str, descending: bool) -> None:
        self.model = model
        self.account_id = account_id
        self.prefix = prefix
        self.descending = descending
        self.columns = [_column(model, name) for name in kind_of(model).word_start_columns]

    def __call__(self, key: tuple[Any, ...] | None, *, backward: bool, limit: int) -> list[tuple[Any, ...]]:
        connection = connections["default"]
        quote = connection.ops.quote_name
        desc = self.descending != backward
        columns = [*(quote(c) for c in self.columns), "id"]
        listed = ", ".join(columns)
        params: list[Any] = [self.account_id, self.prefix]
        after = ""
        if key is not None:
            after = f"AND ({listed}) {'<' if desc else '>'} ({', '.join(['%s'] * len(key))}) "
            params += list(key)
        order = ", ".join(f"{c} DESC" if desc else c for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {listed} FROM {quote(table_of(self.model))} "
                f"WHERE account_id = %s AND prefix = %s {after}ORDER BY {order} LIMIT %s",
                [*params, limit],
            )
            return [tuple(row) for row in cursor.fetchall()]


@contextmanager
def written_in_bulk(model: type[models.Model], ids: Sequence[int], *, account_id: int) -> Iterator[None]:
    """Around a bulk insert of `model` rows of `account_id` with these ids (an import's COPY): the triggers skip
    them, then their word starts are added in one statement if the account is switched on. The triggers' WHEN sees
    the transaction's setting, so no function runs per row (a row trigger's call and its two statements cost an
    imported row ~0.1 ms). The setting and the account's probe are one statement; an account not switched on pays
    that and the setting's reset, nothing per row. Nothing on SQLite."""
    if not ids or not has_table(model):
        yield
        return
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT set_config(%s, 'on', true), EXISTS (SELECT 1 FROM "
            f"{connection.ops.quote_name(accounts_table_of(model))} WHERE account_id = %s)",
            [BULK_SETTING, account_id],
        )
        on = bool(cursor.fetchone()[1])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'off', true)", [BULK_SETTING])
        if not on:
            return
        cursor.execute(
            _fill_sql(model, kind_of(model).word_start_columns, connection, where="WHERE r.id = ANY(%s::bigint[])"),
            [list(ids)],
        )


def _on(model: type[models.Model], connection: Any) -> str:
    """The condition on `r` that its account is switched on."""
    return f"r.account_id IN (SELECT account_id FROM {connection.ops.quote_name(accounts_table_of(model))})"


def _expected_sql(model: type[models.Model], connection: Any, accounts: str) -> tuple[str, str]:
    """(what the table should hold: the word starts of the records of accounts switched on; what it holds), both
    of the accounts `accounts` keeps: a row of an account not switched on is one too many."""
    quote = connection.ops.quote_name
    columns = [quote(c) for c, _ in _columns(model, kind_of(model).word_start_columns, connection)]
    listed = ", ".join(["account_id", "prefix", *columns, "id"])
    fresh = (
        f"SELECT r.account_id, s.prefix, {', '.join(f'r.{c}' for c in columns)}, r.id "
        f"FROM {quote(model._meta.db_table)} AS r CROSS JOIN LATERAL {FUNCTION}(r.search_key) AS s(prefix) "
        f"WHERE {accounts.replace('account_id', 'r.account_id')} AND {_on(model, connection)}"
    )
    stored = f"SELECT {listed} FROM {quote(table_of(model))} WHERE {accounts}"
    return fresh, stored


def _accounts_condition(account_ids: Iterable[int] | None) -> tuple[str, list[Any]]:
    if account_ids is None:
        return "TRUE", []
    return "account_id = ANY(%s::bigint[])", [list(account_ids)]


def word_start_drift(model: type[models.Model], *, account_ids: Iterable[int] | None = None) -> tuple[int, int]:
    """(rows missing from the table, rows it holds that it should not), against the records' keys now."""
    connection = connections["default"]
    accounts, params = _accounts_condition(account_ids)
    fresh, stored = _expected_sql(model, connection, accounts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM ({fresh} EXCEPT ALL {stored}) AS m), "
            f"(SELECT count(*) FROM ({stored} EXCEPT ALL {fresh}) AS e)",
            params * 4,
        )
        missing, extra = cursor.fetchone()
    return int(missing), int(extra)


def word_starts_rebuild(model: type[models.Model], *, account_ids: Iterable[int] | None = None) -> int:
    """Write the table's rows (of these accounts) afresh from the records, for the accounts switched on; returns
    how many it wrote."""
    connection = connections["default"]
    accounts, params = _accounts_condition(account_ids)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(table_of(model))} WHERE {accounts}", params)
        cursor.execute(
            _fill_sql(
                model,
                kind_of(model).word_start_columns,
                connection,
                where=f"WHERE {accounts.replace('account_id', 'r.account_id')} AND {_on(model, connection)}",
            ),
            params,
        )
        return int(cursor.rowcount)


def accounts_switched_on(model: type[models.Model]) -> list[int]:
    """The accounts whose rows the table keeps (ready or still being written)."""
    return sorted(word_start_states(model))


def word_start_states(model: type[models.Model]) -> dict[int, bool]:
    """{account: ready} of the accounts switched on."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT account_id, ready FROM {connection.ops.quote_name(accounts_table_of(model))}")
        return {int(pk): bool(ready) for pk, ready in cursor.fetchall()}


def word_start_choices(model: type[models.Model]) -> dict[int, bool]:
    """{account: on} of the accounts an operator switched on or off by hand."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT account_id, switched_on FROM {connection.ops.quote_name(choices_table_of(model))}")
        return {int(pk): bool(on) for pk, on in cursor.fetchall()}


def word_starts_choose(model: type[models.Model], account_id: int, on: bool | None) -> None:
    """Record an operator's choice for the account (None: back to the size rule). It takes effect by
    `word_starts_apply` (the command does both)."""
    connection = connections["default"]
    table = connection.ops.quote_name(choices_table_of(model))
    with connection.cursor() as cursor:
        if on is None:
            cursor.execute(f"DELETE FROM {table} WHERE account_id = %s", [account_id])
        else:
            cursor.execute(
                f"INSERT INTO {table} (account_id, switched_on) VALUES (%s, %s) "
                "ON CONFLICT (account_id) DO UPDATE SET switched_on = EXCLUDED.switched_on",
                [account_id, on],
            )


def _lock_writers(model: type[models.Model], connection: Any) -> None:
    """Until the transaction ends, no write to `model`'s records: one under way when the account is switched on or
    a batch is written would have probed the accounts' table, or read its row, before, and its word starts would be
    missing or left over. SHARE waits for the writes under way and lets reads go on."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN SHARE MODE")


@contextmanager
def _switching(model: type[models.Model], account_id: int) -> Iterator[None]:
    """One switch of (table, account) at a time, across processes (an import's job and the scheduled rule): a
    session-level advisory lock, held across the switch's transactions."""
    connection = connections["default"]
    # The key: the table's name folded to 32 bits, above the account's id (below 2**31): under 2**63, a bigint.
    key = (zlib.crc32(table_of(model).encode()) << 31) ^ account_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _drop_rows(model: type[models.Model], account_id: int, batch: int) -> int:
    """Delete the account's rows from the table, `batch` * 15 or so at a time (an account switched off: nobody
    writes them meanwhile)."""
    connection = connections["default"]
    table = connection.ops.quote_name(table_of(model))
    dropped = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE account_id = %s LIMIT %s))",
                [account_id, batch * 16],
            )
            if cursor.rowcount <= 0:
                return dropped
            dropped += cursor.rowcount


Advance = Callable[[int], None]


def word_starts_enable(
    model: type[models.Model], account_id: int, *, batch: int | None = None, advance: Advance | None = None
) -> int:
    """Switch `account_id` on for `model`'s table and write its rows; returns how many rows it wrote (0: it was on).

    First the account is listed, not ready (a short transaction: the writes under way finish, every later one
    keeps its rows from then on), then the records that were there are written `batch` at a time, each batch in a
    transaction holding the records' SHARE lock (writers wait for one batch, ~0.2 s), rows a writer added already
    kept. Then it is ready and the table analysed. Interrupted, it is listed not ready, and the next call goes on.
    `advance(records written)` after each batch."""
    size = batch or settings.WORD_STARTS_BATCH
    connection = connections["default"]
    quote = connection.ops.quote_name
    accounts = quote(accounts_table_of(model))
    with _switching(model, account_id):
        state = word_start_states(model).get(account_id)
        if state:
            return 0
        if state is None:
            _drop_rows(model, account_id, size)  # left by a switch off that did not finish
            with transaction.atomic():
                _lock_writers(model, connection)
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {accounts} (account_id, ready) VALUES (%s, false)", [account_id])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {quote(model._meta.db_table)} WHERE account_id = %s ORDER BY id", [account_id]
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        fill = _fill_sql(model, kind_of(model).word_start_columns, connection, where="WHERE r.id = ANY(%s::bigint[])")
        written = 0
        for start in range(0, len(ids), size):
            with transaction.atomic():
                _lock_writers(model, connection)
                with connection.cursor() as cursor:
                    cursor.execute(f"{fill} ON CONFLICT DO NOTHING", [ids[start : start + size]])
                    written += max(cursor.rowcount, 0)
            if advance is not None:
                advance(min(start + size, len(ids)))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {accounts} SET ready = true WHERE account_id = %s", [account_id])
            # Its statistics anew: the migration's were of an empty table, and the triggers' probes plan from them.
            cursor.execute(f"ANALYZE {quote(table_of(model))}")
        return written


def word_starts_disable(model: type[models.Model], account_id: int, *, batch: int | None = None) -> int:
    """Switch `account_id` off for `model`'s table and drop its rows; returns how many it dropped. Its lists read
    through the trigram index again, its writes write nothing here. Taken off the list first (a short transaction:
    the writes under way finish), then its rows go in batches."""
    connection = connections["default"]
    with _switching(model, account_id):
        with transaction.atomic():
            _lock_writers(model, connection)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(accounts_table_of(model))} WHERE account_id = %s",
                    [account_id],
                )
        return _drop_rows(model, account_id, batch or settings.WORD_STARTS_BATCH)


@dataclass(frozen=True)
class Switch:
    """What the rule (or an operator's choice) asks of one account in one table: `on` or off; `records`: how many
    records it has (up to WORD_STARTS_ON_AT: counted no further)."""

    model: type[models.Model]
    account_id: int
    on: bool
    records: int


def _record_count(model: type[models.Model], account_id: int, cap: int) -> int:
    """The account's records, counted up to `cap`: one bounded index range, however big the account."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {connection.ops.quote_name(model._meta.db_table)} "
            "WHERE account_id = %s LIMIT %s) AS r",
            [account_id, cap],
        )
        return int(cursor.fetchone()[0])


def _all_accounts() -> list[int]:
    from headwater.core.models import Account  # noqa: PLC0415  # core's models load after this module

    return list(Account.objects.order_by("pk").values_list("pk", flat=True))


def word_starts_due(*, account_ids: Iterable[int] | None = None) -> list[Switch]:
    """The switches the rule and the operators' choices ask for now, of these accounts (None: every account, and
    every account the tables list): on at WORD_STARTS_ON_AT records of the kind or more (or a build to finish), off
    below WORD_STARTS_OFF_BELOW; in between, as it is. Nothing off PostgreSQL."""
    on_at, off_below = settings.WORD_STARTS_ON_AT, settings.WORD_STARTS_OFF_BELOW
    due = []
    for kind in record_kinds():
        model = kind.model
        if not has_table(model):
            continue
        states, choices = word_start_states(model), word_start_choices(model)
        wanted = sorted(set(account_ids) if account_ids is not None else {*_all_accounts(), *states})
        for account in wanted:
            records = _record_count(model, account, on_at)
            on = choices.get(account)
            if on is None:
                on = records >= (off_below if account in states else on_at)
            if on and not states.get(account):  # off, or its build unfinished
                if records >= on_at:  # its build's size, for the progress
                    records = _record_count(model, account, 2**62)
                due.append(Switch(model, account, True, records))
            elif not on and account in states:
                due.append(Switch(model, account, False, records))
    return due


def word_starts_apply(switches: Sequence[Switch], *, advance: Callable[[int, int], None] | None = None) -> None:
    """Make the switches; `advance(records done, records in all)` as the builds go (a job's progress)."""
    total = sum(s.records for s in switches if s.on) or None
    done = 0
    for switch in switches:
        if not switch.on:
            word_starts_disable(switch.model, switch.account_id)
            continue
        before = done

        def step(written: int, before: int = before) -> None:
            if advance is not None and total is not None:
                advance(min(before + written, total), total)

        word_starts_enable(switch.model, switch.account_id, advance=step)
        done += switch.records


def word_starts_fit(*, account_ids: Iterable[int] | None = None) -> list[Switch]:
    """Apply the rule (and the choices) to these accounts, or to all; returns what it switched."""
    due = word_starts_due(account_ids=account_ids)
    word_starts_apply(due)
    return due
