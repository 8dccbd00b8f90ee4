"""Acquisition-source statistics. One selector, `source_stats`, feeds the page, the CSV export and the API.

The database groups rows by source (and by status and currency for deals) with one query per table; the rest is
exact `Decimal` arithmetic in Python over those few groups, so the number of queries does not depend on the number
of sources and no value ever passes through a float.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    DateField,
    Expression,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    QuerySet,
    Sum,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext

from headwater.companies.models import Company
from headwater.core.compiled import CompiledRows
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.stats import tally_sql
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.models import ALL_OWNERS, DAILY, NO_OWNER, YEARLY, ExchangeRate, TallyKind

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
_HUNDRED = Decimal(100)
# Enough digits that rounding a quotient of our sums once is always the correctly rounded result.
_PRECISION = 60
# Passed to each operation instead of entering `localcontext()` per figure (a few hundred per request). Only its
# precision differs from the default context; the flags it collects are never read.
_EXACT = Context(prec=_PRECISION)


# --- SQL building blocks ------------------------------------------------------------------------------


class _CentsSum(Aggregate):
    """SUM of a money column in integer cents: SQLite stores decimals as floats, so summing them there is inexact."""

    function = "SUM"
    template = "SUM(CAST(ROUND(%(expressions)s * 100) AS INTEGER))"
    output_field = BigIntegerField()


class DaysBetween(Func):
    """Whole days from the second date to the first, as an integer on every backend."""

    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class ShiftedDate(Func):
    """The calendar day of a UTC datetime moved by a fixed offset: the local day wherever that offset applies.

    A fixed offset is several times cheaper per row than converting with a named time zone, which matters when
    a million deals are summed; `local_day` picks the right offset for each period between clock changes.
    """

    output_field = DateField()

    def __init__(self, expression: Any, *, seconds: int) -> None:
        self.seconds = int(seconds)
        super().__init__(expression)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE INTERVAL '{self.seconds} seconds')::date", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.seconds:+d} seconds')", params


def _utc_offset(zone: ZoneInfo, moment: dt.datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=256)
def offset_segments(zone_name: str, start: dt.datetime, end: dt.datetime) -> tuple[tuple[dt.datetime | None, int], ...]:
    """The zone's UTC offsets between `start` and `end`: ((until, offset seconds), ...), the last one open-ended.

    Each offset applies to instants before its `until` (and after the previous one's); found by walking in
    12-hour steps and bisecting each change to the second.
    """
    zone = ZoneInfo(zone_name)
    step, second = dt.timedelta(hours=12), dt.timedelta(seconds=1)
    segments: list[tuple[dt.datetime | None, int]] = []
    current = _utc_offset(zone, start)
    moment = start
    while moment < end:
        following = min(moment + step, end)
        offset = _utc_offset(zone, following)
        if offset != current:
            low, high = moment, following
            while high - low > second:
                middle = low + (high - low) / 2
                if _utc_offset(zone, middle) == current:
                    low = middle
                else:
                    high = middle
            segments.append((high, current))
            current = offset
        moment = following
    segments.append((None, current))
    return tuple(segments)


def local_day(column: str, zone_name: str, start: dt.datetime, end: dt.datetime) -> Expression:
    """The day `column` falls on in the zone, exact for every instant between `start` and `end`.

    A binary tree of CASE branches on the instants where the clocks change, each leaf a fixed-offset date.
    """
    segments = offset_segments(zone_name, start, end)

    def build(low: int, high: int) -> Expression:
        if high - low == 1:
            return ShiftedDate(F(column), seconds=segments[low][1])
        middle = (low + high) // 2
        boundary = segments[middle - 1][0]
        return Case(
            When(**{f"{column}__lt": boundary}, then=build(low, middle)),
            default=build(middle, high),
            output_field=DateField(),
        )

    return build(0, len(segments))


def _day_bounds(first: dt.datetime | None, last: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """Whole UTC days around the account's deals (and now, for deals added meanwhile): the range `local_day` covers."""
    now = timezone.now()
    low = min(first or now, now) - dt.timedelta(days=2)
    high = max(last or now, now) + dt.timedelta(days=2)
    midnight = dt.time(tzinfo=dt.UTC)
    return dt.datetime.combine(low.date(), midnight), dt.datetime.combine(high.date(), midnight)


def _sums_in_cents() -> bool:
    return connection.vendor == "sqlite"


def _money_sum(column: str) -> Aggregate:
    return _CentsSum(column) if _sums_in_cents() else Sum(column)


def _money(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if _sums_in_cents():
        return Decimal(int(value)).scaleb(-2)
    return Decimal(value).quantize(CENT)


# --- Results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """A row's source. `id` None is the "No source" row (or the total row, `is_total`); `known` False marks an id
    missing from the catalogue."""

    id: int | None
    name: str = ""
    archived: bool = False
    position: int = 0
    known: bool = True
    is_total: bool = False

    @property
    def key(self) -> str:
        """The value the record lists take as `?source=`."""
        return "none" if self.id is None else str(self.id)


TOTAL = SourceInfo(id=None, is_total=True)


def source_label(source: SourceInfo) -> str:
    """What a row is called on the page, in the CSV and in charts."""
    if source.is_total:
        return gettext("Total")
    if source.id is None:
        return gettext("No source")
    if not source.known:
        return gettext("Unknown source (#%(id)s)") % {"id": source.id}
    return source.name


@dataclass(frozen=True)
class Unconverted:
    """Deals in a currency with no exchange rate: counted, their value kept apart in that currency."""

    currency: str
    count: int
    value: Decimal


@dataclass(frozen=True)
class Change:
    """Current minus previous period. `percent` is relative to the previous value (None when that was zero)."""

    delta: Decimal
    percent: Decimal | None

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else ("down" if self.delta < 0 else "same")


@dataclass
class ContactRow:
    source: SourceInfo
    companies: int = 0
    persons: int = 0
    companies_share: Decimal | None = None
    persons_share: Decimal | None = None
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class OpenRow:
    source: SourceInfo
    count: int = 0
    value: Decimal = Decimal("0.00")
    unconverted: list[Unconverted] = field(default_factory=list)
    count_share: Decimal | None = None
    value_share: Decimal | None = None
    average: Decimal | None = None
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class ClosedRow:
    source: SourceInfo
    won_count: int = 0
    won_value: Decimal = Decimal("0.00")
    won_unconverted: list[Unconverted] = field(default_factory=list)
    lost_count: int = 0
    lost_value: Decimal = Decimal("0.00")
    lost_unconverted: list[Unconverted] = field(default_factory=list)
    win_rate: Decimal | None = None
    average_won: Decimal | None = None
    average_days: Decimal | None = None
    changes: dict[str, Change] = field(default_factory=dict)


R = TypeVar("R", ContactRow, OpenRow, ClosedRow)


@dataclass
class Section(Generic[R]):
    rows: list[R]
    total: R


@dataclass
class SourceStats:
    base_currency: str
    filters: StatsFilters
    period: DateRange | None
    previous_period: DateRange | None
    contacts: Section[ContactRow]
    open_deals: Section[OpenRow]
    closed_deals: Section[ClosedRow]
    # Every deal of the period whose currency has no rate, summed per currency over all sections.
    missing_rates: list[Unconverted]
    top_won_value: ClosedRow | None
    best_win_rate: ClosedRow | None

    @property
    def compared(self) -> bool:
        return self.previous_period is not None


# --- Arithmetic ---------------------------------------------------------------------------------------


def _quotient(numerator: Decimal | int, denominator: Decimal | int, unit: Decimal, scale: int = 1) -> Decimal:
    scaled = _EXACT.multiply(Decimal(numerator), scale)
    return _EXACT.divide(scaled, Decimal(denominator)).quantize(unit, rounding=ROUND_HALF_UP, context=_EXACT)


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    return _quotient(part, whole, TENTH, 100) if whole else None


def _average(total: Decimal | int, count: int, unit: Decimal) -> Decimal | None:
    return _quotient(total, count, unit) if count else None


def _change(current: Decimal | int, previous: Decimal | int) -> Change:
    delta = Decimal(current) - Decimal(previous)
    return Change(delta=delta, percent=_quotient(delta, previous, TENTH, 100) if previous else None)


@dataclass
class _Money:
    """Deals of one group: their count, the converted value and the currencies without a rate."""

    count: int = 0
    converted_count: int = 0
    value: Decimal = Decimal("0.00")
    unconverted: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, *, currency: str, count: int, total: Decimal, rates: Mapping[str, Decimal]) -> None:
        self.count += count
        rate = rates.get(currency)
        if rate is None:
            slot = self.unconverted.setdefault(currency, [0, Decimal("0.00")])
            slot[0] += count
            slot[1] += total
        else:
            self.converted_count += count
            # Each (source, status, currency) group is converted and rounded to the cent once.
            self.value += _EXACT.multiply(total, rate).quantize(CENT, rounding=ROUND_HALF_UP, context=_EXACT)

    def merge(self, other: _Money) -> None:
        self.count += other.count
        self.converted_count += other.converted_count
        self.value += other.value
        for currency, (count, value) in other.unconverted.items():
            slot = self.unconverted.setdefault(currency, [0, Decimal("0.00")])
            slot[0] += count
            slot[1] += value

    def unconverted_list(self) -> list[Unconverted]:
        return [Unconverted(c, n, v) for c, (n, v) in sorted(self.unconverted.items())]


@dataclass
class _Figures:
    """One period's groups, keyed by source id (None = no source)."""

    companies: dict[int | None, int]
    persons: dict[int | None, int]
    open: dict[int | None, _Money]
    won: dict[int | None, _Money]
    lost: dict[int | None, _Money]
    days: dict[int | None, list[int]]

    def source_ids(self) -> set[int | None]:
        ids: set[int | None] = set()
        for part in (self.companies, self.persons, self.open, self.won, self.lost):
            ids.update(key for key, value in part.items() if value)
        return ids


# --- Queries ------------------------------------------------------------------------------------------


def _owned(qs: QuerySet[Any], filters: StatsFilters) -> QuerySet[Any]:
    if filters.unowned:
        return qs.filter(owner__isnull=True)
    return qs if filters.owner_id is None else qs.filter(owner_id=filters.owner_id)


def _owner_key(filters: StatsFilters) -> int:
    if filters.unowned:
        return NO_OWNER
    return ALL_OWNERS if filters.owner_id is None else filters.owner_id


def _month_after(day: dt.date) -> dt.date | None:
    """The first day of the month after `day`'s (None past year 9999)."""
    if day.month == 12:
        return None if day.year == dt.MAXYEAR else dt.date(day.year + 1, 1, 1)
    return dt.date(day.year, day.month + 1, 1)


@dataclass(frozen=True)
class PeriodSplit:
    """A period as the whole local months inside it and the days around them (at most a month less a day at each
    end). `months` is (first, last) month start, both included, or None."""

    months: tuple[dt.date, dt.date] | None
    edges: tuple[DateRange, ...]


def _month_end(month: dt.date) -> dt.date:
    following = _month_after(month)
    return dt.date.max if following is None else following - dt.timedelta(days=1)


def split_period(period: DateRange) -> PeriodSplit:
    first = period.start if period.start.day == 1 else _month_after(period.start)
    last: dt.date | None = period.end.replace(day=1)
    if _month_end(period.end.replace(day=1)) != period.end:
        # The end's month is not whole: the last whole one is the month before (none before year 1).
        last = (
            None
            if period.end.year == 1 and period.end.month == 1
            else (period.end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        )
    if first is None or last is None or first > last:
        return PeriodSplit(months=None, edges=(period,))
    edges = []
    if period.start < first:
        edges.append(DateRange(period.start, first - dt.timedelta(days=1)))
    if _month_end(last) < period.end:
        edges.append(DateRange(_month_end(last) + dt.timedelta(days=1), period.end))
    return PeriodSplit(months=(first, last), edges=tuple(edges))


_Group = list[Any]  # [count, value, days, dated]: one (kind, source, currency) group before conversion
_NO_MONEY = Decimal("0.00")


def _add(groups: dict[tuple[int, int | None, str], _Group], key: tuple[int, int | None, str], *values: Any) -> None:
    slot = groups.setdefault(key, [0, _NO_MONEY, 0, 0])
    for index, value in enumerate(values):
        slot[index] += value


def _daily_edges(split: PeriodSplit | None, filters: StatsFilters) -> bool:
    """Days outside whole months come from the daily tallies, which are kept for all owners only."""
    return split is not None and bool(split.edges) and _owner_key(filters) == ALL_OWNERS


def _read_tallies(
    *, account: Account, owner_key: int, wanted: list[tuple[list[int], dt.date | None, dt.date | None]]
) -> list[tuple[Any, ...]]:
    """(kind, source_key, currency, count, cents, days, dated) summed over the wanted (kinds, first, last buckets).

    Hand-written SQL on purpose: it is the statistics' one read, and building and compiling the same queryset on
    every request cost more than the database took to answer it. Scoped by `account_id` like every tenant query.
    """
    conditions: list[str] = []
    params: list[Any] = [account.pk, owner_key]
    for kinds, first, last in wanted:
        condition = "kind IN (" + ", ".join(str(int(kind)) for kind in kinds) + ")"
        if first is not None and last is not None:
            condition += " AND bucket >= %s AND bucket <= %s"
            params += [first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()]
        conditions.append(f"({condition})")
    sql = (
        "SELECT kind, source_key, currency, SUM(n), SUM(cents), SUM(days), SUM(dated) "  # noqa: S608 — constants and placeholders only
        f"FROM {tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s AND ({' OR '.join(conditions)}) "
        "GROUP BY kind, source_key, currency"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _tally_groups(
    groups: dict[tuple[int, int | None, str], _Group],
    *,
    account: Account,
    split: PeriodSplit | None,
    filters: StatsFilters,
) -> None:
    """Add the tallies of the whole months, and without an owner filter those of the days around them, to `groups`;
    for all time every year's (for all owners) or every month's (for one owner). One query."""
    # Kinds as lists, not ranges: the index leads with (account, owner, kind, bucket), and a list lets PostgreSQL
    # read one bucket range per kind instead of every bucket of a range of kinds.
    monthly = [TallyKind.COMPANY, TallyKind.PERSON, TallyKind.OPEN, TallyKind.WON, TallyKind.LOST]
    wanted: list[tuple[list[int], dt.date | None, dt.date | None]] = []
    if split is None:
        every: list[int] = [*monthly, TallyKind.WON_UNDATED, TallyKind.LOST_UNDATED]
        # Years are tallied for all owners only: a few rows a year instead of a few hundred.
        yearly = _owner_key(filters) == ALL_OWNERS
        wanted.append(([kind + YEARLY for kind in every] if yearly else every, None, None))
    else:
        if split.months is not None:
            wanted.append((list(monthly), *split.months))
        if _daily_edges(split, filters):
            wanted += [([kind + DAILY for kind in monthly], edge.start, edge.end) for edge in split.edges]
    if not wanted:
        return
    rows = _read_tallies(account=account, owner_key=_owner_key(filters), wanted=wanted)
    undated = {TallyKind.WON_UNDATED: TallyKind.WON, TallyKind.LOST_UNDATED: TallyKind.LOST}
    for kind, source_key, currency, n, cents, days, dated in rows:
        if n:
            base = kind % DAILY  # a daily or yearly kind is the kind plus a multiple of ten
            key = (undated.get(base, base), source_key or None, currency)
            value = Decimal(int(cents)).scaleb(-2)
            slot = groups.get(key)
            if slot is None:  # `_add`, inlined: one call per tally group
                groups[key] = [int(n), _NO_MONEY + value, int(days), int(dated)]
            else:
                slot[0] += int(n)
                slot[1] += value
                slot[2] += int(days)
                slot[3] += int(dated)


def _each_edge(edges: tuple[DateRange, ...], make: Callable[[DateRange], QuerySet[Any]]) -> QuerySet[Any]:
    """One aggregate per edge, as one UNION ALL query: each part reads one index range, where an OR of the ranges
    would make PostgreSQL combine bitmaps and visit the table."""
    first, *rest = [make(edge) for edge in edges]
    return first.union(*rest, all=True) if rest else first


def _edge_groups(
    groups: dict[tuple[int, int | None, str], _Group],
    *,
    account: Account,
    edges: tuple[DateRange, ...],
    filters: StatsFilters,
    created_day: Callable[[], Expression],
) -> None:
    """Add the records of the days outside whole months (the whole period when it has none) to `groups`."""

    def created(qs: QuerySet[Any], edge: DateRange) -> QuerySet[Any]:
        start, end = edge.bounds(account.time_zone)
        qs = qs.filter(created_at__gte=start)
        return qs if end is None else qs.filter(created_at__lt=end)

    def contact_counts(contacts: QuerySet[Any]) -> Callable[[DateRange], QuerySet[Any]]:
        return lambda edge: created(contacts, edge).order_by().values("source_id").annotate(n=Count("*"))

    for kind, model in ((TallyKind.COMPANY, Company), (TallyKind.PERSON, Person)):
        contacts = _owned(model.objects.for_account(account), filters)
        for row in _each_edge(edges, contact_counts(contacts)):
            _add(groups, (kind, row["source_id"], ""), row["n"])

    deals = _owned(Deal.objects.for_account(account), filters)
    open_deals = deals.filter(status=DealStatus.OPEN)
    rows = _each_edge(
        edges,
        lambda edge: (
            created(open_deals, edge)
            .order_by()
            .values("source_id", "currency")
            .annotate(n=Count("*"), total=_money_sum("value"))
        ),
    )
    for row in rows:
        _add(groups, (TallyKind.OPEN, row["source_id"], row["currency"]), row["n"], _money(row["total"]))

    closed = deals.filter(status__in=[DealStatus.WON, DealStatus.LOST])
    rows = _each_edge(
        edges,
        lambda edge: (
            closed.filter(closed_at__gte=edge.start, closed_at__lte=edge.end)
            .order_by()
            .values("source_id", "status", "currency")
            .annotate(
                n=Count("*"),
                total=_money_sum("value"),
                days=Sum(DaysBetween(F("closed_at"), created_day())),
                dated=Count("closed_at"),
            )
        ),
    )
    for row in rows:
        kind = TallyKind.WON if row["status"] == DealStatus.WON else TallyKind.LOST
        key = (kind, row["source_id"], row["currency"])
        _add(groups, key, row["n"], _money(row["total"]), row["days"] or 0, row["dated"])


def _figures(
    *,
    account: Account,
    period: DateRange | None,
    filters: StatsFilters,
    rates: Mapping[str, Decimal],
    created_day: Callable[[], Expression],
) -> _Figures:
    """One period's figures: whole months from the tallies; the days around them from the daily tallies, or with
    an owner filter (days are tallied for all owners only) from the records.

    Each (source, status, currency) group is summed from both before it is converted, so a value is rounded to
    the cent once, exactly as if every record had been read.
    """
    groups: dict[tuple[int, int | None, str], _Group] = {}
    split = None if period is None else split_period(period)
    _tally_groups(groups, account=account, split=split, filters=filters)
    if split is not None and split.edges and not _daily_edges(split, filters):
        _edge_groups(groups, account=account, edges=split.edges, filters=filters, created_day=created_day)

    figures = _Figures(
        companies={},
        persons={},
        open=defaultdict(_Money),
        won=defaultdict(_Money),
        lost=defaultdict(_Money),
        days=defaultdict(lambda: [0, 0]),
    )
    money: dict[int, dict[int | None, _Money]] = {
        TallyKind.OPEN: figures.open,
        TallyKind.WON: figures.won,
        TallyKind.LOST: figures.lost,
    }
    for (kind, source_id, currency), (n, total, days, dated) in groups.items():
        if not n:
            continue
        if kind == TallyKind.COMPANY:
            figures.companies[source_id] = n
        elif kind == TallyKind.PERSON:
            figures.persons[source_id] = n
        else:
            money[kind][source_id].add(currency=currency, count=n, total=total, rates=rates)
            if kind != TallyKind.OPEN:
                figures.days[source_id][0] += days
                figures.days[source_id][1] += dated
    return figures


# Every statistics request reads the rates and the catalogue: compiled once (core.compiled), not per request.
_RATES = CompiledRows(
    lambda account_id, base_currency: (
        ExchangeRate.objects.for_account(Account(pk=account_id))
        .filter(base_currency=base_currency)
        .values_list("currency", "rate")
    ),
    account_id=int,
    base_currency=str,
)
_CATALOGUE = CompiledRows(
    lambda account_id: (
        Source.objects.for_account(Account(pk=account_id))
        .order_by("position", "id")
        .values_list("id", "name", "archived", "position")
    ),
    account_id=int,
)


def exchange_rates_for(*, account: Account) -> dict[str, Decimal]:
    """Rates that convert into the account's current base currency (the base itself converts at 1)."""
    rates: dict[str, Decimal] = dict(_RATES(account_id=account.pk, base_currency=account.currency))
    rates[account.currency] = Decimal(1)
    return rates


def exchange_rate_list(*, account: Account) -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.for_account(account).order_by("currency")


def exchange_rate_get(*, account: Account, rate_id: int) -> ExchangeRate:
    """One rate of the account; NotFound whether it is missing or another account's."""
    rate = ExchangeRate.objects.for_account(account).filter(pk=rate_id).first()
    if rate is None:
        raise NotFound(gettext("Not found."))
    return rate


# --- Rows ---------------------------------------------------------------------------------------------


def _row_sources(catalogue: Iterable[SourceInfo], used: set[int | None]) -> list[SourceInfo]:
    """Every active source, archived ones only when they have figures, unknown ids never dropped, "No source" last."""
    rows: list[SourceInfo] = []
    seen: set[int] = set()
    for source in catalogue:
        assert source.id is not None  # noqa: S101 — catalogue rows always have ids
        seen.add(source.id)
        if not source.archived or source.id in used:
            rows.append(source)
    # A source created or deleted between the aggregate queries and the catalogue read: still shown, never dropped.
    rows.extend(SourceInfo(id=sid, known=False) for sid in sorted(i for i in used if i is not None and i not in seen))
    rows.append(SourceInfo(id=None))
    return rows


def _contacts(figures: _Figures, sources: list[SourceInfo]) -> Section[ContactRow]:
    rows = [
        ContactRow(source=s, companies=figures.companies.get(s.id, 0), persons=figures.persons.get(s.id, 0))
        for s in sources
    ]
    total = ContactRow(source=TOTAL, companies=sum(r.companies for r in rows), persons=sum(r.persons for r in rows))
    for row in [*rows, total]:
        row.companies_share = _percent(row.companies, total.companies)
        row.persons_share = _percent(row.persons, total.persons)
    return Section(rows=rows, total=total)


def _open(figures: _Figures, sources: list[SourceInfo]) -> Section[OpenRow]:
    groups = [(s, figures.open.get(s.id) or _Money()) for s in sources]
    total_money = _Money()
    for _, money in groups:
        total_money.merge(money)
    rows = []
    for source, money in [*groups, (TOTAL, total_money)]:
        rows.append(
            OpenRow(
                source=source,
                count=money.count,
                value=money.value,
                unconverted=money.unconverted_list(),
                count_share=_percent(money.count, total_money.count),
                value_share=_percent(money.value, total_money.value),
                average=_average(money.value, money.converted_count, CENT),
            )
        )
    return Section(rows=rows[:-1], total=rows[-1])


def _closed(figures: _Figures, sources: list[SourceInfo]) -> Section[ClosedRow]:
    groups = [
        (s, figures.won.get(s.id) or _Money(), figures.lost.get(s.id) or _Money(), figures.days.get(s.id) or [0, 0])
        for s in sources
    ]
    total_won, total_lost, total_days = _Money(), _Money(), [0, 0]
    for _, won, lost, days in groups:
        total_won.merge(won)
        total_lost.merge(lost)
        total_days[0] += days[0]
        total_days[1] += days[1]
    rows = []
    for source, won, lost, days in [*groups, (TOTAL, total_won, total_lost, total_days)]:
        rows.append(
            ClosedRow(
                source=source,
                won_count=won.count,
                won_value=won.value,
                won_unconverted=won.unconverted_list(),
                lost_count=lost.count,
                lost_value=lost.value,
                lost_unconverted=lost.unconverted_list(),
                win_rate=_percent(won.count, won.count + lost.count),
                average_won=_average(won.value, won.converted_count, CENT),
                average_days=_average(days[0], days[1], TENTH),
            )
        )
    return Section(rows=rows[:-1], total=rows[-1])


_CHANGED_FIELDS: dict[type, tuple[str, ...]] = {
    ContactRow: ("companies", "persons"),
    OpenRow: ("count", "value"),
    ClosedRow: ("won_count", "won_value", "lost_count", "lost_value"),
}


def _compare(current: Section[R], previous: Section[R]) -> None:
    """Fill each current row's `changes` from the row of the same source in the previous period."""
    before = {row.source.id: row for row in previous.rows}
    pairs = [(row, before.get(row.source.id)) for row in current.rows] + [(current.total, previous.total)]
    for row, old in pairs:
        if old is None:
            continue
        for name in _CHANGED_FIELDS[type(row)]:
            row.changes[name] = _change(getattr(row, name), getattr(old, name))
        # Win rates change in percentage points, so no relative percent.
        if (
            isinstance(row, ClosedRow)
            and isinstance(old, ClosedRow)
            and row.win_rate is not None
            and old.win_rate is not None
        ):
            row.changes["win_rate"] = Change(delta=_rate_change(row, old), percent=None)


def _rate_change(current: ClosedRow, previous: ClosedRow) -> Decimal:
    """The change of the win rate in percentage points, from the exact rates (not the rounded ones shown), rounded
    like every figure: 1 of 3 after 2 of 3 is -33.3 (33.3 - 66.7 would say -33.4).

    won/closed - won'/closed' = (won * closed' - won' * closed) / (closed * closed'), all integers.
    """
    closed, closed_before = current.won_count + current.lost_count, previous.won_count + previous.lost_count
    numerator = current.won_count * closed_before - previous.won_count * closed
    return _quotient(numerator, closed * closed_before, TENTH, 100)


def _highlights(closed: Section[ClosedRow]) -> tuple[ClosedRow | None, ClosedRow | None]:
    """The real source with the highest won value and the one with the best win rate.

    Ties, for both: more closed deals (won and lost) first, then the admin's order of the sources.
    """
    real = [(index, row) for index, row in enumerate(closed.rows) if row.source.id is not None]
    top = max(
        (item for item in real if item[1].won_value > 0),
        key=lambda item: (item[1].won_value, item[1].won_count + item[1].lost_count, -item[0]),
        default=None,
    )

    def exact_rate(row: ClosedRow) -> Decimal:
        return _EXACT.divide(Decimal(row.won_count), Decimal(row.won_count + row.lost_count))

    best = max(
        (item for item in real if item[1].won_count + item[1].lost_count > 0),
        key=lambda item: (exact_rate(item[1]), item[1].won_count + item[1].lost_count, -item[0]),
        default=None,
    )
    return (top[1] if top else None), (best[1] if best else None)


def _missing_rates(*sections: Iterable[list[Unconverted]]) -> list[Unconverted]:
    per_currency: dict[str, list[Any]] = {}
    for lists in sections:
        for items in lists:
            for item in items:
                slot = per_currency.setdefault(item.currency, [0, Decimal("0.00")])
                slot[0] += item.count
                slot[1] += item.value
    return [Unconverted(c, n, v) for c, (n, v) in sorted(per_currency.items())]


def source_stats(*, account: Account, filters: StatsFilters) -> SourceStats:
    """Contacts, open deals and closed deals per acquisition source for one period (and the one before it).

    Queries: exchange rates; per period one read of the tallies (its whole local months, all of them for all time,
    and the days around them); with an owner filter and days outside whole months, companies, persons, open deals
    and closed deals of those days instead (after the span of the deals' creation times, once, to know the time
    zone's clock changes); then the catalogue (read last, so every source the aggregates saw is in it unless deleted
    meanwhile; such ids still get a row).
    """
    rates = exchange_rates_for(account=account)

    @lru_cache(maxsize=1)
    def created_day() -> Expression:
        # Only a period with days outside whole months reads records, and only then needs the deals' span.
        span = Deal.objects.for_account(account).aggregate(first=Min("created_at"), last=Max("created_at"))
        return local_day("created_at", account.time_zone, *_day_bounds(span["first"], span["last"]))

    current = _figures(account=account, period=filters.period, filters=filters, rates=rates, created_day=created_day)
    previous_period = filters.previous_period
    previous = (
        _figures(account=account, period=previous_period, filters=filters, rates=rates, created_day=created_day)
        if previous_period is not None
        else None
    )
    catalogue = [
        SourceInfo(id=pk, name=name, archived=archived, position=position)
        for pk, name, archived, position in _CATALOGUE(account_id=account.pk)
    ]
    used = current.source_ids() | (previous.source_ids() if previous else set())
    sources = _row_sources(catalogue, used)

    contacts, open_deals, closed_deals = (
        _contacts(current, sources),
        _open(current, sources),
        _closed(current, sources),
    )
    if previous is not None:
        _compare(contacts, _contacts(previous, sources))
        _compare(open_deals, _open(previous, sources))
        _compare(closed_deals, _closed(previous, sources))
    top, best = _highlights(closed_deals)
    return SourceStats(
        base_currency=account.currency,
        filters=filters,
        period=filters.period,
        previous_period=previous_period,
        contacts=contacts,
        open_deals=open_deals,
        closed_deals=closed_deals,
        missing_rates=_missing_rates(
            [open_deals.total.unconverted],
            [closed_deals.total.won_unconverted],
            [closed_deals.total.lost_unconverted],
        ),
        top_won_value=top,
        best_win_rate=best,
    )


@dataclass(frozen=True)
class WonSummary:
    """Deals won in a period, all sources and owners: the Statistics page's "Won" total for the same period."""

    period: DateRange
    base_currency: str
    count: int  # every won deal, those in a currency without a rate included
    value: Decimal  # in the base currency, deals without a rate left out
    unconverted: list[Unconverted]  # per currency without a rate: its deals and their value in that currency


def _no_records() -> Expression:
    raise AssertionError("a period for all owners is read from the tallies only")


def won_summary(*, account: Account, period: DateRange) -> WonSummary:
    """What the account won in `period` (the dashboard's "won in the last 30 days"), the same figure to the cent as
    the Statistics page's total for that period: the same tallies, exchange rates and rounding. Two queries."""
    rates = exchange_rates_for(account=account)
    figures = _figures(
        account=account, period=period, filters=StatsFilters(period=period), rates=rates, created_day=_no_records
    )
    total = _Money()
    for money in figures.won.values():
        total.merge(money)
    return WonSummary(
        period=period,
        base_currency=account.currency,
        count=total.count,
        value=total.value,
        unconverted=total.unconverted_list(),
    )


# --- Sorting (the page and the CSV show rows in the order the user chose) -------------------------------

SORT_KEYS: dict[str, tuple[str, ...]] = {
    "contacts": ("source", "companies", "persons"),
    "open": ("source", "count", "value", "average"),
    "closed": (
        "source",
        "won_count",
        "won_value",
        "lost_count",
        "lost_value",
        "win_rate",
        "average_won",
        "average_days",
    ),
}


def parse_sort(section: str, value: str | None) -> tuple[str, bool] | None:
    """`"-won_value"` → ("won_value", True); None for the default order or anything not sortable."""
    if not value:
        return None
    descending = value.startswith("-")
    key = value.removeprefix("-")
    return (key, descending) if key in SORT_KEYS[section] else None


def sort_rows(rows: list[R], sort: tuple[str, bool] | None) -> list[R]:
    """Rows in the chosen order; empty values (no rate, no closed deals) always last. Default: the catalogue order."""
    if sort is None:
        return list(rows)
    key, descending = sort
    if key == "source":
        named = sorted((r for r in rows if r.source.id is not None), key=lambda r: r.source.name.casefold())
        return (named[::-1] if descending else named) + [r for r in rows if r.source.id is None]
    getter: Callable[[R], Any] = lambda row: getattr(row, key)  # noqa: E731 — a one-line key
    present = [row for row in rows if getter(row) is not None]
    empty = [row for row in rows if getter(row) is None]
    return sorted(present, key=getter, reverse=descending) + empty


# --- Tallies ------------------------------------------------------------------------------------------


def _tally_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # The month arrives as a date from the table and as text from SQLite's computed rows.
    return (int(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]), row[5])


def tally_drift(*, account_ids: Iterable[int] | None = None) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    """Keys where the stored tallies differ from tallies computed afresh from the records: {key: (stored, fresh)}.

    Empty when the triggers kept everything exact; the test suite checks it after every test that writes.
    """
    ids = None if account_ids is None else sorted({int(i) for i in account_ids})
    if ids == []:
        return {}
    select, params = tally_sql.fresh_tallies_sql(connection.vendor, ids)
    where = "" if ids is None else " AND account_id IN (" + ", ".join("%s" for _ in ids) + ")"
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        fresh = {_tally_key(row): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT {tally_sql.COLUMNS} FROM {tally_sql.TABLE} "  # noqa: S608 — constant names
            f"WHERE (n <> 0 OR cents <> 0 OR days <> 0 OR dated <> 0){where}",
            ids or [],
        )
        stored = {_tally_key(row): tuple(int(v) for v in row[6:]) for row in cursor.fetchall()}
    return {
        key: (stored.get(key), fresh.get(key))
        for key in stored.keys() | fresh.keys()
        if stored.get(key) != fresh.get(key)
    }
