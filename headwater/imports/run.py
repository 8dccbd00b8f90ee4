"""Step 6, the run: every valid row of the file written in one transaction, in batches.

All or nothing: the whole write is one transaction, so a worker killed mid-import leaves no row behind (its job
goes stale and the import shows as failed; it can be run again). One import of an account at a time: the run
first takes the account's import lock (a PostgreSQL advisory lock; on SQLite its first statement is a write, which
holds every other writer), so the same file imported twice at once finds the first run's records as duplicates.

The account's duplicate keys are read once (dedupe.CompanyIndex/PersonIndex); per batch of rows, companies are
matched (those keys, and the companies this run created), then persons within the row's company, then deals (by
name within their company and person). Each kind's new records get reserved ids and are written in one COPY
(PostgreSQL) or one executemany (SQLite), straight from their values (no model instances: the ORM's per-value
preparation was most of a run); existing records changed are saved with one bulk_update. The statistics tallies
follow by the database triggers (stats/tally_sql.py) in the same transaction; on SQLite, whose triggers run per
row, the insert trigger is off for the run and each batch's new records are tallied with one grouped statement.
Every record changed is written down in ImportChange with the previous values of its changed fields; a created
record carries the import's id (`origin_import_id`): what an undo needs. The preview (`dry_run`) is the same code
with the writes left out: new records get ids of its own (negative), nothing is written.
"""

from __future__ import annotations

import datetime as dt
import gc
import operator
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, islice, repeat
from typing import Any

import psycopg
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from headwater.campaigns.models import Campaign, CampaignChange
from headwater.companies.models import Company
from headwater.core.errors import Conflict
from headwater.core.models import Account
from headwater.core.text import fold
from headwater.deals.models import Deal, DealStatus
from headwater.imports import dedupe, plan
from headwater.imports.models import ChangeAction, DuplicateMode, Import, ImportChange, ImportState
from headwater.persons.models import Person
from headwater.records.models import RecordOrigin
from headwater.records.search import company_search_key, deal_search_key, person_search_key
from headwater.records.word_starts import written_in_bulk
from headwater.sources.models import HowChanged, Source, SourceChange
from headwater.sources.selectors import MatchKind, source_match_values
from headwater.stats.services import tallies_bulk_insert

BATCH_ROWS = 2000
PROBLEM_CAP = 10_000  # problems kept in memory for the page; the rejected-rows file reads them all again
PREVIEW_ROWS = 20
# pg_advisory_xact_lock's first key for imports: "HW" and 2 (stats uses 1).
IMPORT_LOCK_CLASS = 0x48570002

MODELS: dict[str, type[models.Model]] = {"company": Company, "person": Person, "deal": Deal}


@dataclass
class Outcome:
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(plan.KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(plan.KINDS, 0))
    skipped: int = 0
    errors: int = 0
    problems: list[plan.RowProblem] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def as_results(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


class _Rollback(Exception):  # a signal, not an error: ends a dry run's transaction
    pass


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date):
        return str(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _lock_account_imports(account_id: int, import_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)", [IMPORT_LOCK_CLASS, account_id])
    # On SQLite the first write takes the database's write lock, held to the commit: every other import waits.
    Import.unscoped.filter(pk=import_id).update(finished_at=None)


def _fresh_link_checks() -> None:
    """PostgreSQL plans each foreign-key check once per connection and keeps the plan: planned while a table was
    a page or two (an earlier small import, an empty database), it is a sequential scan, and checking a hundred
    thousand new rows with it costs rows x table (minutes at COMMIT). Forgetting the connection's plans makes the
    checks of this run planned for the tables as they are when they run."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DISCARD PLANS")


def resolved_sources(*, account: Account, import_: Import) -> dict[str, Source | None]:
    """Each source value of the file -> its source (None: "no source"): the user's choices (step 3), else the
    certain matches (exact, alias, folded); a value with neither gets no source."""
    by_id = {source.pk: source for source in Source.objects.for_account(account)}
    resolved: dict[str, Source | None] = {}
    for value, choice in import_.source_choices.items():
        source_id = choice.get("source") if isinstance(choice, dict) else None
        resolved[value] = by_id.get(source_id) if source_id is not None else None
    return resolved


@dataclass(slots=True)
class _Ref:
    """A record a row of the file is: one the run creates (`new`; its id is given when its batch is written) or an
    existing one. What later rows and kinds need of it, without a model instance per record."""

    pk: int
    company_id: int | None
    source_id: int | None
    label: str  # a company's name, a person's "first last": what the search keys of the records linked to it hold
    new: bool


@dataclass(slots=True)
class _New:
    """One kind's new records of a batch: their references, and (a run, not a preview) the rows to write."""

    refs: list[_Ref] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


# The key spaces of the records a run created (_RunKeys): a company's NIP, REGON, web domain and name, a person's
# e-mail, phone and name within their company, a deal's company, person and name.
# Each key is its space's prefix and its value (built for every key of every row: a concatenation, no call).
NIP, REGON, DOMAIN, COMPANY_NAME = "nip\x1f", "regon\x1f", "domain\x1f", "company\x1f"
PERSON_EMAIL, PERSON_PHONE, PERSON_NAME, DEAL = "email\x1f", "phone\x1f", "person\x1f", "deal\x1f"


class _RunKeys:
    """The keys of the records this run created: a later row naming one of them is that record.

    Held in a dictionary up to LIMIT keys (about 30,000 rows of companies, persons and deals: most imports), then
    moved to a temporary table, so the run's memory stops growing with the file (a 100,000-row file kept 130 MB of
    keys in memory). From then on, per batch and kind, one read of the keys its rows carry, and per batch one COPY
    (executemany on SQLite) of the keys of the records it created.

    On PostgreSQL the table lives on a connection of its own, opened at the move and closed when the run ends (its
    temporary table goes with it, and with the session of a worker that dies): the keys' COPY is sent and left to the
    server while the run goes on with the next batch's rows, and finished only when the table is read or written
    next (`_settle`). On the run's connection the COPY would wait there (a COPY holds its connection: no other
    statement until it ends), and the server's time for the 520,000 keys of a 100,000-row file (about 1 s: the
    rows and their hash index) was a wait of the run; on its own connection it runs on the other core. The keys
    are values the run computed (ids, texts), not rows of its transaction, so nothing needs them in that
    transaction. On SQLite the table is the run's connection's own: dropped when the run ends, and with a
    rollback (SQLite undoes its creation)."""

    TABLE = "hw_import_run_keys"
    LIMIT = 100_000
    CHUNK = 500  # SQLite's bound parameters per statement: well under any build's limit
    # Most keys a batch looks up belong to no record of the run (a file repeats few rows): a Bloom filter of the
    # keys in the table sends only the likely ones to it. Its slots are bytes, not bits (8 MB, two slots a key: about
    # 0.9 % false hits at 420,000 keys, 0.2 % at 200,000, 14 % at the 2 million keys of a 500,000-row file): a
    # byte is set and read by `bytearray.__setitem__` and `__getitem__` mapped over all the keys at once, no Python
    # loop per key (the bit filter's loops, 2 MB, 0.3 % at 420,000 keys, cost 6 % of a preview).
    SLOTS = 1 << 23
    MASK = SLOTS - 1
    SHIFT = 23  # the second slot: the hash's next 23 bits

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.memory: dict[str, _Ref] = {}
        self.seen: bytearray | None = None  # the filter, once the keys are in the table
        self.analysed = False
        self.link: Any = None  # PostgreSQL: the table's own connection (psycopg), from the move to `drop`
        self.pending: ExitStack | None = None  # a COPY sent on it and not yet finished

    def _settle(self) -> None:
        """Finish the COPY sent last (the server has had the time since to take it in)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.close()

    # The filter's two slots of a key: the low 23 bits of its hash and the next 23 (within one process, hash() of a
    # text is fixed, and kept in the text once computed: enough for a filter that lives as long as the run). Each
    # pass is a chain of map() over all the keys: it runs for every key of every row.

    def _likely(self, seen: bytearray, keys: set[str]) -> list[str]:
        """The keys whose two slots are both set: those in the table, and a few others."""
        slot, first_bits, next_bits = seen.__getitem__, self.MASK.__and__, self.SHIFT.__rrshift__
        first = list(compress(keys, map(slot, map(first_bits, map(hash, keys)))))
        return list(compress(first, map(slot, map(first_bits, map(next_bits, map(hash, first))))))

    def _mark(self, seen: bytearray, keys: dict[str, _Ref]) -> None:
        mark, first_bits, next_bits = seen.__setitem__, self.MASK.__and__, self.SHIFT.__rrshift__
        deque(map(mark, map(first_bits, map(hash, keys)), repeat(1)), maxlen=0)
        deque(map(mark, map(first_bits, map(next_bits, map(hash, keys))), repeat(1)), maxlen=0)

    def recall(self, keys: set[str]) -> dict[str, _Ref]:
        """The records created by earlier batches that hold any of `keys` (a space's prefix and a value), by key."""
        found: dict[str, _Ref] = {}
        seen = self.seen
        if seen is None:
            memory = self.memory
            for key in keys:
                if key in memory:
                    found[key] = memory[key]
            return found
        wanted = sorted(self._likely(seen, keys))
        if not wanted:
            return found
        step = len(wanted) if self.postgres else self.CHUNK  # PostgreSQL takes them as one array
        self._settle()
        with self._cursor() as cursor:
            for start in range(0, len(wanted), step):
                chunk = wanted[start : start + step]
                params: list[Any] = [chunk] if self.postgres else chunk
                where = "key = ANY(%s)" if self.postgres else f"key IN ({', '.join(['%s'] * len(chunk))})"
                cursor.execute(
                    f"SELECT key, pk, company_id, source_id, label FROM {self.TABLE} WHERE {where}",  # noqa: S608 — our own table
                    params,
                )
                for key, pk, company_id, source_id, label in cursor.fetchall():
                    found[key] = _Ref(pk, company_id, source_id, label, new=True)
        return found

    def keep(self, refs: dict[str, _Ref]) -> None:
        """Keep the keys of the records the batch created (their ids given)."""
        if not refs:
            return
        if self.seen is None:
            self.memory.update(refs)
            if len(self.memory) <= self.LIMIT:
                return
            refs, self.memory = self.memory, {}
            self.seen = self._create()
        seen = self.seen
        self._mark(seen, refs)
        self._settle()
        if self.postgres:
            # Sent, not finished: the server takes the keys in while the run reads its next rows (`_settle`).
            pending = ExitStack()
            try:
                cursor = pending.enter_context(self.link.cursor())
                copy = pending.enter_context(cursor.copy(f"COPY {self.TABLE} FROM STDIN"))
                for block in _copy_blocks(refs):
                    copy.write(block)
            except BaseException:
                pending.close()
                raise
            self.pending = pending
            if not self.analysed:
                self._settle()
                self.link.execute(f"ANALYZE {self.TABLE}")
                self.analysed = True
            return
        with connection.cursor() as cursor:
            rows = [(key, ref.pk, ref.company_id, ref.source_id, ref.label) for key, ref in refs.items()]
            cursor.executemany(f"INSERT INTO {self.TABLE} VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608 — our own table

    def _cursor(self) -> Any:
        return self.link.cursor() if self.postgres else connection.cursor()

    def _create(self) -> bytearray:
        """The table, and an empty filter for it.

        On PostgreSQL its key is looked up through a hash index, not a primary key: a B-tree over the texts cost
        twice the COPY's time (400,000 keys: 1.1 s against 0.45 s with the hash index, 0.2 s with no index), and
        nothing needs its uniqueness (a key is kept once: `keep` gets only keys no record of the run held). The
        table is analysed after its first COPY, so that the planner knows its keys are distinct and reads a
        batch's keys through the index."""
        if self.postgres:
            self.link = psycopg.connect(**connection.get_connection_params(), autocommit=True)
            self.link.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE} (key text NOT NULL, pk bigint NOT NULL, company_id bigint, "
                f"source_id bigint, label text NOT NULL)"
            )
            self.link.execute(f"CREATE INDEX ON {self.TABLE} USING hash (key)")
            return bytearray(self.SLOTS)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE} (key text PRIMARY KEY, pk bigint NOT NULL, "
                f"company_id bigint, source_id bigint, label text NOT NULL)"
            )
        return bytearray(self.SLOTS)

    def drop(self) -> None:
        """The keys forgotten: the table dropped (PostgreSQL: its connection closed, whatever state it is in). Called
        when the run ends, however it ends."""
        self.memory = {}
        moved, self.seen, self.analysed = self.seen is not None, None, False
        link, self.link = self.link, None
        if link is not None:  # PostgreSQL (also when the table's creation failed after connecting)
            try:
                self._settle()
            finally:
                link.close()
        elif moved:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")


def _copy_special(text: str) -> bool:
    """Whether `text` holds a character COPY's text format escapes (backslash, tab, line feed, carriage return).
    Four substring tests: each is a scan at memory speed, where one regular expression's character class over a
    block's 5,000 keys joined took a hundred times longer (a twentieth of a preview's time)."""
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


COPY_LINES = 5000  # the keys a block of the run keys' COPY holds (_copy_blocks)
_NULL = "\\N"  # NULL in COPY's text format


_KEY_OF, _REF_OF, _LABEL_OF = operator.itemgetter(0), operator.itemgetter(1), operator.attrgetter("label")


def _copy_blocks(refs: dict[str, _Ref]) -> Iterator[str]:
    """The keys and their records as the text of a COPY (tab-separated, \\N for NULL, backslash escapes), in
    blocks of COPY_LINES: a write per block instead of a write_row per key (a run keeps hundreds of thousands of
    keys), and no text of the whole 100,000 keys moved at once. Keys and labels are texts of the file, escaped
    when they hold a backslash, a tab or a line break: looked for once per block, in the block's keys and labels
    joined (escaping a text that holds none of them leaves it as it is).

    A record's keys come one after another (a batch keeps each new record's keys together), and its lines differ by
    their key only: the rest of the line (its columns after the key) is formatted once per run of keys of the same
    record, and joins them (`tail.join(keys) + tail`), instead of once per key. A record's keys that were not kept
    together would make two runs: the same lines."""
    items = iter(refs.items())
    while chunk := list(islice(items, COPY_LINES)):
        escape = _copy_special("".join(map(_KEY_OF, chunk))) or _copy_special(
            "".join(map(_LABEL_OF, map(_REF_OF, chunk)))
        )
        runs: list[tuple[_Ref, list[str]]] = []
        last: _Ref | None = None
        keys: list[str] = []
        for key, ref in chunk:
            if ref is last:
                keys.append(key)
            else:
                last, keys = ref, [key]
                runs.append((ref, keys))
        text: list[str] = []
        for ref, run_keys in runs:
            label = ref.label
            if escape:
                run_keys = [key.translate(_COPY_ESCAPES) for key in run_keys]  # noqa: PLW2901 — the run's keys escaped
                label = label.translate(_COPY_ESCAPES)
            tail = (
                f"\t{ref.pk}\t{_NULL if ref.company_id is None else ref.company_id}\t"
                f"{_NULL if ref.source_id is None else ref.source_id}\t{label}\n"
            )
            text.append(tail.join(run_keys))
            text.append(tail)
        yield "".join(text)


class _Table:
    """Rows written straight into one table, in its columns' order (COPY on PostgreSQL, executemany on SQLite): the
    ORM's per-value preparation and model instances cost most of a run. Values the database adapter takes as they
    are (text, numbers, None) pass as they are; dates, datetimes and decimals go through their field once each."""

    def __init__(self, model: type[models.Model], *, with_id: bool = True) -> None:
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.name = model._meta.db_table
        self.names = [f.attname for f in fields]
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        self.defaults = {f.attname: f.get_default() for f in fields}
        # psycopg takes dates, datetimes and decimals as they are; SQLite's columns hold them as Django writes them.
        prepared = (
            ("JSONField",)
            if connection.vendor == "postgresql"
            else ("DateTimeField", "DateField", "DecimalField", "JSONField", "TimeField")
        )
        self.prepared = {f.attname: f for f in fields if f.get_internal_type() in prepared}
        self.prepared_at = [(i, name) for i, name in enumerate(self.names) if name in self.prepared]
        # A row's values in the columns' order, its defaults filled in, in one call (a loop per value costs more
        # than anything else the tuple needs).
        self.getter = operator.itemgetter(*self.names)
        self.cache: dict[tuple[str, Any], Any] = {}

    def _prepare(self, name: str, value: Any) -> Any:
        field_ = self.prepared[name]
        if isinstance(value, dict | list):
            return field_.get_db_prep_save(value, connection)
        key = (name, value)  # the run's one `now`, a file's few dates and amounts: prepared once each
        if key not in self.cache:
            if len(self.cache) > 100_000:
                self.cache.clear()
            self.cache[key] = field_.get_db_prep_save(value, connection)
        return self.cache[key]

    def _tuple(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = self.getter({**self.defaults, **row})
        if len(self.names) == 1:
            values = (values,)
        if not self.prepared_at:
            return tuple(values)
        found = list(values)
        for i, name in self.prepared_at:
            if found[i] is not None:
                found[i] = self._prepare(name, found[i])
        return tuple(found)

    def reserve(self, count: int) -> list[int]:
        """Ids for `count` new rows, ascending (a contiguous range on SQLite, whose writer holds the lock)."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [self.name, count]
                )
                return sorted(int(pk) for (pk,) in cursor.fetchall())
            cursor.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608 — our table's name
                f"coalesce((SELECT max(id) FROM {self.name}), 0))",
                [self.name],
            )
            first = int(cursor.fetchone()[0]) + 1
        return list(range(first, first + count))

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.name} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(self._tuple(row))
            else:
                marks = ", ".join(["%s"] * len(self.names))
                cursor.executemany(
                    f"INSERT INTO {self.name} ({self.columns}) VALUES ({marks})",  # noqa: S608 — our table's columns
                    [self._tuple(row) for row in rows],
                )


class _Writer:
    def __init__(
        self,
        *,
        account: Account,
        import_: Import,
        outcome: Outcome,
        dry_run: bool,
        tally: dict[str, Callable[[int, int], None]] | None = None,
    ) -> None:
        self.account = account
        self.import_ = import_
        # Read for every record written: a model's pk is a property, dearer than an attribute.
        self.account_id: int = account.pk
        self.import_id: int = import_.pk
        self.outcome = outcome
        self.dry_run = dry_run
        self.tally = tally or {}
        self.user_id = import_.run_by_id
        self.mode = import_.duplicates
        self.sources = resolved_sources(account=account, import_=import_)
        self.unresolved: dict[str, Source | None] = {}
        self.all_sources = {source.pk: source for source in Source.objects.for_account(account)}
        self.default_rule = account.sources_enabled and account.source_default_from_contact
        self.now = timezone.now()
        self.today = timezone.localdate()
        # The account's records by their keys, read once (dedupe.py); what this run created, by key (_RunKeys): a
        # later row naming the same company, person or deal is that record.
        self.company_index = dedupe.CompanyIndex.load(account)
        self.person_index = dedupe.PersonIndex.load(account)
        self.run_keys = _RunKeys()
        # The keys of the records the batch created, all kinds: kept at its end in one go (one COPY). Each kind
        # looks up only its own spaces, and within the batch its own new records are found by `known_keys`.
        self.batch_keys: dict[str, _Ref] = {}
        # Existing records read (and locked) so far: a record merged by one batch is the same object in the next.
        self.existing: dict[str, dict[int, Any]] = {kind: {} for kind in plan.KINDS}
        self.company_names: dict[int, str] = {}
        self.changes: list[ImportChange] = []
        self.history: list[dict[str, Any]] = []
        self.campaign_history: list[CampaignChange] = []
        self.locked_campaigns: set[int] = set()
        self.campaigns = {c.pk: c for c in Campaign.objects.for_account(account).only("pk", "source_id", "name")}
        self.tables = {kind: _Table(model) for kind, model in MODELS.items()}
        self.history_table = _Table(SourceChange, with_id=False)  # ids from the table's own sequence
        self.next_fake = 0

    # --- sources -------------------------------------------------------------------------------------------

    def _row_source(self, row: plan.RowPlan) -> tuple[bool, Source | None]:
        """(the row names a source, which); an unconfirmed value takes its certain match only."""
        if row.campaign_source_id is not None:  # the plan checked the row's source agrees, or took the campaign's
            return True, self.all_sources.get(row.campaign_source_id)
        value = row.source_value
        if not value:
            return False, None
        if value in self.sources:
            return True, self.sources[value]
        if value not in self.unresolved:
            match = source_match_values(account=self.account, values={value: 1}, fuzzy=False)[0]
            certain = match.kind in (MatchKind.EXACT, MatchKind.ALIAS, MatchKind.FOLDED)
            self.unresolved[value] = match.source if certain else None
        return True, self.unresolved[value]

    def _default_from(self, *contacts: _Ref | None) -> Source | None:
        if not self.default_rule:
            return None
        for contact in contacts:
            if contact is not None and contact.source_id:
                source = self.all_sources.get(contact.source_id)
                if source is not None and not source.archived:
                    return source
        return None

    def _history(self, record_id: int, kind: str, old_id: int | None, new_id: int | None) -> None:
        old = self.all_sources.get(old_id) if old_id else None
        new = self.all_sources.get(new_id) if new_id else None
        self.history.append(
            {
                "account_id": self.account_id,
                "record_type": kind,
                "record_id": record_id,
                "old_source_id": old_id,
                "old_name": old.name if old else "",
                "new_source_id": new_id,
                "new_name": new.name if new else "",
                "how": HowChanged.IMPORT,
                "import_ref": self.import_id,
                "user_id": self.user_id,
                "at": self.now,
            }
        )

    def _campaign_history(self, record_id: int, kind: str, old_id: int | None, new_id: int | None) -> None:
        if self.dry_run or old_id == new_id:
            return
        old, new = self.campaigns.get(old_id or 0), self.campaigns.get(new_id or 0)
        self.campaign_history.append(
            CampaignChange(
                account=self.account,
                record_type=kind,
                record_id=record_id,
                old_campaign_id=old_id,
                old_name=old.name if old else "",
                new_campaign_id=new_id,
                new_name=new.name if new else "",
                how=HowChanged.IMPORT,
                user_id=self.user_id,
                at=self.now,
            )
        )

    # --- records -------------------------------------------------------------------------------------------

    def _new(self, values: dict[str, Any], owner_id: int | None, source: Source | None) -> dict[str, Any]:
        return {
            **values,
            "account_id": self.account_id,
            "owner_id": owner_id,
            "source_id": source.pk if source else None,
            "created_at": self.now,
            "updated_at": self.now,
            "created_by_id": self.user_id,
            "origin": RecordOrigin.IMPORT,
            "origin_import_id": self.import_id,
        }

    def _merge(self, kind: str, record: Any, values: dict[str, Any], source: tuple[bool, Source | None]) -> bool:
        """Apply the duplicate mode to an existing record; True when it changed."""
        previous: dict[str, Any] = {}
        if self.mode != DuplicateMode.SKIP:
            for name, value in values.items():
                current = getattr(record, name)
                if current == value or _empty(value) or _same_number(name, current, value):
                    continue
                if self.mode == DuplicateMode.FILL and not _empty(current):
                    continue
                previous[name] = _jsonable(current)
                setattr(record, name, value)
        if "campaign_id" in previous:
            self._campaign_history(record.pk, kind, previous["campaign_id"], record.campaign_id)
        names_source, new_source = source
        kept = self.campaigns.get(record.campaign_id) if record.campaign_id else None
        # A record with a campaign has the campaign's source: one just set brings its source along, and one kept
        # (fill mode) keeps the record's source from being changed under it.
        if kept is not None or (self.import_.update_existing_source and names_source):
            new_id = kept.source_id if kept is not None else (new_source.pk if new_source else None)
            if new_id != record.source_id:
                previous["source_id"] = record.source_id
                self._history(record.pk, kind, record.source_id, new_id)
                record.source_id = new_id
        if not previous:
            return False
        # One per merge, even of a record merged before in this run: the undo takes each field's earliest value.
        self.changes.append(
            ImportChange(
                account=self.account,
                import_run=self.import_,
                record_type=kind,
                record_id=record.pk,
                action=ChangeAction.UPDATED,
                previous=previous,
            )
        )
        record.version += 1
        record.updated_at = self.now
        return True

    def _save_updates(self, kind: str, records: dict[int, Any], fields: set[str]) -> None:
        if records and not self.dry_run:
            links = {"source_id": "source", "company_id": "company", "campaign_id": "campaign"}
            names = {links.get(name, name) for name in fields} | {"version", "updated_at", "search_key"}
            MODELS[kind].unscoped.bulk_update(list(records.values()), sorted(names))  # type: ignore[attr-defined]  # every record model has it

    def _insert(self, kind: str, new: _New, keys: dict[str, _Ref]) -> None:
        """Give the batch's new records of one kind their ids and write them, with the history of their sources;
        the records themselves say which import created them (`origin_import_id`): what an undo deletes. Their
        `keys` are kept for the later batches (_RunKeys) at the batch's end. A preview writes nothing: its new records
        are their references alone, given ids of its own, below any real one."""
        refs = new.refs
        self.outcome.created[kind] += len(refs)
        if not refs:
            return
        if self.dry_run:
            for ref, pk in zip(refs, range(self.next_fake - len(refs), self.next_fake), strict=True):
                ref.pk = pk
            self.next_fake -= len(refs)
            self.batch_keys.update(keys)
            return
        ids = self.tables[kind].reserve(len(refs))
        for row, ref, pk in zip(new.records, refs, ids, strict=True):
            row["id"] = ref.pk = pk
            if row["source_id"]:
                self._history(pk, kind, None, row["source_id"])
            if row.get("campaign_id"):
                self._campaign_history(pk, kind, None, row["campaign_id"])
        # Their word starts in one statement (an account switched on), not a trigger per row.
        with written_in_bulk(MODELS[kind], ids, account_id=self.account_id):
            self.tables[kind].insert(new.records)
        if kind in self.tally:
            self.tally[kind](ids[0], ids[-1])
        self.batch_keys.update(keys)

    def _fetch(self, kind: str, ids: set[int]) -> dict[int, Any]:
        """The existing records of these ids, locked for the run (a preview only reads them)."""
        cache = self.existing[kind]
        missing = ids - cache.keys()
        if missing:
            found = MODELS[kind].objects.for_account(self.account).filter(pk__in=missing)  # type: ignore[attr-defined]  # every record model has it
            if not self.dry_run:
                found = found.select_for_update()
            cache.update((record.pk, record) for record in found)
        return cache

    def _lock_campaigns(self, batch: list[plan.RowPlan]) -> None:
        """KEY SHARE on the batch's campaigns to the commit, as the record services take (records.services
        linked_in_account): a campaign no record carries yet cannot be deleted under the run's new records."""
        wanted = sorted({row.campaign_id for row in batch if row.campaign_id} - self.locked_campaigns)
        if not wanted or self.dry_run or connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {Campaign._meta.db_table} WHERE id = ANY(%s) AND account_id = %s FOR KEY SHARE",  # noqa: S608 — our table's name
                [wanted, self.account.pk],
            )
        self.locked_campaigns.update(wanted)

    def write(self, batch: list[plan.RowPlan]) -> None:
        self._lock_campaigns(batch)
        shown = max(PREVIEW_ROWS - len(self.outcome.preview), 0)
        # What each kind did with a row, kept for the rows the preview shows; the others' go to one dict thrown away
        # (no dict made per row of the file).
        unshown: dict[str, str] = {}
        actions: list[dict[str, str]] = [{} for _ in batch[:shown]] + [unshown] * max(len(batch) - shown, 0)
        sources = [self._row_source(row) for row in batch]  # each row's, for its company, person and deal
        companies = self._companies(batch, sources, actions)
        persons = self._persons(batch, sources, companies, actions)
        self._deals(batch, sources, companies, persons, actions)
        for row, action in zip(batch[:shown], actions, strict=False):
            campaign = self.campaigns.get(row.campaign_id or 0)
            self.outcome.preview.append(
                {
                    "number": row.number,
                    "records": row.records,
                    "actions": action,
                    "campaign": campaign.name if campaign else "",
                }
            )
        if not self.dry_run:
            ImportChange.unscoped.bulk_create(self.changes)
            if self.history:
                self.history_table.insert(self.history)
            CampaignChange.unscoped.bulk_create(self.campaign_history)
        self.changes, self.history, self.campaign_history = [], [], []
        self.run_keys.keep(self.batch_keys)
        self.batch_keys = {}

    @staticmethod
    def _company_run_keys(normalised: tuple[str, str, str, str]) -> list[str]:
        """A company's keys among the records the run created, in the order they decide: NIP, REGON, domain, name."""
        nip, regon, domain, name = normalised
        keys = [NIP + nip] if nip else []
        if regon:
            keys.append(REGON + regon)
        if domain:
            keys.append(DOMAIN + domain)
        if name:
            keys.append(COMPANY_NAME + name)
        return keys

    def _company_matches(
        self, batch: list[plan.RowPlan]
    ) -> tuple[list[tuple[int, plan.RowPlan]], list[int | None], list[list[str]]]:
        """The rows with a company, each one's existing company (None: none) and, for the others, its keys among
        the run's companies: one pass over the batch."""
        wanted: list[tuple[int, plan.RowPlan]] = []
        matches: list[int | None] = []
        run_keys: list[list[str]] = []
        match_company = self.company_index.match
        for i, row in enumerate(batch):
            values = row.records.get("company")
            if values is not None:
                keys = dedupe.company_keys(values)
                match = match_company(keys)
                wanted.append((i, row))
                matches.append(match)
                run_keys.append(self._company_run_keys(keys) if match is None else [])
        return wanted, matches, run_keys

    def _companies(
        self, batch: list[plan.RowPlan], sources: list[tuple[bool, Source | None]], actions: list[dict[str, str]]
    ) -> list[_Ref | None]:
        result: list[_Ref | None] = [None] * len(batch)
        wanted, matches, run_keys = self._company_matches(batch)
        existing = self._fetch("company", {pk for pk in matches if pk is not None})
        known_keys = self.run_keys.recall({k for row_keys in run_keys for k in row_keys})
        created: dict[str, _Ref] = {}
        new = _New()
        changed: dict[int, Company] = {}
        fields: set[str] = set()
        skipped = 0
        for (i, row), row_keys, match in zip(wanted, run_keys, matches, strict=True):
            values = row.records["company"]
            source = sources[i]
            if match is not None:
                company = existing[match]
                if self._merge("company", company, values, source):
                    changed[company.pk] = company
                    fields |= set(values) | {"source_id"}
                    actions[i]["company"] = "updated"
                else:
                    actions[i]["company"] = "skipped"
                    skipped += 1
                self.company_names[company.pk] = company.name
                result[i] = _Ref(company.pk, None, company.source_id, company.name, new=False)
                continue
            known = _first_known(row_keys, known_keys)
            if known is not None:
                result[i] = known
                actions[i]["company"] = "same"
                continue
            chosen = source[1]
            ref = _Ref(0, None, chosen.pk if chosen is not None else None, values["name"], new=True)
            if not self.dry_run:  # a preview builds no record (and writes none)
                record = self._new(values, row.owner_id, source[1])
                record["search_key"] = _company_key(record)
                new.records.append(record)
            for k in row_keys:  # none known: each is the new company's (a known one would have matched it)
                known_keys[k] = created[k] = ref
            new.refs.append(ref)
            result[i] = ref
            actions[i]["company"] = "new"
        for company in changed.values():
            company.search_key = _company_key(company.__dict__)
            self.company_names[company.pk] = company.name
        self._count(changed, skipped, "company")
        self._insert("company", new, created)
        self._save_updates("company", changed, fields)
        return result

    def _count(self, changed: dict[int, Any], skipped: int, kind: str) -> None:
        self.outcome.updated[kind] += len(changed)
        self.outcome.skipped += skipped

    def _persons(
        self,
        batch: list[plan.RowPlan],
        sources: list[tuple[bool, Source | None]],
        companies: list[_Ref | None],
        actions: list[dict[str, str]],
    ) -> list[_Ref | None]:
        result: list[_Ref | None] = [None] * len(batch)
        wanted = [(i, row) for i, row in enumerate(batch) if "person" in row.records]
        matches, run_keys = self._person_matches(wanted, companies)
        existing = self._fetch("person", {pk for pk in matches if pk is not None})
        known_keys = self.run_keys.recall({k for row_keys in run_keys for k in row_keys})
        created: dict[str, _Ref] = {}
        new = _New()
        changed: dict[int, Person] = {}
        fields: set[str] = set()
        skipped = 0
        for (i, row), row_keys, match in zip(wanted, run_keys, matches, strict=True):
            values = row.records["person"]
            company = companies[i]
            source = sources[i]
            if match is not None:
                person = existing[match]
                merged = dict(values)
                if company is not None and person.company_id is None:
                    merged["company_id"] = company.pk
                if self._merge("person", person, merged, source):
                    changed[person.pk] = person
                    fields |= set(merged) | {"source_id"}
                    actions[i]["person"] = "updated"
                else:
                    actions[i]["person"] = "skipped"
                    skipped += 1
                label = f"{person.first_name} {person.last_name}".strip()
                result[i] = _Ref(person.pk, person.company_id, person.source_id, label, new=False)
                continue
            known = _first_known(row_keys, known_keys)
            if known is not None:
                result[i] = known
                actions[i]["person"] = "same"
                continue
            chosen = source[1] if source[0] else self._default_from(company)
            label = f"{values.get('first_name', '')} {values['last_name']}".strip()
            ref = _Ref(
                0,
                company.pk if company is not None else None,
                chosen.pk if chosen is not None else None,
                label,
                new=True,
            )
            if not self.dry_run:
                record = self._new(values, row.owner_id, chosen)
                record["company_id"] = ref.company_id
                record["search_key"] = self._person_key(record, company.label if company is not None else "")
                new.records.append(record)
            for k in row_keys:
                known_keys[k] = created[k] = ref
            new.refs.append(ref)
            result[i] = ref
            actions[i]["person"] = "new"
        for person in changed.values():
            person.search_key = self._person_key(person.__dict__, self._company_name(person.company_id))
        self._count(changed, skipped, "person")
        self._insert("person", new, created)
        self._save_updates("person", changed, fields)
        return result

    def _person_matches(
        self, wanted: list[tuple[int, plan.RowPlan]], companies: list[_Ref | None]
    ) -> tuple[list[int | None], list[list[str]]]:
        """Each row's existing person (None: none) and, for the others, its keys among the run's persons; each key
        normalised once, for both."""
        matches: list[int | None] = []
        run_keys: list[list[str]] = []
        index = self.person_index
        for i, row in wanted:
            values = row.records["person"]
            email, phone, last_name = values.get("email", ""), values.get("phone", ""), values.get("last_name", "")
            company = companies[i]
            company_id = company.pk if company is not None else None
            email_key = dedupe.email_key(email)
            # A row's phone is its parser's answer, E.164, which is its own key (tests/test_dedupe.py).
            phone_key = phone
            name = None
            if company_id and last_name:
                name = dedupe.person_name_key(values.get("first_name", ""), last_name)
            match = index.match_keys(email_key, phone_key, company_id, name)
            matches.append(match)
            run_keys.append(
                [] if match is not None else self._person_keys(email, email_key, phone_key, company_id, name)
            )
        return matches, run_keys

    @staticmethod
    def _person_keys(email: str, email_key: str, phone_key: str, company_id: int | None, name: str | None) -> list[str]:
        """The row's keys among the persons this run created, in the order they decide: e-mail, phone (E.164), name
        within the company (`name` None: the row has no company or no last name)."""
        found: list[str] = []
        if email:
            found.append(PERSON_EMAIL + email_key)
        if phone_key:
            found.append(PERSON_PHONE + phone_key)
        if name is not None:
            found.append(f"{PERSON_NAME}{company_id}\x1f{name}")
        return found

    def _company_name(self, company_id: int | None) -> str:
        if company_id is None:
            return ""
        if company_id not in self.company_names:
            found = Company.unscoped.filter(pk=company_id).only("name").first()
            self.company_names[company_id] = found.name if found else ""
        return self.company_names[company_id]

    @staticmethod
    def _person_key(p: dict[str, Any], company_name: str) -> str:
        return person_search_key(
            first_name=p.get("first_name", ""),
            last_name=p.get("last_name", ""),
            email=p.get("email", ""),
            phone=p.get("phone", ""),
            position=p.get("position", ""),
            company_name=company_name,
        )

    def _deals(
        self,
        batch: list[plan.RowPlan],
        sources: list[tuple[bool, Source | None]],
        companies: list[_Ref | None],
        persons: list[_Ref | None],
        actions: list[dict[str, str]],
    ) -> None:
        new = _New()
        changed: dict[int, Deal] = {}
        fields: set[str] = set()
        skipped = 0
        existing = self._existing_deals(batch, companies, persons)
        keys, run_keys = self._deal_keys(batch, companies, persons)
        if existing:  # a row that is an existing deal is none of the run's
            run_keys = ["" if key in existing else run_key for key, run_key in zip(keys, run_keys, strict=True)]
        known_keys = self.run_keys.recall({k for k in run_keys if k})
        created: dict[str, _Ref] = {}
        for i, row in enumerate(batch):
            key = keys[i]
            if key is None:
                continue
            company, person = companies[i], persons[i]
            company_id = key[0]
            names_source, source = sources[i]
            match = existing.get(key)
            if match is not None:
                values = dict(row.records["deal"])
                if self._merge_deal(match, values, (names_source, source)):
                    changed[match.pk] = match
                    fields |= set(values) | {"source_id", "closed_at"}
                    actions[i]["deal"] = "updated"
                else:
                    actions[i]["deal"] = "skipped"
                    skipped += 1
                continue
            if run_keys[i] in known_keys:
                actions[i]["deal"] = "same"
                continue
            chosen = source if names_source else self._default_from(person, company)
            ref = _Ref(0, company_id, chosen.pk if chosen is not None else None, row.records["deal"]["name"], new=True)
            if not self.dry_run:
                values = dict(row.records["deal"])
                values["company_id"] = company_id
                values["person_id"] = _pk(person)
                if values.get("status") in (DealStatus.WON, DealStatus.LOST) and not values.get("closed_at"):
                    values["closed_at"] = self.today
                record = self._new(values, row.owner_id, chosen)
                company_name = company.label if company is not None else self._company_name(company_id)
                record["search_key"] = deal_search_key(
                    name=values["name"],
                    company_name=company_name,
                    person_name=person.label if person is not None else "",
                )
                new.records.append(record)
            known_keys[run_keys[i]] = created[run_keys[i]] = ref
            new.refs.append(ref)
            actions[i]["deal"] = "new"
        self._count(changed, skipped, "deal")
        self._insert("deal", new, created)
        self._save_updates("deal", changed, fields)

    def _merge_deal(self, deal: Deal, values: dict[str, Any], source: tuple[bool, Source | None]) -> bool:
        """`_merge` of an existing deal, its close day following its status; True when it changed."""
        closed_at = deal.closed_at
        if not self._merge("deal", deal, values, source):
            return False
        if deal.status == DealStatus.OPEN:
            deal.closed_at = None
        elif deal.closed_at is None:
            deal.closed_at = self.today
        if deal.closed_at != closed_at:  # moved by the status: the undo brings it back too
            self.changes[-1].previous.setdefault("closed_at", _jsonable(closed_at))
        return True

    @staticmethod
    def _deal_keys(
        batch: list[plan.RowPlan], companies: list[_Ref | None], persons: list[_Ref | None]
    ) -> tuple[list[tuple[int | None, int | None, str] | None], list[str]]:
        """Each row's deal key (its company, person and folded name), None for a row without a deal; and its key
        among the deals this run created ("" without a deal)."""
        keys: list[tuple[int | None, int | None, str] | None] = [None] * len(batch)
        run_keys = [""] * len(batch)
        for i, row in enumerate(batch):
            deal = row.records.get("deal")
            if deal is not None:
                company, person = companies[i], persons[i]
                company_id = company.pk if company is not None else (person.company_id if person is not None else None)
                person_id = person.pk if person is not None else None
                name = fold(deal["name"])
                keys[i] = (company_id, person_id, name)
                run_keys[i] = f"{DEAL}{company_id or ''}\x1f{person_id or ''}\x1f{name}"
        return keys, run_keys

    def _existing_deals(
        self, batch: list[plan.RowPlan], companies: list[_Ref | None], persons: list[_Ref | None]
    ) -> dict[tuple[int | None, int | None, str], Deal]:
        """The account's deals the batch's rows may be: the same name, company and person (a deal of an existing
        company or person only: a record this run created has no deal but the ones this run made)."""
        company_ids = {
            c.pk for i, c in enumerate(companies) if c is not None and not c.new and "deal" in batch[i].records
        }
        person_ids = {p.pk for i, p in enumerate(persons) if p is not None and not p.new and "deal" in batch[i].records}
        if not (company_ids or person_ids):
            return {}
        found: dict[tuple[int | None, int | None, str], Deal] = {}
        candidates = (
            Deal.objects.for_account(self.account)
            .filter(Q(company_id__in=company_ids) | Q(person_id__in=person_ids))
            .exclude(origin_import_id=self.import_.pk)
            .order_by("id")
        )
        if not self.dry_run:
            candidates = candidates.select_for_update()
        cache = self.existing["deal"]
        for candidate in candidates:
            deal = cache.setdefault(candidate.pk, candidate)
            found.setdefault((deal.company_id, deal.person_id, fold(deal.name)), deal)
        return found


def _company_key(c: dict[str, Any]) -> str:
    return company_search_key(
        name=c.get("name", ""),
        tax_id=c.get("tax_id", ""),
        email=c.get("email", ""),
        phone=c.get("phone", ""),
        city=c.get("city", ""),
        website=c.get("website", ""),
        regon=c.get("regon") or "",
    )


def _first_known(keys: list[str], known: dict[str, _Ref]) -> _Ref | None:
    """The record of the first of `keys` (in the order they decide) among the run's, None when none is."""
    for key in keys:
        if key in known:
            return known[key]
    return None


def _pk(record: Any) -> int | None:
    return record.pk if record is not None else None


@contextmanager
def _collected_per_batch() -> Iterator[None]:
    """Python's automatic collection of reference cycles off for the run; the caller collects the young objects
    (`gc.collect(1)`) after each batch. A run keeps many objects alive (a batch's rows, the keys of the records it
    created, the account's keys), and every automatic full collection walks them all again: a quarter of a
    preview's CPU. A run makes next to no cyclic garbage (6 objects in a 100,000-row preview), and each batch's is
    collected with it, so memory stays where it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_execute(
    *,
    import_id: int,
    dry_run: bool = False,
    advance: Callable[[int, int | None], None] | None = None,
    total: int | None = None,
) -> Outcome:
    """Write (or, with `dry_run`, only count) every valid row of the import, all or nothing; see the module."""
    import_ = Import.unscoped.select_related("account").get(pk=import_id)
    account = import_.account
    outcome = Outcome()
    ctx = plan.context_for(
        account=account, import_=import_, default_owner_id=import_.run_by_id or import_.uploaded_by_id
    )
    try:
        with _collected_per_batch(), transaction.atomic(), ExitStack() as inserts:
            if not dry_run:  # a preview writes nothing it keeps: it waits for no run
                _lock_account_imports(account.pk, import_.pk)
                state = Import.unscoped.filter(pk=import_.pk).values_list("state", flat=True).get()
                if state in (ImportState.DONE, ImportState.UNDONE):
                    raise Conflict(_("This import has already been run."))
            tally: dict[str, Callable[[int, int], None]] = {}
            if not dry_run:
                _fresh_link_checks()
                for kind, model in MODELS.items():
                    tally[kind] = inserts.enter_context(tallies_bulk_insert(table=model._meta.db_table))
            writer = _Writer(account=account, import_=import_, outcome=outcome, dry_run=dry_run, tally=tally)
            inserts.callback(writer.run_keys.drop)  # however the run ends (PostgreSQL: the keys' connection closed)
            batch: list[plan.RowPlan] = []
            for row in plan.rows(import_):
                outcome.rows += 1
                row_plan = plan.plan_row(row, ctx)
                if row_plan.problems:
                    outcome.errors += 1
                    room = PROBLEM_CAP - len(outcome.problems)
                    outcome.problems.extend(row_plan.problems[: max(room, 0)])
                    continue
                batch.append(row_plan)
                if len(batch) >= BATCH_ROWS:
                    writer.write(batch)
                    batch = []
                    gc.collect(1)
                    if advance is not None:
                        advance(outcome.rows, total)
            writer.write(batch)
            if dry_run:
                raise _Rollback
            Import.unscoped.filter(pk=import_.pk).update(
                state=ImportState.DONE, results=outcome.as_results(), finished_at=timezone.now()
            )
    except _Rollback:
        pass
    if advance is not None:
        advance(outcome.rows, total)
    return outcome


def count_rows(*, import_id: int) -> int:
    import_ = Import.unscoped.get(pk=import_id)
    return sum(1 for _row in plan.rows(import_))


def _same_number(name: str, current: Any, value: Any) -> bool:
    """A phone the record holds as typed ("+48 22 123 45 67") and the file's, read in E.164, are the same number:
    not a change (an exported list imported back changes nothing)."""
    if name != "phone" or _empty(current):
        return False
    return bool(dedupe.phone_key(current) == value)
