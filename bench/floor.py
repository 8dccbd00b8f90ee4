"""The floor: hand-written SQL computing the statistics' groups, run without Django.

The same six reads the selector needs (rates, companies, persons, open deals, closed deals, the catalogue), written
by hand and fetched in full. What the app adds on top of this (ORM, Decimal arithmetic, rendering, HTTP) is what the
benchmark's ratios measure.
"""

# Imports inside functions on purpose: Django must be configured (bench.settings) before models load.
# ruff: noqa: PLC0415

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    account: str  # dataset slug
    start: dt.date | None = None
    end: dt.date | None = None
    owner: bool = False  # filter on the account's first owner

    def query(self, owner_id: int | None) -> str:
        """The query string, the same for the page and the endpoint (they take one set of names)."""
        params = []
        if self.start and self.end:
            params += ["period=custom", f"start={self.start.isoformat()}", f"end={self.end.isoformat()}"]
        if self.owner and owner_id is not None:
            params.append(f"owner_id={owner_id}")
        return ("?" + "&".join(params)) if params else ""


def _bounds(case: Case, zone: str) -> tuple[dt.datetime, dt.datetime] | None:
    from zoneinfo import ZoneInfo

    if case.start is None or case.end is None:
        return None
    tz = ZoneInfo(zone)
    return (
        dt.datetime.combine(case.start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(case.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def local_day_sql(vendor: str, zone: str, span: tuple[dt.datetime | None, dt.datetime | None]) -> str:
    """The created day in the account's zone, as the selector computes it: fixed offsets between clock changes.

    Written out as literal SQL (a binary tree of CASE branches); the instants come from the same helper.
    """
    from headwater.stats.periods import day_bounds, offset_segments

    segments = offset_segments(zone, *day_bounds(*span))

    def leaf(seconds: int) -> str:
        if vendor == "postgresql":
            return f"(created_at AT TIME ZONE INTERVAL '{seconds} seconds')::date"
        return f"date(created_at, '{seconds:+d} seconds')"

    def instant(moment: dt.datetime) -> str:
        if vendor == "postgresql":
            return f"'{moment.isoformat()}'::timestamptz"
        return f"'{moment.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S')}'"

    def build(low: int, high: int) -> str:
        if high - low == 1:
            return leaf(segments[low][1])
        middle = (low + high) // 2
        boundary = segments[middle - 1][0]
        assert boundary is not None  # noqa: S101 — only the last segment is open-ended
        return f"CASE WHEN created_at < {instant(boundary)} THEN {build(low, middle)} ELSE {build(middle, high)} END"

    return build(0, len(segments))


def span_query(vendor: str, account_id: int) -> tuple[str, list[Any]]:
    mark = "%s" if vendor == "postgresql" else "?"
    return f"SELECT MIN(created_at), MAX(created_at) FROM deals_deal WHERE account_id = {mark}", [account_id]


def _ranges(case: Case) -> list[tuple[dt.date, dt.date]] | None:
    return [(case.start, case.end)] if case.start and case.end else None


def read_span(cur: Any, vendor: str, account_id: int) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and last creation time of the account's deals (SQLite returns them as text)."""
    cur.execute(*span_query(vendor, account_id))
    first, last = cur.fetchone()
    if vendor == "postgresql":
        return first, last

    def aware(text: str | None) -> dt.datetime | None:
        return None if text is None else dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    return aware(first), aware(last)


def floor_queries(
    vendor: str,
    *,
    account_id: int,
    currency: str,
    zone: str,
    case: Case,
    owner_id: int | None,
    span: tuple[dt.datetime | None, dt.datetime | None],
    ranges: list[tuple[dt.date, dt.date]] | None = None,
) -> list[tuple[str, list[Any]]]:
    """(sql, params) of each read after the span query, with %s placeholders (psycopg) or ? (sqlite3).

    `ranges`: the days to read (both ends included), by default the case's period; None reads all time. Several
    ranges are read as a UNION ALL of one aggregate per range (each one index range).
    """
    mark = "%s" if vendor == "postgresql" else "?"
    if ranges is None:
        ranges = _ranges(case)
    owner: list[str] = [f"owner_id = {mark}"] if case.owner else []
    owner_params: list[Any] = [owner_id] if case.owner else []

    def where(*parts: str) -> str:
        return " AND ".join([f"account_id = {mark}", *parts])

    created_day = local_day_sql(vendor, zone, span)
    if vendor == "postgresql":
        money = "SUM(value)"
        days = f"SUM(closed_at - {created_day})"
    else:
        money = "SUM(CAST(ROUND(value * 100) AS INTEGER))"
        days = f"SUM(CAST(ROUND(julianday(closed_at) - julianday({created_day})) AS INTEGER))"

    def per_range(sql: str, params: list[Any], *, closed: bool) -> tuple[str, list[Any]]:
        """`sql` has a {range} slot in its WHERE clause and `params` a None where the range's two values go."""
        if not ranges:
            return sql.replace(" AND {range}", ""), [p for p in params if p is not None]
        parts, values = [], []
        for start, end in ranges:
            if closed:
                condition = f"closed_at >= {mark} AND closed_at <= {mark}"
                bounds: list[Any] = [start, end] if vendor == "postgresql" else [start.isoformat(), end.isoformat()]
            else:
                condition = f"created_at >= {mark} AND created_at < {mark}"
                aware = _bounds(Case("", "", start, end), zone)
                assert aware is not None  # noqa: S101 — both ends given
                bounds = (
                    list(aware)
                    if vendor == "postgresql"
                    else [b.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") for b in aware]
                )
            parts.append(sql.replace("{range}", condition))
            index = params.index(None)
            values += [*params[:index], *bounds, *params[index + 1 :]]
        return " UNION ALL ".join(parts), values

    contact = "SELECT source_id, COUNT(*) FROM {table} WHERE {where} GROUP BY source_id"
    return [
        (
            f"SELECT currency, rate FROM stats_exchangerate WHERE account_id = {mark} AND base_currency = {mark}",
            [account_id, currency],
        ),
        per_range(
            contact.format(table="companies_company", where=where(*owner, "{range}")),
            [account_id, *owner_params, None],
            closed=False,
        ),
        per_range(
            contact.format(table="persons_person", where=where(*owner, "{range}")),
            [account_id, *owner_params, None],
            closed=False,
        ),
        per_range(
            (
                f"SELECT source_id, currency, COUNT(*), {money} FROM deals_deal "
                f"WHERE {where(f'status = {mark}', *owner, '{range}')} GROUP BY source_id, currency"
            ),
            [account_id, "open", *owner_params, None],
            closed=False,
        ),
        per_range(
            (
                f"SELECT source_id, status, currency, COUNT(*), {money}, {days}, COUNT(closed_at) FROM deals_deal "
                f"WHERE {where(f'status IN ({mark}, {mark})', *owner, '{range}')} "
                "GROUP BY source_id, status, currency"
            ),
            [account_id, "won", "lost", *owner_params, None],
            closed=True,
        ),
        (
            f"SELECT id, name, archived, position FROM sources_source WHERE account_id = {mark} ORDER BY position, id",
            [account_id],
        ),
    ]


def run_floor(conn: Any, vendor: str, **kwargs: Any) -> list[list[tuple[Any, ...]]]:
    """Execute every read on a DB-API connection and fetch all rows (the span first: the days query needs it)."""
    cur = conn.cursor()
    span = read_span(cur, vendor, kwargs["account_id"])
    results = []
    for sql, params in floor_queries(vendor, span=span, **kwargs):
        cur.execute(sql, params)
        results.append(cur.fetchall())
    cur.close()
    return results


def run_tally_floor(conn: Any, vendor: str, **kwargs: Any) -> list[list[tuple[Any, ...]]]:
    """The same figures the way the selector reads them, by hand: the tallies of the period's whole months and of
    the days around them (for all time every year's, or with an owner filter every month's); with an owner filter,
    whose days are not tallied, the records of those days, as `run_floor` reads them.

    Returns [rates, tallies, companies, persons, open, closed, catalogue] (the record reads empty without them).
    """
    from headwater.stats.filters import DateRange
    from headwater.stats.periods import split_period

    case: Case = kwargs["case"]
    mark = "%s" if vendor == "postgresql" else "?"
    owner_key = kwargs["owner_id"] if case.owner else -1
    tally = (
        "SELECT kind, source_key, currency, SUM(n), SUM(cents), SUM(days), SUM(dated) FROM stats_sourcetally "
        f"WHERE account_id = {mark} AND owner_key = {mark}"
    )
    params: list[Any] = [kwargs["account_id"], owner_key]
    edges: list[tuple[dt.date, dt.date]] = []
    wanted: list[str] = []

    def day(value: dt.date) -> Any:
        return value if vendor == "postgresql" else value.isoformat()

    if case.start and case.end:
        split = split_period(DateRange(case.start, case.end))
        edges = [(edge.start, edge.end) for edge in split.edges]
        if split.months is not None:
            wanted.append(f"(kind IN (1, 2, 3, 4, 5) AND bucket >= {mark} AND bucket <= {mark})")
            params += [day(split.months[0]), day(split.months[1])]
        if not case.owner:
            for start, end in edges:
                wanted.append(f"(kind IN (11, 12, 13, 14, 15) AND bucket >= {mark} AND bucket <= {mark})")
                params += [day(start), day(end)]
            edges = []
        tally += " AND (" + " OR ".join(wanted) + ")" if wanted else " AND false"
    elif case.owner:
        tally += " AND kind IN (1, 2, 3, 4, 5, 6, 7)"
    else:
        tally += " AND kind IN (21, 22, 23, 24, 25, 26, 27)"
    cur = conn.cursor()
    queries = floor_queries(vendor, span=(None, None), **kwargs)
    results: list[list[tuple[Any, ...]]] = []
    cur.execute(*queries[0])
    results.append(cur.fetchall())
    cur.execute(tally + " GROUP BY kind, source_key, currency", params)
    results.append(cur.fetchall())
    if edges:
        span = read_span(cur, vendor, kwargs["account_id"])
        for sql, query_params in floor_queries(vendor, span=span, ranges=edges, **kwargs)[1:5]:
            cur.execute(sql, query_params)
            results.append(cur.fetchall())
    else:
        results += [[], [], [], []]
    cur.execute(*queries[-1])
    results.append(cur.fetchall())
    cur.close()
    return results
