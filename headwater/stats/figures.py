"""One period's figures, grouped by (section, source, currency): from the tallies, and from the records for the
days the tallies do not hold for one owner. The statistics' only reads of the data."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Expression, F, OuterRef, Q, QuerySet, Sum

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.stats import close_tally_sql, tally_sql
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.models import ALL_OWNERS, DAILY, NO_OWNER, YEARLY, CloseDaysLevel, TallyKind
from headwater.stats.money import (
    MoneyGroup,
    SortedDays,
    cent_ratios,
    money_sum,
    money_value,
    sorted_days,
    whole_cents,
)
from headwater.stats.periods import DaysBetween, PeriodSplit, month_after, split_period


@dataclass
class Figures:
    """One period's groups, keyed by source id (None = no source)."""

    companies: dict[int | None, int]
    persons: dict[int | None, int]
    open: dict[int | None, MoneyGroup]
    won: dict[int | None, MoneyGroup]
    lost: dict[int | None, MoneyGroup]
    days: dict[int | None, list[int]]
    # Closed deals with a close date per number of days they took to close: {source: {days: count}} (the median's).
    close_days: dict[int | None, dict[int, int]] = field(default_factory=dict)
    # The groups before conversion, {(kind, source, currency): [count, cents, days, dated]} (stats/campaign_stats.py
    # subtracts a source's campaigns from them for its "(no campaign)" row).
    raw: dict[tuple[int, int | None, str], list[Any]] = field(default_factory=dict)
    # The funnel: contacts created in the period with at least one deal, with at least one won deal (ever).
    with_deal: dict[int | None, int] = field(default_factory=dict)
    won_contacts: dict[int | None, int] = field(default_factory=dict)

    # `close_days` of each source ready for the medians (`close_days_sorted`), made once per source.
    _sorted_days: dict[int | None, SortedDays] = field(default_factory=dict)

    def close_days_sorted(self, source_id: int | None) -> SortedDays:
        """A source's close-day counts as `money.median_days_of` takes them (the source's row, its channel's and the
        total's medians all use them; the counts are never merged)."""
        part = self._sorted_days.get(source_id)
        if part is None:
            part = self._sorted_days[source_id] = sorted_days(self.close_days.get(source_id) or {})
        return part

    def source_ids(self) -> set[int | None]:
        ids: set[int | None] = set()
        for part in (self.companies, self.persons, self.open, self.won, self.lost):
            ids.update(key for key, value in part.items() if value)
        return ids


def _owned(qs: QuerySet[Any], filters: StatsFilters) -> QuerySet[Any]:
    if filters.unowned:
        return qs.filter(owner__isnull=True)
    return qs if filters.owner_id is None else qs.filter(owner_id=filters.owner_id)


def _owner_key(filters: StatsFilters) -> int:
    if filters.unowned:
        return NO_OWNER
    return ALL_OWNERS if filters.owner_id is None else filters.owner_id


_Group = list[int]  # [count, cents, days, dated]: one (kind, source, currency) group before conversion


def _add(groups: dict[tuple[int, int | None, str], _Group], key: tuple[int, int | None, str], *values: int) -> None:
    slot = groups.setdefault(key, [0, 0, 0, 0])
    for index, value in enumerate(values):
        slot[index] += value


def _daily_edges(split: PeriodSplit | None, filters: StatsFilters) -> bool:
    """Days outside whole months come from the daily tallies, which are kept for all owners only."""
    return split is not None and bool(split.edges) and _owner_key(filters) == ALL_OWNERS


_SUMMED = ("n", "cents", "days", "dated")


def _read_tallies(
    *, account: Account, owner_key: int, wanted: list[tuple[list[int], dt.date | None, dt.date | None, int]]
) -> list[tuple[Any, ...]]:
    """(kind, source_key, currency, count, cents, days, dated) summed over the wanted (kinds, first, last buckets,
    sign): the tallies of a sign -1 are taken away (a month's other days, `_month_less_days`).

    Hand-written SQL on purpose: it is the statistics' one read, and building and compiling the same queryset on
    every request cost more than the database took to answer it. Scoped by `account_id` like every tenant query.
    """
    params: list[Any] = []

    def condition_of(kinds: list[int], first: dt.date | None, last: dt.date | None) -> str:
        condition = "kind IN (" + ", ".join(str(int(kind)) for kind in kinds) + ")"
        if first is not None and last is not None:
            condition += " AND bucket >= %s AND bucket <= %s"
            params.extend([first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()])
        return f"({condition})"

    if any(sign < 0 for *_, sign in wanted):
        # A month's and its days' tallies in one group per kind (a daily kind is the kind plus DAILY), so that a
        # group whose records are all on the days taken away sums to zero and is skipped like an empty one, and
        # never reaches the figures as a group of zeros.
        taken = " OR ".join(condition_of(kinds, first, last) for kinds, first, last, sign in wanted if sign < 0)
        kind = f"kind %% {DAILY}"  # the query has parameters: a literal % is doubled
        signed = ", ".join(f"CASE WHEN {taken} THEN -{column} ELSE {column} END AS {column}" for column in _SUMMED)
        table = (
            f"(SELECT kind, source_key, currency, {signed}, account_id, owner_key, bucket FROM {tally_sql.TABLE}) AS t"  # noqa: S608 — constants and placeholders only
        )
        params *= len(_SUMMED)
    else:
        kind, table = "kind", tally_sql.TABLE
    params += [account.pk, owner_key]
    conditions = [condition_of(kinds, first, last) for kinds, first, last, _sign in wanted]
    sql = (
        # Integer sums: numeric ones arrive as Decimals.
        f"SELECT {kind}, source_key, currency, CAST(SUM(n) AS BIGINT), CAST(SUM(cents) AS BIGINT), "  # noqa: S608 — constants and placeholders only
        "CAST(SUM(days) AS BIGINT), CAST(SUM(dated) AS BIGINT) "
        f"FROM {table} WHERE account_id = %s AND owner_key = %s AND ({' OR '.join(conditions)}) "
        f"GROUP BY {kind}, source_key, currency"
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
    monthly = [
        TallyKind.COMPANY,
        TallyKind.PERSON,
        TallyKind.OPEN,
        TallyKind.WON,
        TallyKind.LOST,
        TallyKind.DEAL_CONTACT,
        TallyKind.WON_CONTACT,
    ]
    wanted: list[tuple[list[int], dt.date | None, dt.date | None, int]] = []
    if split is None:
        every: list[int] = sorted([*monthly, TallyKind.WON_UNDATED, TallyKind.LOST_UNDATED])
        # Years are tallied for all owners only: a few rows a year instead of a few hundred.
        yearly = _owner_key(filters) == ALL_OWNERS
        wanted.append(([kind + YEARLY for kind in every] if yearly else every, None, None, 1))
    else:
        if split.months is not None:
            wanted.append((list(monthly), *split.months, 1))
        if _daily_edges(split, filters):
            daily = [kind + DAILY for kind in monthly]
            for edge in split.edges:
                parts = _month_less_days(edge, _TALLY_MONTH_IN_DAYS)
                if parts is None:
                    wanted.append((daily, edge.start, edge.end, 1))
                else:
                    wanted.append((list(monthly), parts[0], parts[0], 1))
                    wanted += [(daily, days.start, days.end, -1) for days in parts[1]]
    if not wanted:
        return
    rows = _read_tallies(account=account, owner_key=_owner_key(filters), wanted=wanted)
    undated = {TallyKind.WON_UNDATED: TallyKind.WON, TallyKind.LOST_UNDATED: TallyKind.LOST}
    for kind, source_key, currency, n, cents, days, dated in rows:
        if n:
            base = kind % DAILY  # a daily or yearly kind is the kind plus a multiple of ten
            key = (undated.get(base, base), source_key or None, currency)
            slot = groups.get(key)
            if slot is None:  # `_add`, inlined: one call per tally group
                groups[key] = [int(n), int(cents), int(days), int(dated)]
            else:
                slot[0] += int(n)
                slot[1] += int(cents)
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

    def contact_counts(contacts: QuerySet[Any], link: str) -> Callable[[DateRange], QuerySet[Any]]:
        # With the funnel's counts: the contacts with a deal, with a won deal (whenever made), in the same query.
        deals = Deal.objects.for_account(account).filter(**{link: OuterRef("pk")})
        has_deal, has_won = Exists(deals), Exists(deals.filter(status=DealStatus.WON))
        return lambda edge: (
            created(contacts, edge)
            .order_by()
            .values("source_id")
            .annotate(n=Count("*"), with_deal=Count("pk", filter=Q(has_deal)), won=Count("pk", filter=Q(has_won)))
        )

    for kind, model, link in ((TallyKind.COMPANY, Company, "company_id"), (TallyKind.PERSON, Person, "person_id")):
        contacts = _owned(model.objects.for_account(account), filters)
        for row in _each_edge(edges, contact_counts(contacts, link)):
            _add(groups, (kind, row["source_id"], ""), row["n"])
            _add(groups, (TallyKind.DEAL_CONTACT, row["source_id"], ""), row["with_deal"])
            _add(groups, (TallyKind.WON_CONTACT, row["source_id"], ""), row["won"])

    deals = _owned(Deal.objects.for_account(account), filters)
    open_deals = deals.filter(status=DealStatus.OPEN)
    rows = _each_edge(
        edges,
        lambda edge: (
            created(open_deals, edge)
            .order_by()
            .values("source_id", "currency")
            .annotate(n=Count("*"), total=money_sum("value"))
        ),
    )
    for row in rows:
        _add(groups, (TallyKind.OPEN, row["source_id"], row["currency"]), row["n"], _cents(row["total"]))

    closed = deals.filter(status__in=[DealStatus.WON, DealStatus.LOST])
    rows = _each_edge(
        edges,
        lambda edge: (
            closed.filter(closed_at__gte=edge.start, closed_at__lte=edge.end)
            .order_by()
            .values("source_id", "status", "currency")
            .annotate(
                n=Count("*"),
                total=money_sum("value"),
                days=Sum(DaysBetween(F("closed_at"), created_day())),
                dated=Count("closed_at"),
            )
        ),
    )
    for row in rows:
        kind = TallyKind.WON if row["status"] == DealStatus.WON else TallyKind.LOST
        key = (kind, row["source_id"], row["currency"])
        _add(groups, key, row["n"], _cents(row["total"]), row["days"] or 0, row["dated"])


def _cents(total: Any) -> int:
    """A money sum read from the records, in whole cents."""
    return whole_cents(money_value(total))


def _read_close_days(counts: dict[int | None, dict[int, int]], sql: str, params: list[Any]) -> None:
    """Run the close-day counts' query (`sql`: source_key, days, n per source and days) into `counts`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One row per source, its days and counts as two arrays: a big account's all time is 3,600 (source,
            # days) rows, which cost three times as much to read as rows as 16 rows of arrays do. The arrays are
            # in no particular order (an ORDER BY in each sorted its own input): both are built from the same rows
            # in the same order, so they stay aligned, and the counts are a dict sorted later (`sorted_days`).
            cursor.execute(
                "SELECT source_key, array_agg(days), array_agg(n) "  # noqa: S608 — the query above
                f"FROM ({sql}) AS counts WHERE n <> 0 GROUP BY source_key",
                params,
            )
            for source_key, days, ns in cursor.fetchall():
                counts[source_key or None] = dict(zip(days, ns, strict=True))
        else:
            cursor.execute(sql, params)
            # Integers as read (the column and the cast are integers), one lookup per row.
            for source_key, days, n in cursor.fetchall():
                if n:
                    slot = counts.get(source_key or None)
                    if slot is None:
                        slot = counts[source_key or None] = {}
                    slot[days] = n


# How many days' close-day tallies (all owners) a month's cost to read: the tallies of a month hold the (source, days)
# of all its days once, so a month is fewer rows than its days as soon as an account closes deals of the same source in
# the same number of days on different days of it. 4.5 days for the big account of `make bench`, 6.8 for a small one,
# 18 for the typical one (whose tallies are few either way); docs/performance.md, "Partial months from their month".
_MONTH_IN_DAYS = 5
# The same for the source tallies (`SourceTally`, one row per kind, source and currency): a month is about 1.6 days'
# for the big account, 4.5 for the typical one.
_TALLY_MONTH_IN_DAYS = 3


def _month_less_days(edge: DateRange, month_in_days: float) -> tuple[dt.date, list[DateRange]] | None:
    """When the days of `edge` are most of one month: the month, and its other days, whose tallies taken from the
    month's give the edge's, if fewer rows than the edge's own days (a month's tallies costing `month_in_days`
    days'); else None. Exact: the same triggers write each record to its month and to its day."""
    month = edge.start.replace(day=1)
    following = month_after(month)
    if following is None or edge.end >= following:  # not within one month (a period of days across two)
        return None
    month_end = following - dt.timedelta(days=1)
    days = (edge.end - edge.start).days + 1
    if month_in_days + (month_end - month).days + 1 - days >= days:
        return None
    taken = []
    if edge.start > month:
        taken.append(DateRange(month, edge.start - dt.timedelta(days=1)))
    if edge.end < month_end:
        taken.append(DateRange(edge.end + dt.timedelta(days=1), month_end))
    return month, taken


# The same for a half month's close-day tallies (`CloseDaysLevel.HALF_MONTH`, days 1-15 or 16 to the month's end): 3.3
# days' for the big account (1,427-1,712 rows against 440-490 a day); counted as four, as a month is as five.
_HALF_IN_DAYS = 4

_Read = tuple[int, dt.date | None, dt.date | None, int]  # (level, first bucket, last bucket, sign)


def _month_pieces(edge: DateRange) -> list[DateRange]:
    """`edge` cut at the months' first days (a period without a whole month can span the end of one)."""
    pieces = []
    start = edge.start
    while True:
        following = month_after(start)
        if following is None or edge.end < following:
            pieces.append(DateRange(start, edge.end))
            return pieces
        pieces.append(DateRange(start, following - dt.timedelta(days=1)))
        start = following


def _days_of(days: DateRange) -> int:
    return (days.end - days.start).days + 1


def _halves_reads(piece: DateRange, month: dt.date, month_end: dt.date) -> tuple[float, list[_Read]]:
    """The days of `piece` (within one month) from each half month it meets: the half's tallies when it is all in
    the piece; else the piece's days in it, or the half's less its other days, whichever is fewer rows. With its
    cost in days' worth of rows."""
    cost: float = 0
    reads: list[_Read] = []
    for half in (DateRange(month, month + dt.timedelta(days=14)), DateRange(month + dt.timedelta(days=15), month_end)):
        first, last = max(half.start, piece.start), min(half.end, piece.end)
        if first > last:
            continue
        covered = (last - first).days + 1
        if covered == _days_of(half):
            cost += _HALF_IN_DAYS
            reads.append((CloseDaysLevel.HALF_MONTH, half.start, half.start, 1))
        elif _HALF_IN_DAYS + _days_of(half) - covered < covered:
            cost += _HALF_IN_DAYS + _days_of(half) - covered
            reads.append((CloseDaysLevel.HALF_MONTH, half.start, half.start, 1))
            if first > half.start:
                reads.append((CloseDaysLevel.DAY, half.start, first - dt.timedelta(days=1), -1))
            if last < half.end:
                reads.append((CloseDaysLevel.DAY, last + dt.timedelta(days=1), half.end, -1))
        else:
            cost += covered
            reads.append((CloseDaysLevel.DAY, first, last, 1))
    return cost, reads


def _close_day_reads(edge: DateRange) -> list[_Read]:
    """The close-day tallies that give the days of `edge` (days outside whole months, for all owners), month by month
    of it, whichever reads the fewest rows: the days' own, the month's less those of its other days
    (`_month_less_days`), or by half month (`_halves_reads`); the query's sums take the differences. Exact: the same
    triggers write each closed deal to its day, half month and month (`close_tally_sql`), which `tally_drift` checks.
    """
    reads: list[_Read] = []
    for piece in _month_pieces(edge):
        days = _days_of(piece)
        month = piece.start.replace(day=1)
        following = month_after(month)
        month_end = dt.date.max if following is None else following - dt.timedelta(days=1)
        options: list[tuple[float, list[_Read]]] = [(days, [(CloseDaysLevel.DAY, piece.start, piece.end, 1)])]
        parts = _month_less_days(piece, _MONTH_IN_DAYS)
        if parts is not None:
            options.append(
                (
                    _MONTH_IN_DAYS + _days_of(DateRange(month, month_end)) - days,
                    [
                        (CloseDaysLevel.MONTH, parts[0], parts[0], 1),
                        *((CloseDaysLevel.DAY, taken.start, taken.end, -1) for taken in parts[1]),
                    ],
                )
            )
        if following is not None:
            options.append(_halves_reads(piece, month, month_end))
        reads += min(options, key=lambda option: option[0])[1]  # the first of equal costs: the days' own
    return reads


def _coarser_months(first: dt.date, last: dt.date) -> list[_Read]:
    """The months `first` to `last` (all owners) as the fewest close-day tallies: whole years, whole quarters, and
    the months left, each level one range of buckets. A year's or quarter's tallies are never more rows than its
    months' (each is one row per source and days of the months together): 2,540 rows for a quarter of the big
    account's against about 6,000 for its three months, 3,151 for a year against about 24,000."""
    steps: list[tuple[int, dt.date]] = []
    month: dt.date | None = first
    level: int
    while month is not None and month <= last:
        if month.month == 1 and month.replace(month=12) <= last:
            level, months = CloseDaysLevel.YEAR, 12
        elif month.month % 3 == 1 and month.replace(month=month.month + 2) <= last:
            level, months = CloseDaysLevel.QUARTER, 3
        else:
            level, months = CloseDaysLevel.MONTH, 1
        steps.append((level, month))
        for _ in range(months):
            month = None if month is None else month_after(month)
    reads: list[_Read] = []
    for step_level, bucket in steps:
        if reads and reads[-1][0] == step_level:  # the same level as the step before: its range goes on
            reads[-1] = (step_level, reads[-1][1], bucket, 1)
        else:
            reads.append((step_level, bucket, bucket, 1))
    return reads


def _joined_months(
    wanted: list[tuple[int, dt.date | None, dt.date | None, int]],
) -> list[tuple[int, dt.date | None, dt.date | None, int]]:
    """`wanted` with the months next to each other (the whole months and an edge's month) as one range of buckets:
    one index range to read instead of a range each; then the whole years and quarters of each range read at their
    own levels (`_coarser_months`, tallied for all owners only: `wanted` here is for all owners)."""
    months = sorted(
        (first, last)
        for level, first, last, sign in wanted
        if level == CloseDaysLevel.MONTH and sign > 0 and first is not None and last is not None
    )
    joined: list[list[dt.date]] = []
    for first, last in months:
        if joined and month_after(joined[-1][1]) == first:
            joined[-1][1] = last
        else:
            joined.append([first, last])
    rest = [read for read in wanted if not (read[0] == CloseDaysLevel.MONTH and read[3] > 0)]
    return [read for first, last in joined for read in _coarser_months(first, last)] + rest


def _close_days(
    figures: Figures,
    *,
    account: Account,
    split: PeriodSplit | None,
    filters: StatsFilters,
    created_day: Callable[[], Expression],
) -> None:
    """Fill `figures.close_days` from the days-to-close counts (`CloseDaysTally`), read at the levels the other
    figures are (all time has its own level, or one owner's months), the whole months, and the days around them (for
    one owner from the records, as `_edge_groups` does). One query, two with an owner filter and days around
    whole months; the database sums the buckets, so the rows returned are one per source and number of days."""
    owner_key = _owner_key(filters)
    # (level, first bucket, last bucket, sign): a tally read with sign -1 is taken away from the sums.
    wanted: list[tuple[int, dt.date | None, dt.date | None, int]] = []
    if split is None:
        wanted.append((CloseDaysLevel.ALL_TIME if owner_key == ALL_OWNERS else CloseDaysLevel.MONTH, None, None, 1))
    else:
        if split.months is not None:
            wanted.append((CloseDaysLevel.MONTH, *split.months, 1))
        if _daily_edges(split, filters):
            for edge in split.edges:
                wanted += _close_day_reads(edge)
        if owner_key == ALL_OWNERS:
            wanted = _joined_months(wanted)
    counts = figures.close_days
    if wanted:

        def condition_of(level: int, first: dt.date | None, last: dt.date | None) -> str:
            condition = f"level = {int(level)}"
            if first is not None and last is not None:
                condition += " AND bucket >= %s AND bucket <= %s"
                params.extend(
                    [first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()]
                )
            return f"({condition})"

        params: list[Any] = []
        # The days taken away (a month's other days), as a condition in the sum: its parameters come first.
        taken = [condition_of(level, first, last) for level, first, last, sign in wanted if sign < 0]
        count = (
            f"CASE WHEN {' OR '.join(taken)} THEN -CAST(n AS INTEGER) ELSE CAST(n AS INTEGER) END"
            if taken
            else "CAST(n AS INTEGER)"
        )
        params += [account.pk, owner_key]
        conditions = [condition_of(level, first, last) for level, first, last, _sign in wanted]
        if wanted == [(CloseDaysLevel.ALL_TIME, None, None, 1)]:
            # All time is one bucket, so a (source, days) is one tally (the key `closedaystally_key_uniq` is
            # account, owner, level, bucket, source, days): its rows as they are, without a group per row to form
            # (that took the big account's read 40 % longer; docs/performance.md, "The page's queries").
            sql = (
                "SELECT source_key, days, CAST(n AS INTEGER) AS n "  # noqa: S608 — constants and placeholders only
                f"FROM {close_tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s "
                f"AND level = {int(CloseDaysLevel.ALL_TIME)} AND bucket = '{close_tally_sql.ALL_TIME_BUCKET}'"
            )
        else:
            sql = (
                # Integer sums: numeric ones arrive as Decimals, thousands of rows for all time. A sum of int4
                # values (a bigint on PostgreSQL; SQLite's integers are 64-bit) accumulates without numeric, which a
                # sum of bigints uses; a count above 2**31 - 1 fails the cast there, an error and never a wrong
                # figure.
                f"SELECT source_key, days, SUM({count}) AS n "  # noqa: S608 — constants and placeholders only
                f"FROM {close_tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s "
                f"AND ({' OR '.join(conditions)}) GROUP BY source_key, days"
            )
        _read_close_days(counts, sql, params)
    if split is not None and split.edges and not _daily_edges(split, filters):
        closed = _owned(Deal.objects.for_account(account), filters).filter(status__in=[DealStatus.WON, DealStatus.LOST])
        rows = _each_edge(
            split.edges,
            lambda edge: (
                closed.filter(closed_at__gte=edge.start, closed_at__lte=edge.end)
                .order_by()
                .values("source_id")
                .annotate(days=DaysBetween(F("closed_at"), created_day()), n=Count("*"))
                .values_list("source_id", "days", "n")
            ),
        )
        for source_id, days, n in rows:
            slot = counts.setdefault(source_id, {})
            slot[int(days)] = slot.get(int(days), 0) + int(n)


def figures_for(
    *,
    account: Account,
    period: DateRange | None,
    filters: StatsFilters,
    rates: Mapping[str, Decimal],
    created_day: Callable[[], Expression],
    close_days: bool = True,
) -> Figures:
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

    figures = Figures(
        companies={},
        persons={},
        open=defaultdict(MoneyGroup),
        won=defaultdict(MoneyGroup),
        lost=defaultdict(MoneyGroup),
        days=defaultdict(lambda: [0, 0]),
        raw=groups,
    )
    money: dict[int, dict[int | None, MoneyGroup]] = {
        TallyKind.OPEN: figures.open,
        TallyKind.WON: figures.won,
        TallyKind.LOST: figures.lost,
    }
    ratios = cent_ratios(rates)
    for (kind, source_id, currency), (n, cents, days, dated) in groups.items():
        if not n:
            continue
        if kind == TallyKind.COMPANY:
            figures.companies[source_id] = n
        elif kind == TallyKind.PERSON:
            figures.persons[source_id] = n
        elif kind == TallyKind.DEAL_CONTACT:
            figures.with_deal[source_id] = n
        elif kind == TallyKind.WON_CONTACT:
            figures.won_contacts[source_id] = n
        else:
            # Each (source, status, currency) group is converted and rounded to the cent once, in whole numbers.
            money[kind][source_id].add_cents(currency=currency, count=n, cents=cents, ratio=ratios.get(currency))
            if kind != TallyKind.OPEN:
                figures.days[source_id][0] += days
                figures.days[source_id][1] += dated
    if close_days:  # the median's counts: one more query, which the dashboard's won summary does without
        _close_days(figures, account=account, split=split, filters=filters, created_day=created_day)
    return figures
