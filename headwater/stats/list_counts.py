"""Exact record-list counts from the statistics' tallies, for the lists filtered the way a figure is counted.

A list page says "1-25 of 66,911". Counting 66,911 deals reads 66,911 index entries; the tallies (kept by the
database in the same transaction as every write, stats/tally_sql.py) hold the same number in a few rows. So when a
list's filters are ones the tallies are keyed by, its total is read from them (registered with
`records.listing.register_list_counter` when this app starts): the Statistics page's drill-down links (source,
owner, and a creation period for contacts and open deals or a close period for won and lost deals) and a plain
source, owner or status filter over all time. Any other filter (a search, a company or person, a creation period
on closed deals, an owner with days outside whole months, which the tallies keep for all owners only) answers None
and the list counts its records as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Model

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.deals.selectors import DealFilters
from headwater.persons.models import Person
from headwater.records.listing import RecordFilters
from headwater.stats import tally_sql
from headwater.stats.filters import DateRange
from headwater.stats.models import ALL_OWNERS, DAILY, NO_OWNER, NO_SOURCE, YEARLY, TallyKind
from headwater.stats.periods import split_period

_Period = tuple[dt.date, dt.date] | None
# (kinds, first bucket, last bucket) ranges to sum, one owner key: what `_sum` reads.
_Wanted = list[tuple[list[int], dt.date | None, dt.date | None]]


def tallied_list_count(model: type[Model], account: Account, filters: RecordFilters) -> int | None:
    """The number of `model` records of `account` that `filters` keep, read from the tallies; None when the tallies
    cannot tell (the list then counts its records)."""
    if (
        filters.q.strip()
        or getattr(filters, "company", None) is not None
        or filters.campaign is not None
        or getattr(filters, "person", None)
    ):
        return None
    created = _days(account, filters.created_from, filters.created_before)
    if created is False:
        return None
    wanted: tuple[list[int], _Period] | None
    if model is Company or model is Person:
        wanted = ([TallyKind.COMPANY if model is Company else TallyKind.PERSON], created)
    elif model is Deal and isinstance(filters, DealFilters):
        wanted = _deal_kinds(filters, created)
    else:
        return None
    return None if wanted is None else _count(account, filters, *wanted)


def _deal_kinds(filters: DealFilters, created: _Period) -> tuple[list[int], _Period] | None:
    """The deal tallies a filter reads, and over which days: open deals count in the day they were created, closed
    ones in the day they were closed (those without a close day in all time only)."""
    closed: _Period = None
    if filters.closed_from is not None or filters.closed_to is not None:
        closed = (filters.closed_from or dt.date.min, filters.closed_to or dt.date.max)
    status = filters.status
    if status == DealStatus.OPEN and closed is None:
        return [TallyKind.OPEN], created
    if status in (DealStatus.WON, DealStatus.LOST) and created is None:
        won = status == DealStatus.WON
        if closed is None:
            return ([TallyKind.WON, TallyKind.WON_UNDATED] if won else [TallyKind.LOST, TallyKind.LOST_UNDATED]), None
        return [TallyKind.WON if won else TallyKind.LOST], closed
    if not status and created is None and closed is None:
        return [TallyKind.OPEN, TallyKind.WON, TallyKind.LOST, TallyKind.WON_UNDATED, TallyKind.LOST_UNDATED], None
    return None


def _days(account: Account, start: dt.datetime | None, before: dt.datetime | None) -> _Period | Literal[False]:
    """The local days [first, last] of a creation filter (its bounds are local midnights, records.forms); None for
    no filter, False when a bound is not a local midnight (the tallies hold whole days only)."""
    if start is None and before is None:
        return None
    zone = ZoneInfo(account.time_zone)
    days: list[dt.date] = []
    for bound, default in ((start, dt.date.min), (before, None)):
        if bound is None:
            days.append(default or dt.date.max)
            continue
        local = bound.astimezone(zone)
        if local.time() != dt.time.min:
            return False
        days.append(local.date() if default else local.date() - dt.timedelta(days=1))
    first, last = days
    return (first, last) if first <= last else False


def _count(account: Account, filters: RecordFilters, kinds: list[int], period: _Period) -> int | None:
    owner_key = ALL_OWNERS
    if filters.unowned:
        owner_key = NO_OWNER
    elif filters.owner is not None:
        owner_key = filters.owner
    source_key: int | None = None
    if filters.no_source:
        source_key = NO_SOURCE
    elif filters.source is not None:
        source_key = filters.source
    wanted: _Wanted = []
    if period is None:
        # Years are tallied for all owners only; one owner's all time is the sum of their months.
        yearly = owner_key == ALL_OWNERS
        wanted.append(([kind + YEARLY for kind in kinds] if yearly else kinds, None, None))
    else:
        if period[0] > period[1]:
            return None
        split = split_period(DateRange(*period))
        if split.edges and owner_key != ALL_OWNERS:
            return None  # days are tallied for all owners only
        if split.months is not None:
            wanted.append((kinds, *split.months))
        wanted += [([kind + DAILY for kind in kinds], edge.start, edge.end) for edge in split.edges]
    return _sum(account=account, owner_key=owner_key, source_key=source_key, wanted=wanted)


def _sum(*, account: Account, owner_key: int, source_key: int | None, wanted: _Wanted) -> int:
    """SUM(n) over the wanted (kinds, first, last bucket) ranges: one index range per kind (the tally key leads
    with account, owner, kind, bucket), the source tested on each row. Scoped by `account_id`."""
    conditions: list[str] = []
    params: list[Any] = [account.pk, owner_key]
    for kinds, first, last in wanted:
        condition = "kind IN (" + ", ".join(str(int(kind)) for kind in kinds) + ")"
        if first is not None and last is not None:
            condition += " AND bucket >= %s AND bucket <= %s"
            params += [first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()]
        conditions.append(f"({condition})")
    sql = (
        f"SELECT SUM(n) FROM {tally_sql.TABLE} "  # noqa: S608 — constants and placeholders only
        f"WHERE account_id = %s AND owner_key = %s AND ({' OR '.join(conditions)})"
    )
    if source_key is not None:
        sql += " AND source_key = %s"
        params.append(source_key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0
