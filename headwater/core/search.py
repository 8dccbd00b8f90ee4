"""The search key of companies, persons and deals: what the list search matches, exactly, on every database.

Each record stores `search_key`, the casefolded, NFKC-normalised text of its searchable fields, without accents.
A search folds the user's words the same way and requires every word to occur in the key (`LIKE '%word%'`).
So "WIŚNIEWSKA" finds "Wiśniewska" on SQLite too (its LIKE folds ASCII only), so does "wisniewska", "lodz" finds
"Łódź", "ｋｒａｋóｗ" finds "Kraków",
and on PostgreSQL a trigram GIN index on the one column answers the search instead of a scan over several
columns and joins.

Linked names are part of the key (a person's company, a deal's company and person): searching deals by the
client's name is the common case, and a join could not use the index. The price: renaming a company or a person,
or deleting one, rewrites the keys of the records that show its name, in the same transaction
(see `record_services.refresh_dependent_keys`).

This module imports no app models: the data migrations use it with their historical models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models import Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from headwater.core.text import fold, text_problem

# Shorter words cannot use the trigram index (a trigram needs three characters): they are still searched, and
# PostgreSQL reads the account's rows in the list's order until a page is full (see docs/performance.md).
TRIGRAM_LENGTH = 3
# A search matching at most this many rows reads its page among those ids (see pagination.keyset_page).
SEARCH_PIN_LIMIT = 2000


def search_terms(query: str) -> list[str]:
    """The words of a search, folded; every one must match. Folding first: NFKC may turn a mark into a space."""
    return list(dict.fromkeys(fold(query).split()))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _key(parts: Iterable[str], *, digit_parts: Iterable[str] = ()) -> str:
    """The non-empty parts, separated by a space: a searched word never contains one, so no match spans two
    fields. (Not a line break: bulk loaders write the key with COPY's text format, where that needs escaping.)

    Phone numbers and tax IDs are also kept as bare digits: "600100200" finds "+48 600 100 200".
    """
    lines = [fold(part).strip() for part in parts]
    for part in digit_parts:
        digits = _digits(fold(part))
        if len(digits) >= TRIGRAM_LENGTH and digits != fold(part).strip():
            lines.append(digits)
    return " ".join(line for line in lines if line)


def company_search_key(*, name: str, tax_id: str, email: str, phone: str, city: str, website: str) -> str:
    return _key((name, tax_id, email, phone, city, website), digit_parts=(phone, tax_id))


def person_search_key(
    *, first_name: str, last_name: str, email: str, phone: str, position: str, company_name: str
) -> str:
    return _key((f"{first_name} {last_name}", email, phone, position, company_name), digit_parts=(phone,))


def deal_search_key(*, name: str, company_name: str, person_name: str) -> str:
    return _key((name, company_name, person_name))


def full_name(first_name: str | None, last_name: str | None) -> str:
    return f"{first_name or ''} {last_name or ''}".strip()


# What each key is built from: the row's own fields and the ids of the records whose names it shows.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "company": ("name", "tax_id", "email", "phone", "city", "website"),
    "person": ("first_name", "last_name", "email", "phone", "position", "company_id"),
    "deal": ("name", "company_id", "person_id"),
}


def key_from_values(kind: str, row: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    """The key of a row read with `values(*KEY_FIELDS[kind])`; `names` maps linked ids to names by link."""
    companies, persons = names.get("company", {}), names.get("person", {})
    if kind == "company":
        return company_search_key(**{field: row[field] for field in KEY_FIELDS["company"]})
    if kind == "person":
        return person_search_key(
            first_name=row["first_name"],
            last_name=row["last_name"],
            email=row["email"],
            phone=row["phone"],
            position=row["position"],
            company_name=companies.get(row["company_id"], ""),
        )
    if kind == "deal":
        return deal_search_key(
            name=row["name"],
            company_name=companies.get(row["company_id"], ""),
            person_name=persons.get(row["person_id"], ""),
        )
    raise ValueError(f"no search key for {kind!r}")


def _linked_names(queryset: models.QuerySet[Any], rows: list[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """{"company": {id: name}, "person": {id: full name}} for the records `rows` link to, in the rows' accounts.

    A query of its own rather than a join: under READ COMMITTED, a row re-read after waiting for its lock comes
    back current, but a joined row would keep the version the statement started with (a concurrent rename).
    """
    names: dict[str, dict[int, str]] = {}
    accounts = {row["account_id"] for row in rows}
    for link in ("company", "person"):
        ids = {row[f"{link}_id"] for row in rows if row.get(f"{link}_id")}
        if not ids:
            continue
        related: Any = queryset.model._meta.get_field(link).related_model
        linked = related._base_manager.using(queryset.db).filter(pk__in=ids, account_id__in=accounts)
        if link == "company":
            names[link] = dict(linked.values_list("pk", "name"))
        else:
            names[link] = {
                pk: full_name(first, last) for pk, first, last in linked.values_list("pk", "first_name", "last_name")
            }
    return names


def write_search_keys(model: type[models.Model], keys: Sequence[tuple[str, int]], *, using: str = "default") -> None:
    """Store (key, id) pairs: on PostgreSQL one UPDATE joined to the arrays of ids and keys, elsewhere one
    prepared UPDATE per row. (`bulk_update` builds a CASE with a branch per row, evaluated row by row.)"""
    if not keys:
        return
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET search_key = v.key "  # noqa: S608 — the table name is ours
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) WHERE t.id = v.id",
                [[pk for _, pk in keys], [key for key, _ in keys]],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET search_key = %s WHERE id = %s", keys)  # noqa: S608 — ours


def rows_with_keys(
    kind: str,
    queryset: models.QuerySet[Any],
    *,
    batch_size: int = 2000,
    overrides: dict[str, Any] | None = None,
) -> Iterable[list[tuple[str, int]]]:
    """(key, id) for every row of `queryset`, in batches by ascending id (a keyset walk: no OFFSET, no long
    cursor), skipping rows whose stored key is already right. `overrides` replaces read values, e.g.
    `{"company_id": None}` for the key a row will have once its company is unlinked."""
    last = 0
    fields = ("pk", "account_id", "search_key", *KEY_FIELDS[kind])
    while True:
        rows = [
            {**row, **(overrides or {})}
            for row in queryset.filter(pk__gt=last).order_by("pk").values(*fields)[:batch_size]
        ]
        if not rows:
            return
        last = rows[-1]["pk"]
        names = _linked_names(queryset, rows)
        changed = []
        for row in rows:
            key = key_from_values(kind, row, names)
            if key != row["search_key"]:
                changed.append((key, row["pk"]))
        yield changed


def fill_search_keys(model: type[models.Model], kind: str, *, batch_size: int = 2000, using: str = "default") -> int:
    """Compute and store the key of every row of `model` (all accounts); returns how many rows changed.

    The data migrations call it with their historical models; it is safe to run again (unchanged rows are skipped).
    """
    changed = 0
    manager: Any = model._base_manager
    for batch in rows_with_keys(kind, manager.using(using).all(), batch_size=batch_size):
        write_search_keys(model, batch, using=using)
        changed += len(batch)
    return changed


def fill_operation(app_label: str, model_name: str, kind: str) -> Callable[[Any, BaseDatabaseSchemaEditor], None]:
    """A RunPython function filling one model's keys from its historical state."""

    def forwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        fill_search_keys(apps.get_model(app_label, model_name), kind, using=schema_editor.connection.alias)

    return forwards


class TrigramIndex(Operation):
    """A trigram GIN index on `search_key`, on PostgreSQL only (creating `pg_trgm` if needed); SQLite skips it.

    Not part of the model state: SQLite has no such index and the autodetector must not try to create one.
    """

    reversible = True

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name = model_name
        self.name = name

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(self.name)} ON {quote(model._meta.db_table)} "
            "USING gin (search_key gin_trgm_ops)"
        )

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self) -> str:
        return f"Trigram index {self.name} on {self.model_name}.search_key (PostgreSQL only)"


def uses_trigrams(term: str) -> bool:
    """Whether PostgreSQL can find `term` through the trigram index: it needs a run of three word characters.

    pg_trgm takes trigrams from the words of a LIKE pattern; from "zx" or "--" it gets none, and the index
    would then be read whole (seconds at a million rows, worse than reading the table).
    """
    run = 0
    for ch in term:
        run = run + 1 if ch.isalnum() else 0
        if run >= TRIGRAM_LENGTH:
            return True
    return False


def search_filter(queryset: models.QuerySet[Any], query: str) -> models.QuerySet[Any]:
    """Rows whose key contains every word of `query` (folded).

    A word with a trigram is `LIKE '%word%'` (Django escapes % and _), which the trigram index answers. A shorter
    one is `strpos(key, word) > 0` (INSTR on SQLite): the same match, in a form the planner cannot send to the
    index, so it filters what the other words or the list's own order already read.
    """
    if text_problem(query):
        # NUL or a lone surrogate (PostgreSQL cannot compare them) or another control character: no stored text
        # holds one (core/text.py refuses them), so nothing matches; callers without a form reach here raw.
        return queryset.none()
    for term in search_terms(query):
        if uses_trigrams(term):
            queryset = queryset.filter(search_key__contains=term)
        else:
            queryset = queryset.filter(GreaterThan(StrIndex("search_key", Value(term)), 0))
    return queryset
