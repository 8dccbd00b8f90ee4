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
from headwater.stats.money import MoneyGroup, cent_ratios
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


# The day every month is counted from: the reads return a month as its first day's distance from it in days (an
# integer, which PostgreSQL writes and psycopg reads at a fraction of a date's cost; `trend_from` maps it back).
MONTHS_FROM = dt.date(2000, 1, 1)

# One source's new contacts, or its won deals in one currency, over its months: (source id or None, the won deals'
# currency or None for the contacts, months (as days from `MONTHS_FROM`), counts, won value in cents or None for the
# contacts), the lists aligned, the months in no particular order and a month possibly twice (the companies' and the
# persons' counts; `trend_from` adds them up).
TrendRow = tuple[int | None, str | None, list[int], list[int], list[int] | None]


def read_trend_tallies(*, account: Account, filters: StatsFilters) -> list[TrendRow]:
    """The period's months per source (contacts) and per source and currency (won deals); one query, of the
    tallies' own rows: no group per month to form in the database, whose hashing, sorting and writing out of dates
    cost the big account's all-time trend most of its time there (docs/performance.md, "The page's queries").
    Companies and persons come as one list per source (its months twice), added up in `trend_from` as they were in
    the database; empty tallies (count zero: no record) are left out. On PostgreSQL each (source, currency) comes
    as one row of arrays; on SQLite the same groups are made here from the rows."""
    params: list[Any] = [account.pk, _owner_key(filters)]
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
    # SQLite: the same groups made here.
    groups: dict[tuple[int | None, str | None], TrendRow] = {}
    for month, source_id, currency, n, cents in rows:
        group = groups.get((source_id, currency))
        if group is None:
            group = groups[source_id, currency] = (source_id, currency, [], [], None if currency is None else [])
        group[2].append(month)
        group[3].append(n)
        if group[4] is not None:
            group[4].append(cents)
    return list(groups.values())


_WON = int(TallyKind.WON)
_KIND_LIST = ", ".join(str(int(kind)) for kind in _KINDS)


def _portable_trend_sql(where: str) -> str:
    """The trend's read as one row per tally (month as days from `MONTHS_FROM`, source, the won deals' currency or
    NULL for contacts, count, cents): SQLite's, and the reference for PostgreSQL's. A tally's count above 2**31 - 1
    fails PostgreSQL's integer cast (an error, never a wrong figure); counts are records, far below that."""
    return (
        # NULLIF: the tallies' source key 0 is "no source" (None). Julian days of two midnights differ by whole days.
        f"SELECT {_month_days()} AS trend_month, NULLIF(source_key, 0) AS trend_source, "  # noqa: S608 — constants and placeholders only
        f"CASE WHEN kind = {_WON} THEN currency END AS trend_currency, CAST(n AS INTEGER) AS trend_n, "
        f"CASE WHEN kind = {_WON} THEN CAST(cents AS BIGINT) END AS trend_cents "
        f"FROM {tally_sql.TABLE} WHERE account_id = %s AND owner_key = %s AND kind IN ({_KIND_LIST}) AND n <> 0{where}"
    )


def _month_days() -> str:
    if connection.vendor == "postgresql":
        return f"(bucket - DATE '{MONTHS_FROM.isoformat()}')"
    return f"CAST(julianday(bucket) - julianday('{MONTHS_FROM.isoformat()}') AS INTEGER)"


def _postgresql_trend_sql(where: str) -> str:
    """The portable query's rows as one row of arrays per (source, currency or NULL): the big account's all time is
    3,463 tallies in 96 rows. The arrays without ORDER BY (an ordered array_agg sorts its own input): all of a
    group's are built from the same rows in the same order, so they stay aligned; their order is not used
    (`trend_from` looks each month up). The cents only for the won deals' rows (NULL for the contacts')."""
    rows = _portable_trend_sql(where)
    return (
        "SELECT trend_source, trend_currency, array_agg(trend_month), array_agg(trend_n), "  # noqa: S608 — the query above
        f"array_agg(trend_cents) FILTER (WHERE trend_currency IS NOT NULL) FROM ({rows}) AS tallies "
        "GROUP BY trend_source, trend_currency"
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
    days = [day for row in rows for day in (min(row[2]), max(row[2]))]
    first = _month_at(min(days)) if days else None
    last = _month_at(max(days)) if days else None
    if filters.period is not None:
        start, end = filters.period.start.replace(day=1), filters.period.end.replace(day=1)
        long = (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS
        # A long period (a custom range over centuries): its months with figures, not centuries of empty ones.
        if long and first is not None and last is not None:
            start, end = max(start, first), min(end, last)
        first, last = start, end
    months = _months(first, last)[-MAX_MONTHS:] if first is not None and last is not None else []
    index = {(month - MONTHS_FROM).days: i for i, month in enumerate(months)}
    key_of, infos = _series_keys(sources, by)
    sums = _sums_of(rows, key_of=key_of, index=index, ratios=cent_ratios(rates), width=len(months))
    ordered = [
        TrendSeries(source=infos[key], contacts=sums[key].contacts, won=sums[key].won()) for key in infos if key in sums
    ]
    if by == "channel":
        ordered.sort(key=_channel_rank)
    trend = Trend(by=by, base_currency=base_currency, months=months, series=ordered)
    total = _Sums.total_of(list(sums.values()), len(months))
    trend.contacts_total = total.contacts
    trend.won_total = total.won()
    return trend


def _sums_of(
    rows: list[TrendRow],
    *,
    key_of: dict[int | None, Any],
    index: dict[int, int],
    ratios: dict[str, tuple[int, int]],
    width: int,
) -> dict[Any, _Sums]:
    """Each series' sums per month from the read's rows (`index`: a month's days from `MONTHS_FROM` to its place)."""
    sums: dict[Any, _Sums] = {}
    place = index.get
    # The loops run once per tally (3,463 for the big account's all time): the months' places looked up in one
    # `map`, the lists held in locals rather than read from the series' attributes per tally.
    for source_id, currency, months_of, counts_of, cents_of in rows:
        key = key_of.get(source_id, _NOT_SHOWN)
        if key is _NOT_SHOWN:
            continue
        one = sums.get(key)
        if one is None:
            one = sums[key] = _Sums(width)
        places = list(map(place, months_of))
        if currency is None or cents_of is None:  # new contacts (companies and persons)
            contacts = one.contacts
            for at, n in zip(places, counts_of, strict=True):
                if at is not None:
                    contacts[at] += n
            continue
        ratio = ratios.get(currency)
        if ratio is None:
            _add_apart(one, currency, places, counts_of, cents_of)
        else:
            _add_converted(one, ratio, places, counts_of, cents_of)
    return sums


def _add_apart(one: _Sums, currency: str, places: list[int | None], counts_of: list[int], cents_of: list[int]) -> None:
    """Won deals in a currency without a rate: kept apart per month, [won deals, cents]."""
    count, apart = one.count, one.apart
    for at, won_n, cents in zip(places, counts_of, cents_of, strict=True):
        if at is None:
            continue
        count[at] += won_n
        currencies = apart[at]
        slot = currencies.get(currency)
        if slot is None:
            currencies[currency] = [won_n, cents]
        else:
            slot[0] += won_n
            slot[1] += cents


def _add_converted(
    one: _Sums, ratio: tuple[int, int], places: list[int | None], counts_of: list[int], cents_of: list[int]
) -> None:
    """Won deals converted: each (month, source, currency) group converted and rounded to the cent once, with
    `convert_cents` written out (half up, away from zero): it runs for each tally in another currency (about 1,300
    on the big page)."""
    numerator, denominator = ratio
    plain = numerator == denominator  # the account's currency converts at 1
    twice = 2 * denominator
    count, converted, won_cents = one.count, one.converted_count, one.cents
    for at, won_n, cents in zip(places, counts_of, cents_of, strict=True):
        if at is None:
            continue
        count[at] += won_n
        converted[at] += won_n
        if plain:
            won_cents[at] += cents
        elif cents >= 0:
            won_cents[at] += (2 * cents * numerator + denominator) // twice
        else:
            won_cents[at] -= (-2 * cents * numerator + denominator) // twice


def _month_at(days: int) -> dt.date:
    """A month read as days from `MONTHS_FROM` (its first day)."""
    return MONTHS_FROM + dt.timedelta(days=days)


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

    @classmethod
    def total_of(cls, series: list[_Sums], width: int) -> _Sums:
        """The series added month by month: each list's months summed in one pass over all the series (`zip` of
        their lists), not series by series; the unrated currencies only for the months that have any."""
        total = cls(width)
        if series:
            total.contacts = list(map(sum, zip(*[one.contacts for one in series], strict=True)))
            total.count = list(map(sum, zip(*[one.count for one in series], strict=True)))
            total.converted_count = list(map(sum, zip(*[one.converted_count for one in series], strict=True)))
            total.cents = list(map(sum, zip(*[one.cents for one in series], strict=True)))
        apart = total.apart
        for one in series:
            for at, currencies in enumerate(one.apart):
                if not currencies:
                    continue
                into = apart[at]
                for currency, (n, cents) in currencies.items():
                    slot = into.get(currency)
                    if slot is None:
                        into[currency] = [n, cents]  # a list of its own: the series' stays as it is
                    else:
                        slot[0] += n
                        slot[1] += cents
        return total

    def won(self) -> list[MoneyGroup]:
        # `MoneyGroup` made directly (positional arguments): one per series and month, 630 on the big page.
        return list(map(MoneyGroup, self.count, self.converted_count, self.cents, self.apart))
