"""Keyset pagination: pages of a sorted queryset without OFFSET and without an exact COUNT of deep results.

The one paginator of every list, the pages' and the API's (core/api_pagination.py adapts its parameters and its
answer). The sort is a tuple of non-null columns plus the primary key as the tie-breaker, all in one direction, so
the position "after row R" is exact even when many rows share a sort value. A cursor carries the sort it was made
for, the key of the row it points past, the direction to read in, and the 1-based number of the page's first
row (for the "26-50 of 1,234" label only; it never decides which rows are read). Cursors are signed and their
values checked against their columns (core/cursors.py).

A list's sorts are one table, `Sorts`: a name to the columns it sorts by (the primary key follows). The pages
name a sort in `?sort=`, the API in `ordering=` (under its own documented names, core/api_pagination.api_sorts).

A sort may lead with one nullable column (a deal's close day): an empty value sorts below every other, in both
databases (PostgreSQL is told `NULLS LAST` descending and `NULLS FIRST` ascending, SQLite's own order), so the
newest first ends with the empty ones. A page that crosses from the values to the empty ones is read in two range
reads (the values after the cursor, then the empty ones), each an index range: one condition
`(closed_at < x OR closed_at IS NULL)` would make the database walk the index from its start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models.expressions import OrderBy

from headwater.core.compiled import (
    ShapedQuery,
    instances_of,
    shaped_count,
    shaped_instances,
    shaped_rows,
    shaped_statement,
)
from headwater.core.cursors import InvalidCursor, column_value, read_cursor, sign_cursor
from headwater.core.cursors import column as column_of

_M = TypeVar("_M", bound=models.Model)

# A list's sorts: the name a request gives, then the non-null columns it sorts by (the primary key follows).
Sorts = dict[str, tuple[str, ...]]

# The "26-50" label's first row number a cursor may carry; far beyond any list (the exact count stops at 10,000).
MAX_START = 2**31 - 1


@dataclass(frozen=True)
class Ordering:
    """Sort by `fields` (non-null columns of the model), then by primary key, all ascending or all descending."""

    fields: tuple[str, ...]
    descending: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.fields, "pk")

    def order_by(self, model: type[models.Model], *, reverse: bool = False) -> list[str | OrderBy]:
        """The ORDER BY of `model`'s rows; a nullable column's empty values sort lowest (see the module's note)."""
        desc = self.descending != reverse
        terms: list[str | OrderBy] = []
        for c in self.columns:
            if c != "pk" and _nullable(model, c):
                terms.append(
                    OrderBy(
                        models.F(c),
                        descending=desc,
                        nulls_last=True if desc else None,
                        nulls_first=None if desc else True,
                    )
                )
            else:
                terms.append(f"-{c}" if desc else c)
        return terms

    @property
    def signature(self) -> str:
        return ("-" if self.descending else "") + ",".join(self.fields)


class KeyRange(Protocol):
    """The sort keys (the ordering's columns, the primary key last) of the first `limit` rows of a list after `key`
    (from the start without one) in reading order, read by something other than the list's query: a search's own
    index of them, in the list's order (records/word_starts.py). The rows are the list's, compared and sorted by
    the database as the list's own query would."""

    def __call__(self, key: tuple[Any, ...] | None, *, backward: bool, limit: int) -> list[tuple[Any, ...]]: ...


@dataclass(frozen=True)
class Cursor:
    key: tuple[Any, ...]
    backward: bool
    start: int


@dataclass
class Page(Generic[_M]):
    rows: list[_M]
    ordering: Ordering
    start: int
    next_cursor: str | None
    prev_cursor: str | None
    total: int | None
    count_limit: int
    # The planner's estimate of the rows, when the list read one instead of counting (`keyset_page`'s
    # `estimate_when_many`): shown as an estimate, never as a count.
    estimate: int | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None

    @property
    def total_is_exact(self) -> bool:
        return self.total is not None

    @property
    def estimate_shown(self) -> int | None:
        """The estimate to two significant digits ("about 630,000" rather than a figure that looks counted), and
        never fewer than the rows this page has reached."""
        if self.estimate is None:
            return None
        digits = len(str(self.estimate)) - 2
        rounded = round(self.estimate, -digits) if digits > 0 else self.estimate
        return max(rounded, self.end)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    # Decimal, date, datetime: their ISO / string forms, read back by cursors.column_value.
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def encode_cursor(ordering: Ordering, row: models.Model, *, backward: bool, start: int) -> str:
    key = [_jsonable(getattr(row, _attname(row, c))) for c in ordering.columns]
    payload = {"s": ordering.signature, "k": key, "b": backward, "o": start}
    return sign_cursor(payload, model=type(row))


def _nullable(model: type[models.Model], column: str) -> bool:
    return bool(getattr(model._meta.get_field(column), "null", False))


def _attname(row: models.Model, column: str) -> str:
    # get_field is typed to return a reverse relation too, which has no attname; a sort column is always a concrete
    # field of the row (the sort tables name only those), so the union's other member never arrives here.
    field: Any = row._meta.pk if column == "pk" else row._meta.get_field(column)
    return str(field.attname)


def decode_cursor(model: type[models.Model], ordering: Ordering, token: str | None) -> Cursor | None:
    """The cursor in `token`, or None when there is none.

    InvalidCursor when it is not one this list signed for this sort, or holds a value its column cannot have:
    the page says so (a 400) rather than quietly showing the first page.
    """
    if not token:
        return None
    payload = read_cursor(token, model=model)
    if payload.get("s") != ordering.signature:
        raise InvalidCursor("made for another sort")
    values = payload.get("k")
    if not isinstance(values, list) or len(values) != len(ordering.columns):
        raise InvalidCursor("the key does not match the sort")
    key = []
    for name, value in zip(ordering.columns, values, strict=True):
        key.append(column_value(column_of(model, name), value))
    start = payload.get("o")
    backward = payload.get("b")
    if not isinstance(start, int) or isinstance(start, bool) or not 1 <= start <= MAX_START:
        raise InvalidCursor("the position is malformed")
    if not isinstance(backward, bool):
        raise InvalidCursor("the direction is malformed")
    return Cursor(key=tuple(key), backward=backward, start=start)


def _after(ordering: Ordering, key: tuple[Any, ...], *, backward: bool) -> models.Q:
    """Rows strictly after `key` in reading order: (a, b, pk) > (x, y, z) spelled out column by column.

    The leading `a >= x` (or `<=`) is redundant but lets the database use the (account, a, pk) index as a range.
    Every value of `key` is a value (a nullable leading column goes through `_after_parts`).
    """
    greater = ordering.descending == backward
    op = "gt" if greater else "lt"
    columns = ordering.columns
    condition = models.Q()
    for i, column in enumerate(columns):
        step = models.Q(**{f"{column}__{op}": key[i]})
        for prev_column, prev_value in zip(columns[:i], key[:i], strict=True):
            step &= models.Q(**{prev_column: prev_value})
        condition |= step
    if len(columns) == 1:
        return condition
    lead = models.Q(**{f"{columns[0]}__{op}e": key[0]})
    return lead & condition


def _after_parts(
    model: type[models.Model], ordering: Ordering, key: tuple[Any, ...], *, backward: bool
) -> list[tuple[models.Q, bool]]:
    """The rows after `key` in reading order, as one or two conditions to read one after the other, each with
    whether it holds the key's values (the empty ones' part does not).

    A nullable leading column's empty values sort lowest: read ascending they come before every value, read
    descending after. So the rows after a value, read descending, are the smaller values then the empty ones; the
    rows after an empty one, read ascending, are the empty ones with a greater id then every value. Each part is a
    range of the (account, column, id) index; one OR of both would not be.
    """
    lead = ordering.fields[0] if ordering.fields else "pk"
    if lead == "pk" or not _nullable(model, lead):
        return [(_after(ordering, key, backward=backward), True)]
    if any(_nullable(model, c) for c in ordering.fields[1:]):
        raise ValueError("only the first column of a sort may be nullable")
    ascending = ordering.descending == backward
    empty = models.Q(**{f"{lead}__isnull": True})
    valued = models.Q(**{f"{lead}__isnull": False})
    if key[0] is None:
        rest = Ordering(ordering.fields[1:], descending=ordering.descending)
        within = empty & _after(rest, key[1:], backward=backward)
        return [(within, True), (valued, False)] if ascending else [(within, True)]
    after_value = _after(ordering, key, backward=backward)
    return [(after_value, True)] if ascending else [(after_value, True), (empty, False)]


# A list given as a queryset, or as a ShapedQuery: its SQL compiled once per shape (core/compiled.py), the same
# statements, rows and instances.
Records = models.QuerySet[_M] | ShapedQuery[_M]


def bounded_count(qs: Records[Any], limit: int) -> int | None:
    """The exact count when it is at most `limit`, else None: the database stops after limit + 1 rows."""
    if isinstance(qs, ShapedQuery):
        found = shaped_count(
            qs.refine(("bounded count", limit), {}, lambda q, _: q.order_by().values("pk")[: limit + 1])
        )
    else:
        found = qs.order_by().values("pk")[: limit + 1].count()
    return found if found <= limit else None


def estimated_rows(qs: Records[Any]) -> int | None:
    """How many rows PostgreSQL's planner expects `qs` to hold (EXPLAIN: planned, not run); None on another
    database, which has no such estimate."""
    connection = connections[_db(qs)]
    if connection.vendor != "postgresql":
        return None
    try:
        if isinstance(qs, ShapedQuery):
            sql, params = shaped_statement(qs.refine("estimate", {}, lambda q, _: q.order_by().values("pk")))
        else:
            sql, params = qs.order_by().values("pk").query.get_compiler(using=qs.db).as_sql()
    except EmptyResultSet:  # `qs.none()`, or a condition that can match nothing (a search for a control character)
        return 0
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        row = cursor.fetchone()
    return int(row[0][0]["Plan"]["Plan Rows"]) if row else None


def _db(qs: Records[Any]) -> str:
    """The database `qs` reads (a queryset's `db`, which is the router's for a read without hints)."""
    return router.db_for_read(qs.model) if isinstance(qs, ShapedQuery) else qs.db


def _among_ids(qs: Records[_M], ids: list[Any], *, name: str) -> Records[_M]:
    """`qs` narrowed to `ids` (`_among`): a ShapedQuery stays one where the ids are one array parameter
    (PostgreSQL), named `name` in it; elsewhere (one parameter per id: no shape) its plain queryset."""
    if isinstance(qs, ShapedQuery):
        if connections[_db(qs)].vendor == "postgresql":
            return qs.refine(("among", name), {name: list(ids)}, lambda q, v: q.filter(_among(q, v[name])))
        qs = qs.queryset()
    return qs.filter(_among(qs, ids))


def _among(qs: models.QuerySet[Any], ids: list[Any]) -> models.Q | models.Func:
    """`pk IN ids`; on PostgreSQL as one array parameter, `id = ANY(%s)`: the same condition to the planner, but
    Django and psycopg write one parameter instead of one per id (1,260 ids: ~3 ms of the page's CPU)."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return models.Q(pk__in=ids)
    # Typed as the column: psycopg would send small ids as a smallint[] (bigint = smallint, served, but a needless
    # cross-type comparison).
    array_type = f"{qs.model._meta.pk.db_type(connection)}[]"
    return models.Func(
        models.F("pk"),
        models.Value(ids),
        arg_joiner=" = ANY(",
        template=f"(%(expressions)s::{array_type}))",
        output_field=models.BooleanField(),
    )


def keyset_page(
    qs: Records[_M],
    *,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    pin_limit: int = 0,
    pin_order: Sequence[str] = (),
    known_total: int | None = None,
    estimate_when_many: bool = False,
    key_range: KeyRange | None = None,
) -> Page[_M]:
    """One page of `qs` in `ordering`, read after (or before) the row `cursor` names; two queries in all.

    `count_limit`: the total is counted up to this many rows (None beyond); 0 counts nothing (the API shows no
    total): one query.
    `pin_limit` (for searches, with a count): the count's query reads the matching ids instead of counting them,
    and when there are at most `pin_limit`, the page is read among exactly those ids. For `ORDER BY ... LIMIT`
    PostgreSQL likes to walk the sort index and filter, hoping to meet matches early; when a rare search's
    estimate is too high that walk reads every row of the account. A known, small id set is fetched and sorted
    instead. Without a count there is no query to read the ids in: one of their own cost the API's common
    searches 30-100% more and bought nothing on rare ones, which PostgreSQL reads through the trigram index
    (docs/performance.md, "One read path").
    `pin_order` orders that first query (which ids it reads does not matter, only how): see SEARCH_PIN_ORDER. Where
    the planner expects a pinned page (at most `pin_limit` matches), the pin reads the matches' sort keys in the
    list's own order instead (a sort of the few rows it reads anyway), and the page reads only its own rows, chosen
    from them (`_read`); a pin that found no match is the whole (empty) page.
    `known_total`: the exact number of rows of `qs`, known without counting them (records.listing.known_count);
    with a count wanted it replaces the count's query, even beyond `count_limit`: one query.
    `estimate_when_many` (for searches, with a count): when the planner expects more than `count_limit` rows, read
    neither the count nor the pin; the page carries the planner's estimate (`Page.estimate`, shown as one), or
    the exact count when the first page holds every row. A bounded count stops after `count_limit` + 1 matches,
    but a search tests each row it reads (a regular expression and the row's heap block): 10-40 ms for a common
    fragment's 10,001 matches, 120 ms for one in 80 deals of a million, only to say "more than 10,000". The
    estimate is planned, not run: a fraction of a millisecond (docs/performance.md, "Close-day filters in the
    creation index, and searches' estimates"). A rare search pays that planning too (0.3-0.6 ms) and is counted
    as before.
    `key_range`: the rows' sort keys in the list's order, from an index of their own: the
    pin reads them from it (and pins them when at most `pin_limit`), and a page not pinned reads its ids from it
    after the cursor, then its rows by id, under `qs`'s conditions still.
    """
    position = decode_cursor(qs.model, ordering, cursor)
    total: int | None = None
    estimate: int | None = None
    pinned: list[tuple[Any, ...]] | None = None
    planned: int | None = None
    if estimate_when_many and count_limit and known_total is None:
        estimate = planned = estimated_rows(qs)
        if estimate is not None and estimate <= count_limit:
            estimate = None
    if known_total is not None and count_limit:
        total = known_total
    elif estimate is not None:
        total = None  # "about N (estimated)": no count, no pin
    elif pin_limit and count_limit:
        # The keys only where the planner expects a pinned page: 10,001 instants at 1-4 us each to parse. Without
        # an estimate (SQLite) nothing says so: a common search there would parse them all for nothing.
        few = planned is not None and planned <= pin_limit
        ids, keys = _matching(qs, ordering, pin_order, count_limit + 1, with_keys=few, key_range=key_range)
        total = len(ids) if len(ids) <= count_limit else None
        if len(ids) <= pin_limit and (keys is not None or not ids):
            # The page's own ids are chosen from the keys (`_read`); no match at all: the page is empty, unread.
            pinned = keys or []
        elif len(ids) <= pin_limit:
            qs = _among_ids(qs, ids, name="pinned")
    elif count_limit:
        total = bounded_count(qs, count_limit)
    page = _page(
        qs,
        ordering,
        position,
        page_size=page_size,
        total=total,
        count_limit=count_limit,
        pinned=pinned,
        key_range=key_range,
    )
    if estimate is not None:
        if page.start == 1 and not page.has_next:
            page.total = len(page.rows)  # every row is on this page: counted exactly, for free
        else:
            page.estimate = estimate
    return page


def _matching(
    qs: Records[Any],
    ordering: Ordering,
    pin_order: Sequence[str],
    limit: int,
    *,
    with_keys: bool,
    key_range: KeyRange | None = None,
) -> tuple[list[Any], list[tuple[Any, ...]] | None]:
    """The first `limit` matching ids in `pin_order`; `with_keys`: the first `limit` matches' sort keys in
    `ordering`, in that order, and their ids (the sort columns are read with the ids, from the rows the pin reads
    anyway, and sorted as the database sorts the list: a name's order is its collation's, which Python does not
    know). Only where the planner expects few matches: in the list's order a misjudged common word could be read
    by walking the list's index (SEARCH_PIN_ORDER); expecting fewer rows than the limit, the planner reads the
    matches and sorts them. With a `key_range`, the keys are read from it, always (an index range in the list's
    order: no walk to fear, no sort to pay)."""
    if key_range is not None:
        found = key_range(None, backward=False, limit=limit)
        return [k[-1] for k in found], found
    if isinstance(qs, ShapedQuery):  # the same statements, compiled once per shape
        if not with_keys:
            pin = qs.refine(
                ("pin", tuple(pin_order), limit), {}, lambda q, _: q.order_by(*pin_order).values_list("pk")[:limit]
            )
            return [row[0] for row in shaped_rows(pin)], None
        keys = shaped_rows(
            qs.refine(
                ("pin keys", ordering, limit),
                {},
                lambda q, _: q.order_by(*ordering.order_by(q.model)).values_list(*ordering.columns)[:limit],
            )
        )
        return [k[-1] for k in keys], keys
    if not with_keys:
        return list(qs.order_by(*pin_order).values_list("pk", flat=True)[:limit]), None
    keys = list(qs.order_by(*ordering.order_by(qs.model)).values_list(*ordering.columns)[:limit])
    return [k[-1] for k in keys], keys


def _page(
    qs: Records[_M],
    ordering: Ordering,
    position: Cursor | None,
    *,
    page_size: int,
    total: int | None,
    count_limit: int,
    pinned: list[tuple[Any, ...]] | None = None,
    key_range: KeyRange | None = None,
) -> Page[_M]:
    def forward(key: tuple[Any, ...] | None, start: int) -> Page[_M]:
        return _forward(
            qs,
            ordering,
            key=key,
            start=start,
            page_size=page_size,
            total=total,
            count_limit=count_limit,
            pinned=pinned,
            key_range=key_range,
        )

    if position is None:
        return forward(None, 1)
    if not position.backward:
        return forward(position.key, position.start)
    rows = _read(qs, ordering, position.key, backward=True, limit=page_size + 1, pinned=pinned, key_range=key_range)
    if len(rows) <= page_size:
        # Nothing before this page: show the first page, full, rather than a short page at the start.
        return forward(None, 1)
    rows = rows[:page_size]
    rows.reverse()
    start = max(position.start, 2)
    return Page(
        rows=rows,
        ordering=ordering,
        start=start,
        next_cursor=encode_cursor(ordering, rows[-1], backward=False, start=start + len(rows)),
        prev_cursor=encode_cursor(ordering, rows[0], backward=True, start=max(start - page_size, 1)),
        total=total,
        count_limit=count_limit,
    )


def _forward(
    qs: Records[_M],
    ordering: Ordering,
    *,
    key: tuple[Any, ...] | None,
    start: int,
    page_size: int,
    total: int | None,
    count_limit: int,
    pinned: list[tuple[Any, ...]] | None = None,
    key_range: KeyRange | None = None,
) -> Page[_M]:
    rows = _read(qs, ordering, key, backward=False, limit=page_size + 1, pinned=pinned, key_range=key_range)
    more = len(rows) > page_size
    rows = rows[:page_size]
    first_page = key is None
    return Page(
        rows=rows,
        ordering=ordering,
        start=start,
        next_cursor=encode_cursor(ordering, rows[-1], backward=False, start=start + len(rows)) if more else None,
        prev_cursor=(
            encode_cursor(ordering, rows[0], backward=True, start=max(start - page_size, 1))
            if rows and not first_page
            else None
        ),
        total=total,
        count_limit=count_limit,
    )


def _read(
    qs: Records[_M],
    ordering: Ordering,
    key: tuple[Any, ...] | None,
    *,
    backward: bool,
    limit: int,
    pinned: list[tuple[Any, ...]] | None = None,
    key_range: KeyRange | None = None,
) -> list[_M]:
    """Up to `limit` rows after `key` (from the start without one) in reading order: one query, or a second when
    the first part of a nullable sort ran out (`_after_parts`).

    `pinned`: every row's sort key (its columns, the primary key last) in `ordering`, in that order, as the pin read
    them (`keyset_page`): the page's ids are chosen from them (`_chosen`), and only those rows read. Read among all
    the matching ids, the planner, counting both the id list and the search condition, expects one or two rows and
    joins every match to its linked records before the sort (a typical account's 232 deals of `99`, most of its
    8-9 ms: docs/performance.md, "The page's ids from the pin"), or walks the list's index through the account's
    other rows (a typical account's 1,260 persons of `ko` by name, among 7,500).
    `key_range`: the ids after `key` are read from it where the pinned keys cannot tell, or nothing was pinned.
    """
    if pinned is not None or key_range is not None:
        chosen = None if pinned is None else _chosen(pinned, ordering, key, backward=backward, limit=limit)
        if chosen is None and key_range is not None:
            chosen = [k[-1] for k in key_range(key, backward=backward, limit=limit)]
        if chosen is not None:
            if not chosen:
                return []
            among = _among_ids(qs, chosen, name="chosen")
            if isinstance(among, ShapedQuery):
                return shaped_instances(
                    among.refine(
                        ("in order", ordering, backward),
                        {},
                        lambda q, _: q.order_by(*ordering.order_by(q.model, reverse=backward)),
                    )
                )
            return instances_of(among.order_by(*ordering.order_by(among.model, reverse=backward)))
        # Compared by the database, among the matches.
        qs = _among_ids(qs, [k[-1] for k in pinned or []], name="matching")
    if isinstance(qs, ShapedQuery):
        # Its ORDER BY is in the shape's SQL: built only when a shape is first compiled.
        return _read_shaped(qs, ordering, key, backward=backward, limit=limit)
    order = ordering.order_by(qs.model, reverse=backward)
    if key is None:
        return instances_of(qs.order_by(*order)[:limit])
    rows: list[_M] = []
    for part, _ in _after_parts(qs.model, ordering, key, backward=backward):
        rows += instances_of(qs.filter(part).order_by(*order)[: limit - len(rows)])
        if len(rows) >= limit:
            break
    return rows


def _chosen(
    pinned: list[tuple[Any, ...]], ordering: Ordering, key: tuple[Any, ...] | None, *, backward: bool, limit: int
) -> list[Any] | None:
    """The ids of the first `limit` rows after `key` in reading order, from the pinned keys (see `_read`); None
    when only the database can tell.

    The keys are in the list's order as the database sorted them, so the rows after the cursor's own row are the
    ones after its key in that list (or before it, read backward): the same rows as the condition `_after` writes,
    in any collation. A key that is not there (its row changed or left the matches since the cursor was made) is
    compared with the others in Python where Python orders its values as the database does (instants, numbers);
    a text or an empty value is left to the database.
    """
    if key is None:
        after = pinned
    elif key in pinned:
        at = pinned.index(key)
        after = pinned[at + 1 :] if not backward else pinned[:at][::-1]
    elif any(value is None or isinstance(value, str) for value in key):
        return None
    else:
        greater = ordering.descending == backward
        after = [k for k in pinned if (k > key if greater else k < key)]
        after = after[::-1] if backward else after
    return [k[-1] for k in after[:limit]]


def _read_shaped(
    qs: ShapedQuery[_M],
    ordering: Ordering,
    key: tuple[Any, ...] | None,
    *,
    backward: bool,
    limit: int,
) -> list[_M]:
    """`_read` of a ShapedQuery: the key's values are the parameters; which of them are empty (the conditions
    differ), the sort, the direction, the part and the limit are the shape."""

    def ordered(q: models.QuerySet[_M]) -> models.QuerySet[_M]:
        return q.order_by(*ordering.order_by(q.model, reverse=backward))

    if key is None:
        return shaped_instances(
            qs.refine(("first rows", ordering, backward, limit), {}, lambda q, _: ordered(q)[:limit])
        )
    empty = tuple(value is None for value in key)
    values = {f"key{i}": value for i, value in enumerate(key) if value is not None}
    rows: list[_M] = []
    for part, (_, uses_key) in enumerate(_after_parts(qs.model, ordering, key, backward=backward)):
        wanted = limit - len(rows)

        def after(
            q: models.QuerySet[_M], v: Any, part: int = part, wanted: int = wanted, uses_key: bool = uses_key
        ) -> models.QuerySet[_M]:
            # The part without the key's values is built from the real key: it holds none of them.
            marked = tuple(None if none else v[f"key{i}"] for i, none in enumerate(empty)) if uses_key else key
            condition, _ = _after_parts(q.model, ordering, marked, backward=backward)[part]
            return ordered(q.filter(condition))[:wanted]

        shape = ("rows after", ordering, backward, empty, part, wanted)
        rows += shaped_instances(qs.refine(shape, values if uses_key else {}, after))
        if len(rows) >= limit:
            break
    return rows


def ordering_from_param(value: str | None, sorts: Sorts, default: str) -> tuple[str, Ordering]:
    """The whitelisted sort named by a `?sort=key` / `?sort=-key` parameter; anything else gives `default`."""
    raw = (value or "").strip()
    key = raw.removeprefix("-")
    if key not in sorts:
        raw, key = default, default.removeprefix("-")
    descending = raw.startswith("-")
    return ("-" if descending else "") + key, Ordering(sorts[key], descending=descending)
