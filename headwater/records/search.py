"""The search key of companies, persons and deals: what the list search matches, exactly, on every database.

Each record stores `search_key`, the casefolded, NFKC-normalised text of its searchable fields, without accents.
A search folds the user's words the same way and requires every word to match the key. A word with three letters
or digits in a row may occur anywhere in the key (`LIKE '%word%'`); a shorter word ("ko", "k", "sp.") must begin
a word of the key, i.e. sit at its start or after a space, punctuation mark or symbol (see `word_start_pattern`):
"ko" finds Kowalski, Nowak-Kowalska and jan.kowalski@..., not Makowski.
So "WIŚNIEWSKA" finds "Wiśniewska" on SQLite too (its LIKE folds ASCII only), so does "wisniewska", "lodz" finds
"Łódź", "ｋｒａｋóｗ" finds "Kraków",
and on PostgreSQL one trigram GIN index on the one column answers both kinds of words instead of a scan over
several columns and joins (pg_trgm also indexes the start of every word, see `search_filter`).

Linked names are part of the key (a person's company, a deal's company and person): searching deals by the
client's name is the common case, and a join could not use the index. The price: renaming a company or a person,
or deleting one, rewrites the keys of the records that show its name, in the same transaction
(see `records.services.refresh_dependent_keys`).

This module imports no app models: the data migrations use it with their historical models. What each kind's key
is built from is declared with its kind (records/registry.py).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models import F, Func, Value
from django.db.models.functions import Coalesce, StrIndex
from django.db.models.lookups import Contains, GreaterThan, PatternLookup, Regex

from headwater.core.text import fold, text_problem
from headwater.records.registry import kind_of, linked_kind

# A word with this many letters or digits in a row is matched anywhere in the key, through its trigrams; a shorter
# one at the start of a word of the key, through the word-start trigrams pg_trgm also keeps (docs/performance.md).
TRIGRAM_LENGTH = 3
# A search matching at most this many rows reads its page among those ids (see pagination.keyset_page).
SEARCH_PIN_LIMIT = 2000
# The order that first query reads the matching ids in: the account's newest first, through its (account,
# created_at) index. Unordered, PostgreSQL reads a big account's ids with a sequential scan, testing the search on
# every other account's rows too (5 times the rows for the big benchmark account); the list's own order may put
# every match last (persons by name, "ko": 166,000 rows of other surnames first), the creation order does not.
SEARCH_PIN_ORDER = ("-created_at", "-pk")


# Where a word of the key begins for a short search word: at the start of the key or after one of these. Spaces,
# and every punctuation mark and symbol below U+0800 (ASCII, Latin-1, Greek, Cyrillic, Armenian, Hebrew, Arabic;
# with the typographic dashes and quotes folded to ASCII above). An explicit set rather than "not a letter or
# digit": SQLite (Python's re) and PostgreSQL must draw the same line, and PostgreSQL's letters depend on its
# locale. Below U+0800 because pg_trgm cannot derive trigrams from a regex character class that holds a higher
# character (its colour map keeps those apart): the index would then not answer.
# (Keys hold no other whitespace than " ": `_key` joins the words of each part with single spaces.)
WORD_SEPARATORS = frozenset(ch for ch in map(chr, range(0x800)) if ch.isspace() or unicodedata.category(ch)[0] in "PSZ")


def search_terms(query: str) -> list[str]:
    """The words of a search, folded; every one must match. Folding first: NFKC may turn a mark into a space."""
    return list(dict.fromkeys(fold(query).split()))


_NOT_ASCII_DIGITS = re.compile("[^0-9]+")


def _digits(text: str) -> str:
    if text.isascii():  # the only ASCII digits are 0-9: one substitution instead of a test per character
        return _NOT_ASCII_DIGITS.sub("", text)
    return "".join(ch for ch in text if ch.isdigit())


def _key(parts: Iterable[str], *, digit_parts: Iterable[str] = ()) -> str:
    """The non-empty parts, separated by a space: a searched word never contains one, so no match spans two
    fields. (Not a line break: bulk loaders write the key with COPY's text format, where that needs escaping.)
    Any run of whitespace inside a part becomes one space too (a searched word holds none, so no match changes):
    the only whitespace a key holds is " ", which keeps WORD_SEPARATORS within what pg_trgm can use.

    Phone numbers and tax IDs are also kept as bare digits: "600100200" finds "+48 600 100 200".
    """
    lines = [" ".join(fold(part).split()) for part in parts if part]
    for part in digit_parts:
        if not part:
            continue
        folded = fold(part)
        digits = _digits(folded)
        if len(digits) >= TRIGRAM_LENGTH and digits != folded.strip():
            lines.append(digits)
    return " ".join(line for line in lines if line)


def company_search_key(
    *, name: str, tax_id: str, email: str, phone: str, city: str, website: str, regon: str = ""
) -> str:
    """`regon` last (and optional): a key without one is the same as before REGON was searchable."""
    return _key((name, tax_id, email, phone, city, website, regon), digit_parts=(phone, tax_id))


def person_search_key(
    *, first_name: str, last_name: str, email: str, phone: str, position: str, company_name: str
) -> str:
    return _key((f"{first_name} {last_name}", email, phone, position, company_name), digit_parts=(phone,))


def deal_search_key(*, name: str, company_name: str, person_name: str) -> str:
    return _key((name, company_name, person_name))


def key_from_values(kind: str, row: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    """The key of a `kind` row read with `values(*search_fields)`; `names` maps linked ids to names by link
    ("company": {id: name}). The kind's key builder takes a link "company_id" as "company_name"."""
    record_kind = kind_of(kind)
    arguments: dict[str, Any] = {}
    for field in record_kind.search_fields:
        if record_kind.link_of(field) is None:
            arguments[field] = row[field]
        else:
            link = field.removesuffix("_id")
            arguments[f"{link}_name"] = names.get(link, {}).get(row[field], "")
    return record_kind.search_key(**arguments)


def _linked_names(queryset: models.QuerySet[Any], rows: list[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """{"company": {id: name}, "person": {id: full name}} for the records `rows` link to, in the rows' accounts.

    A query of its own rather than a join: under READ COMMITTED, a row re-read after waiting for its lock comes
    back current, but a joined row would keep the version the statement started with (a concurrent rename).
    """
    names: dict[str, dict[int, str]] = {}
    accounts = {row["account_id"] for row in rows}
    for field in kind_of(queryset.model).search_fields:
        target = linked_kind(queryset.model, field)
        ids = {row[field] for row in rows if row.get(field)}
        if target is None or not ids:
            continue
        link = field.removesuffix("_id")
        related: Any = queryset.model._meta.get_field(link).related_model
        linked = related._base_manager.using(queryset.db).filter(pk__in=ids, account_id__in=accounts)
        names[link] = {pk: target.name_from(values) for pk, *values in linked.values_list("pk", *target.name_fields)}
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
    # A data migration's historical model may predate a searched field (REGON): it counts as empty there.
    columns = {field.attname for field in queryset.model._meta.concrete_fields}
    searched = kind_of(kind).search_fields
    fields = ("pk", "account_id", "search_key", *(name for name in searched if name in columns))
    absent = {name: "" for name in searched if name not in columns}
    while True:
        rows = [
            {**row, **absent, **(overrides or {})}
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


class AccountTrigramIndex(Operation):
    """The trigram GIN index of `search_key` with the account as its first column, `GIN (account_id, search_key
    gin_trgm_ops)` (`btree_gin` gives GIN the bigint column), in place of the index `replaces`, on PostgreSQL
    only; SQLite skips it. Built before the old one is dropped.

    A search's plan then reads the account's matches inside the index: the matching trigrams' entries of this
    account only, instead of every account's (a short word's word-start trigram is common across accounts: a
    small account decoded and filtered 61,595 entries for 232 matches). The query must compare the account as
    a bigint for it (`for_account(..., as_bigint=True)`, core/models.py). Not part of the model state, like
    `TrigramIndex`.
    """

    reversible = True

    def __init__(self, model_name: str, name: str, replaces: str) -> None:
        self.model_name = model_name
        self.name = name
        self.replaces = replaces

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _swap(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, state: ProjectState, *, new: str, old: str
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        columns = "account_id, search_key gin_trgm_ops" if new == self.name else "search_key gin_trgm_ops"
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(new)} ON {quote(model._meta.db_table)} USING gin ({columns})"
        )
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(old)}")

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._swap(app_label, schema_editor, to_state, new=self.name, old=self.replaces)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._swap(app_label, schema_editor, to_state, new=self.replaces, old=self.name)

    def describe(self) -> str:
        return f"Trigram index {self.name} on {self.model_name}(account_id, search_key), replacing {self.replaces}"


def uses_trigrams(term: str) -> bool:
    """Whether `term` is matched anywhere in the key (a run of three letters or digits), not at a word start.

    pg_trgm takes trigrams from the words of a LIKE pattern; from "zx" or "--" it gets none, and the index
    would then be read whole (seconds at a million rows, worse than reading the table).
    """
    run = 0
    for ch in term:
        run = run + 1 if ch.isalnum() else 0
        if run >= TRIGRAM_LENGTH:
            return True
    return False


# ASCII punctuation is taken literally after a backslash by Python's re and PostgreSQL's regular expressions
# alike, inside a bracket expression too; letters, digits and other characters are written as they are.
_REGEX_LITERAL = str.maketrans({ch: "\\" + ch for ch in string.punctuation})
SEPARATOR_CLASS = "[" + "".join(sorted(WORD_SEPARATORS)).translate(_REGEX_LITERAL) + "]"


def word_start_pattern(term: str) -> str:
    """The regular expression a short word matches: `term` at the start of the key or after a separator.

    A word that itself begins with a separator (".pl", "+48", "-") is matched wherever it occurs: its first
    character starts a word of its own. The pattern means the same to Python's re (SQLite's REGEXP, as Django
    registers it) and to PostgreSQL: literals, one alternation, `^` and one bracket expression.
    """
    literal = term.translate(_REGEX_LITERAL)
    if term[:1] in WORD_SEPARATORS:
        return literal
    return f"(^|{SEPARATOR_CLASS}){literal}"


def _word_start_uses_index(term: str) -> bool:
    """Whether pg_trgm can derive a trigram from `word_start_pattern(term)`, so the index answers it.

    It takes "  k" (the start of a word) and " ko" from "ko" after the separator class or `^`. It needs a letter
    or digit, and no character from U+0800 up before it (pg_trgm cannot expand such a character of a regular
    expression: "王伟" has no trigram it can use). Without one, the index would be read whole.
    """
    for ch in term:
        if ord(ch) >= 0x800:
            return False
        if ch.isalnum():
            return True
    return False


def word_start_match(key: str | None, term: str | None) -> bool | None:
    """SQLite's `hw_word_start(key, term)` (records/apps.py): what `word_start_pattern(term)` matches in `key`.

    A function of its own rather than Django's REGEXP: that one looks the pattern up in re's cache by a new
    217-character string on every row; `str.find` goes straight to the candidates (an API scan of 100,000 deals
    matching a common word: 840 -> 540 ms).
    """
    if key is None or term is None:
        return None
    if term[:1] in WORD_SEPARATORS:
        return term in key
    at = key.find(term)
    while at != -1:
        if at == 0 or key[at - 1] in WORD_SEPARATORS:
            return True
        at = key.find(term, at + 1)
    return False


# How a word of a search is matched, each with the one value the statement is sent for it (`search_parts`).
LIKE = "like"  # `search_key LIKE '%word%'`: the value is that pattern, escaped as Django's `contains` escapes it
WORD_START = "word start"  # `search_key ~ pattern` (PostgreSQL, through the trigram index): the pattern
WORD_START_UNINDEXED = "word start, unindexed"  # the same on `COALESCE(search_key, '')`: the pattern
WORD_START_SQLITE = "word start, SQLite"  # `instr` then `hw_word_start`: the word
SearchPart = tuple[str, str]


def search_parts(query: str, connection: BaseDatabaseWrapper) -> tuple[SearchPart, ...] | None:
    """Each word of `query` as (how it is matched, the value the statement holds for it), in the words' order, on
    `connection`'s database; None when nothing can match (see `search_filter`)."""
    if text_problem(query):
        return None
    parts: list[SearchPart] = []
    for term in search_terms(query):
        if uses_trigrams(term):
            # As `contains` sends it (django.db.models.lookups.PatternLookup).
            parts.append((LIKE, f"%{connection.ops.prep_for_like_query(term)}%"))
        elif connection.vendor == "postgresql":
            kind = WORD_START if _word_start_uses_index(term) else WORD_START_UNINDEXED
            parts.append((kind, word_start_pattern(term)))
        else:
            parts.append((WORD_START_SQLITE, term))
    return tuple(parts)


class GivenSearch(str):
    """A search whose words' conditions are given (`parts`, as `search_parts` makes them) rather than read from
    its text: how a compiled list (records.listing.list_query) builds its statements with a marker in place of
    each word's value (core/compiled.py). Its text is the search's own, for the callers that only ask whether
    there is a search (`is_search`)."""

    parts: tuple[SearchPart, ...]

    def __new__(cls, text: str, parts: tuple[SearchPart, ...]) -> GivenSearch:
        given = super().__new__(cls, text)
        given.parts = parts
        return given


class _LikePattern(Contains):
    """`search_key__contains=word` given its pattern ready (`'%word%'`, escaped): the same SQL and parameter as
    Django's `contains`, the pattern a value of its own (one a compiled shape's marker can stand for)."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        return super(PatternLookup, self).process_rhs(compiler, connection)


def search_filter(queryset: models.QuerySet[Any], query: str) -> models.QuerySet[Any]:
    """Rows whose key matches every word of `query` (folded).

    A word with a trigram is `LIKE '%word%'` (Django escapes % and _), which the trigram index answers. A shorter
    one must begin a word of the key: `search_key ~ word_start_pattern(word)` on PostgreSQL, answered by the same
    index from the word-start trigrams ("  k", " ko") pg_trgm keeps for every word; when the pattern yields none
    (no letter or digit: "--"), the same match on `COALESCE(search_key, '')`, which the planner cannot send to
    the index, so it filters what the other words or the list's own order read. On SQLite (no index) `instr`
    discards most rows before `word_start_match` looks at the rest.

    `query` may be a `GivenSearch`: its parts are the conditions, whatever its text.
    """
    if isinstance(query, GivenSearch):
        parts: tuple[SearchPart, ...] | None = query.parts
    else:
        parts = search_parts(query, connections[queryset.db])
    if parts is None:
        # NUL or a lone surrogate (PostgreSQL cannot compare them) or another control character: no stored text
        # holds one (core/text.py refuses them), so nothing matches; callers without a form reach here raw.
        return queryset.none()
    for kind, value in parts:
        if kind == LIKE:
            queryset = queryset.filter(_LikePattern(F("search_key"), value))
        elif kind == WORD_START:
            queryset = queryset.filter(Regex(F("search_key"), value))
        elif kind == WORD_START_UNINDEXED:
            hidden = Coalesce(F("search_key"), Value(""), output_field=models.TextField())
            queryset = queryset.filter(Regex(hidden, value))
        else:
            queryset = queryset.filter(GreaterThan(StrIndex("search_key", Value(value)), 0))
            queryset = queryset.filter(
                Func(F("search_key"), Value(value), function="hw_word_start", output_field=models.BooleanField())
            )
    return queryset
