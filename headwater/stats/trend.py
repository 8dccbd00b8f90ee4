"""The trend: new contacts and won value per local month, stacked by source or by channel (Statistics > Trend, the
API's /stats/trend). One read of the monthly tallies (`SourceTally` kinds COMPANY, PERSON and WON for all owners or
the owner filter's key), then the exchange rates and the catalogue.

A month counts whole: the period's first and last months are shown in full even when the period starts or ends
inside them (the tallies keep months; a trend is read by months). For all time, the months from the first to the
last with figures, at most the last `MAX_MONTHS`. Won deals without a close date have no month and are left out.
Won values are converted at the account's rates per (month, source, currency) group and rounded to the cent once,
as on the rest of the page; values in currencies without a rate are kept apart per month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.db import connection

from headwater.core.models import Account
from headwater.stats import tally_sql
from headwater.stats.filters import StatsFilters
from headwater.stats.models import ALL_OWNERS, NO_OWNER, TallyKind
from headwater.stats.money import MoneyGroup, cent_ratios, convert_cents, money_group_from_cents
from headwater.stats.periods import month_after
from headwater.stats.results import SourceInfo, Unconverted, channel_info

TrendBy = Literal["source", "channel"]
TREND_BY: tuple[TrendBy, ...] = ("source", "channel")
MAX_MONTHS = 120
_KINDS = (TallyKind.COMPANY, TallyKind.PERSON, TallyKind.WON)


@dataclass
class TrendSeries:
    """One source (or channel, or "No source") over the months: new contacts and won value (converted)."""

    source: SourceInfo
    contacts: list[int]
    won: list[MoneyGroup]

    @property
    def won_values(self) -> list[Decimal]:
        return [money.value for money in self.won]


@dataclass
class Trend:
    by: TrendBy
    base_currency: str
    months: list[dt.date]
    series: list[TrendSeries]
    contacts_total: list[int] = field(default_factory=list)
    won_total: list[MoneyGroup] = field(default_factory=list)

    @property
    def won_values(self) -> list[Decimal]:
        return [money.value for money in self.won_total]

    def unconverted(self, index: int) -> list[Unconverted]:
        return self.won_total[index].unconverted_list()

    @property
    def missing_rates(self) -> list[Unconverted]:
        total = MoneyGroup()
        for money in self.won_total:
            total.merge(money)
        return total.unconverted_list()


def _owner_key(filters: StatsFilters) -> int:
    if filters.unowned:
        return NO_OWNER
    return ALL_OWNERS if filters.owner_id is None else filters.owner_id


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months: list[dt.date] = []
    month: dt.date | None = first
    while month is not None and month <= last:
        months.append(month)
        month = month_after(month)
    return months


# One source's figures in one currency over its months: (months, source id or None, currency, new contacts, won
# deals, won value in cents), the lists aligned with the months, the months in no particular order (`trend_from`
# looks each one up). The contacts (which have no currency) come with the won deals in the account's currency.
TrendRow = tuple[list[dt.date], int | None, str, list[int], list[int], list[int]]


def read_trend_tallies(*, account: Account, filters: StatsFilters) -> list[TrendRow]:
    """The period's months per source and currency; one query. Companies and persons are summed in the database
    and the sums cast to integers: the all-time trend of a big account is thousands of groups, and a row per kind
    with numeric sums (Decimals in Python) made the read cost as much as the rest of the page. The contacts are
    grouped with the won deals in the account's currency, which convert at 1: a third fewer rows to read and loop
    over, the same sums. On PostgreSQL the months of a (source, currency) come as arrays in one row: the big
    account's 2,294 (month, source, currency) groups are 26 rows, which cost a third of the CPU to read."""
    params: list[Any] = [account.currency, account.pk, _owner_key(filters)]
    where = ""
    if filters.period is not None:
        first, last = filters.period.start.replace(day=1), filters.period.end.replace(day=1)
        where = " AND bucket >= %s AND bucket <= %s"
        params += [first, last] if connection.vendor == "postgresql" else [first.isoformat(), last.isoformat()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_postgresql_trend_sql(where), params)
            grouped: list[TrendRow] = cursor.fetchall()
        return grouped
    with connection.cursor() as cursor:
        cursor.execute(_portable_trend_sql(where), params)
        rows = cursor.fetchall()
    # SQLite: the same groups made here (days come as text).
    groups: dict[tuple[int | None, str], TrendRow] = {}
    parse = dt.date.fromisoformat
    for bucket, source_id, currency, contacts_n, won_count, cents in rows:
        group = groups.get((source_id, currency))
        if group is None:
            group = groups[source_id, currency] = ([], source_id, currency, [], [], [])
        group[0].append(bucket if isinstance(bucket, dt.date) else parse(str(bucket)))
        group[3].append(contacts_n)
        group[4].append(won_count)
        group[5].append(cents)
    return list(groups.values())


def _portable_trend_sql(where: str) -> str:
    """The trend's read as (month, source, currency) rows: SQLite's, and the reference for PostgreSQL's."""
    kinds = ", ".join(str(int(kind)) for kind in _KINDS)
    won = int(TallyKind.WON)
    contacts = f"CAST(SUM(CASE WHEN kind = {won} THEN 0 ELSE n END) AS BIGINT)"
    won_n = f"CAST(SUM(CASE WHEN kind = {won} THEN n ELSE 0 END) AS BIGINT)"
    won_cents = f"CAST(SUM(CASE WHEN kind = {won} THEN cents ELSE 0 END) AS BIGINT)"
    return (
        # NULLIF: the tallies' source key 0 is "no source" (None); the groups without figures are left out here.
        "SELECT bucket, NULLIF(source_key, 0) AS trend_source, "  # noqa: S608 — constants and placeholders only
        f"CASE WHEN kind = {won} THEN currency ELSE %s END AS trend_currency, "
        f"{contacts} AS contacts, {won_n} AS won_n, {won_cents} AS won_cents "
        f"FROM {tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s AND kind IN ({kinds}){where} "
        f"GROUP BY bucket, source_key, trend_currency HAVING {contacts} <> 0 OR {won_n} <> 0 OR {won_cents} <> 0"
    )


def _postgresql_trend_sql(where: str) -> str:
    """The trend's read on PostgreSQL, the same groups and sums as the portable query, in about half its server time
    (docs/performance.md, 5 December 2026): the big account's all time went from about 4.3 to 2.3 ms.

    - A group (month, source, currency) holds at most one WON tally: the key `sourcetally_key_uniq` is (account,
      owner key, kind, bucket, source key, currency), and the group's currency is the WON tally's own. So its count
      and cents are that tally's, read with MAX: no numeric sums (the cents column is numeric) to accumulate and
      convert per group. The cents are cast to BIGINT as before (out of range is an error, not a wrong figure).
    - The contacts (COMPANY and PERSON, all in the account's currency) are summed as integers: a sum of int4 values
      accumulates in a bigint, not in numeric. A tally's count above 2**31 - 1 fails the cast (an error, never a
      wrong figure); counts are records, far below that.
    - FILTER instead of a CASE per aggregate and row; the HAVING's NULLs (no tally of that kind) drop as the zeros did.
    - The months' arrays without ORDER BY: each ordered array_agg sorted its own input (four sorts per group on
      PostgreSQL 15). The four arrays of a group are built from the same rows in the same order, so they stay
      aligned; their order is not used (`trend_from` looks each month up)."""
    won = int(TallyKind.WON)
    kinds = ", ".join(str(int(kind)) for kind in _KINDS)
    contacts = f"SUM(CAST(n AS INTEGER)) FILTER (WHERE kind <> {won})"
    won_n = f"MAX(n) FILTER (WHERE kind = {won})"
    won_cents = f"MAX(cents) FILTER (WHERE kind = {won})"
    months = (
        "SELECT bucket, NULLIF(source_key, 0) AS trend_source, "  # noqa: S608 — constants and placeholders only
        f"CASE WHEN kind = {won} THEN currency ELSE %s END AS trend_currency, "
        f"COALESCE({contacts}, 0) AS contacts, COALESCE({won_n}, 0) AS won_n, "
        f"CAST(COALESCE({won_cents}, 0) AS BIGINT) AS won_cents "
        f"FROM {tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s AND kind IN ({kinds}){where} "
        f"GROUP BY bucket, source_key, trend_currency HAVING {contacts} <> 0 OR {won_n} <> 0 OR {won_cents} <> 0"
    )
    return (
        "SELECT array_agg(bucket), trend_source, trend_currency, array_agg(contacts), array_agg(won_n), "  # noqa: S608 — the query above
        f"array_agg(won_cents) FROM ({months}) AS months GROUP BY trend_source, trend_currency"
    )


def _series_keys(sources: list[SourceInfo], by: TrendBy) -> tuple[dict[int | None, Any], dict[Any, SourceInfo]]:
    """Each source id's series key (its own, or its channel's), and each key's row, in the sources' order."""
    key_of: dict[int | None, Any] = {}
    infos: dict[Any, SourceInfo] = {}
    for source in sources:
        if by == "channel" and source.id is not None and source.known:
            key: Any = ("channel", source.channel_id)
            if key not in infos:
                infos[key] = channel_info(source.channel_id, source.channel_name, source.channel_position)
        else:
            key = ("source", source.id)
            infos[key] = source
        key_of[source.id] = key
    return key_of, infos


def _channel_rank(item: TrendSeries) -> tuple[int, int, int]:
    """The admin's order of the channels; "No channel" after them, "No source" (and unknown ids) last."""
    info = item.source
    if info.is_channel:
        return (0 if info.channel_id is not None else 1, info.position, info.channel_id or 0)
    return (2, 0, 0)


_NOT_SHOWN = object()  # a source the trend's rows leave out (another channel's, with the channel filter)


def trend_from(
    *,
    rows: list[TrendRow],
    sources: list[SourceInfo],
    filters: StatsFilters,
    by: TrendBy,
    rates: dict[str, Decimal],
    base_currency: str,
) -> Trend:
    """The series from the tally rows and the rows' sources (the catalogue's, in its order; "No source" last)."""
    first = min((min(row[0]) for row in rows), default=None)
    last = max((max(row[0]) for row in rows), default=None)
    if filters.period is not None:
        start, end = filters.period.start.replace(day=1), filters.period.end.replace(day=1)
        long = (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS
        # A long period (a custom range over centuries): its months with figures, not centuries of empty ones.
        if long and first is not None and last is not None:
            start, end = max(start, first), min(end, last)
        first, last = start, end
    months = _months(first, last)[-MAX_MONTHS:] if first is not None and last is not None else []
    index = {month: i for i, month in enumerate(months)}
    key_of, infos = _series_keys(sources, by)
    ratios = cent_ratios(rates)
    width = len(months)
    sums: dict[Any, _Sums] = {}
    for months_of, source_id, currency, contacts_of, won_of, cents_of in rows:
        key = key_of.get(source_id, _NOT_SHOWN)
        if key is _NOT_SHOWN:
            continue
        one = sums.get(key)
        if one is None:
            one = sums[key] = _Sums(width)
        ratio = ratios.get(currency)
        plain = ratio is not None and ratio[0] == ratio[1]  # the account's currency converts at 1
        for month, contacts, won_n, cents in zip(months_of, contacts_of, won_of, cents_of, strict=True):
            at = index.get(month)
            if at is None:
                continue
            one.contacts[at] += contacts
            if won_n or cents:
                one.count[at] += won_n
                if ratio is None:
                    slot = one.apart[at].setdefault(currency, [0, 0])
                    slot[0] += won_n
                    slot[1] += cents
                else:
                    # Each (month, source, currency) group is converted and rounded to the cent once.
                    one.converted_count[at] += won_n
                    one.cents[at] += cents if plain else convert_cents(cents, ratio)
    ordered = [
        TrendSeries(source=infos[key], contacts=sums[key].contacts, won=sums[key].won()) for key in infos if key in sums
    ]
    if by == "channel":
        ordered.sort(key=_channel_rank)
    trend = Trend(by=by, base_currency=base_currency, months=months, series=ordered)
    total = _Sums(width)
    for one in sums.values():
        total.add(one)
    trend.contacts_total = total.contacts
    trend.won_total = total.won()
    return trend


class _Sums:
    """One series (or the total) in whole numbers per month: contacts, won deals, of them converted, converted
    cents, and per currency without a rate [won deals, cents]. Decimals only once per month, in `won`."""

    __slots__ = ("apart", "cents", "contacts", "converted_count", "count")

    def __init__(self, width: int) -> None:
        self.contacts = [0] * width
        self.count = [0] * width
        self.converted_count = [0] * width
        self.cents = [0] * width
        self.apart: list[dict[str, list[int]]] = [{} for _ in range(width)]

    def add(self, other: _Sums) -> None:
        for mine, theirs in (
            (self.contacts, other.contacts),
            (self.count, other.count),
            (self.converted_count, other.converted_count),
            (self.cents, other.cents),
        ):
            for at, value in enumerate(theirs):
                mine[at] += value
        for at, currencies in enumerate(other.apart):
            for currency, (n, cents) in currencies.items():
                slot = self.apart[at].setdefault(currency, [0, 0])
                slot[0] += n
                slot[1] += cents

    def won(self) -> list[MoneyGroup]:
        return [
            money_group_from_cents(count=count, converted_count=converted, cents=cents, unconverted=apart)
            for count, converted, cents, apart in zip(
                self.count, self.converted_count, self.cents, self.apart, strict=True
            )
        ]
