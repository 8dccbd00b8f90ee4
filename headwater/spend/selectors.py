"""Reads of the spend ledger. Every query is scoped to the account; another account's id is "does not exist"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Sorts
from headwater.spend.models import SpendEntry
from headwater.spend.periods import spread

# The list's sorts (core.pagination): newest period first by default.
SPEND_SORTS: Sorts = {"start_date": ("start_date",), "id": ()}


@dataclass(frozen=True)
class SpendFilters:
    """What the list shows: one source's entries, one campaign's (`campaign_none`: those of no campaign), and the
    entries overlapping [first, last] (either end open)."""

    source_id: int | None = None
    campaign_id: int | None = None
    campaign_none: bool = False
    first: dt.date | None = None
    last: dt.date | None = None


def spend_get(*, account: Account, entry_id: Any) -> SpendEntry:
    if not isinstance(entry_id, int) or isinstance(entry_id, bool):
        raise NotFound(_("This spend entry does not exist."))
    entry = (
        SpendEntry.objects.for_account(account)
        .select_related("source", "campaign", "created_by")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise NotFound(_("This spend entry does not exist."))
    return entry


def spend_list(*, account: Account, filters: SpendFilters | None = None) -> QuerySet[SpendEntry]:
    """The account's entries, newest period first, filtered."""
    filters = filters or SpendFilters()
    qs = SpendEntry.objects.for_account(account).select_related("source", "campaign")
    if filters.source_id is not None:
        qs = qs.filter(source_id=filters.source_id)
    if filters.campaign_none:
        qs = qs.filter(campaign__isnull=True)
    elif filters.campaign_id is not None:
        qs = qs.filter(campaign_id=filters.campaign_id)
    if filters.first is not None:
        qs = qs.filter(end_date__gte=filters.first)
    if filters.last is not None:
        qs = qs.filter(start_date__lte=filters.last)
    return qs.order_by("-start_date", "-id")


RatesReader = Callable[[Account], Mapping[str, Decimal]]
_rates_reader: list[RatesReader] = []


def register_rates_reader(reader: RatesReader) -> None:
    """The account's exchange rates live in the statistics, above this app: the stats app registers its reader
    when it starts (as it registers the record lists' counters), so the list can say which totals convert."""
    _rates_reader[:] = [reader]


def rates_of(account: Account) -> Mapping[str, Decimal]:
    """The rates converting into the account's currency (the currency itself at 1); only that without a reader."""
    if _rates_reader:
        return _rates_reader[0](account)
    return {account.currency: Decimal(1)}


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    amount: Decimal
    has_rate: bool


def spend_totals(qs: QuerySet[SpendEntry], *, rates: Mapping[str, Decimal]) -> list[CurrencyTotal]:
    """The entries' amounts summed per currency (exact, in Python: SQLite sums decimals as floats), those with a rate
    first. One query."""
    sums: dict[str, list[Any]] = {}
    for currency, amount in qs.order_by().values_list("currency", "amount"):
        slot = sums.setdefault(currency, [0, Decimal("0.00")])
        slot[0] += 1
        slot[1] += Decimal(amount).quantize(Decimal("0.01"))
    return sorted(
        (CurrencyTotal(c, n, v, c in rates) for c, (n, v) in sums.items()),
        key=lambda total: (not total.has_rate, total.currency),
    )


_EXACT = Context(prec=60)
SpendKey = tuple[int, int | None, str]  # (source id, campaign id or None, currency)


def spend_in_period(
    *, account: Account, first: dt.date | None, last: dt.date | None
) -> dict[SpendKey, tuple[int, Decimal]]:
    """The spend of [first, last] (None: unbounded) per (source, campaign, currency): how many entries reach into
    the period, and their parts of it unrounded (each entry spread evenly over its days, spend.periods.spread).
    One query, whatever the number of sources and campaigns.

    The entries wholly inside the period count whole: the database sums them per (source, campaign, currency), in
    integer cents (exact on SQLite too), so all time reads a row per group instead of one per entry; only an entry
    that reaches out of the period comes as its own row, to be spread. Hand-written SQL, scoped by `account_id`.
    """
    inside: list[str] = []
    overlaps: list[str] = []
    if first is not None:
        inside.append("start_date >= %s")
        overlaps.append(" AND end_date >= %s")
    if last is not None:
        inside.append("end_date <= %s")
        overlaps.append(" AND start_date <= %s")
    dates = [day for day in (first, last) if day is not None]
    values: list[Any] = list(dates) if connection.vendor == "postgresql" else [day.isoformat() for day in dates]
    # An entry reaching out of the period keeps its own row (its id); the others are grouped.
    part = f"CASE WHEN {' AND '.join(inside)} THEN NULL ELSE id END" if inside else "NULL"
    sql = (
        f"SELECT source_id, campaign_id, currency, {part} AS part, MIN(start_date), MAX(end_date), "  # noqa: S608 — constants and placeholders only
        "COUNT(*), SUM(CAST(ROUND(amount * 100) AS BIGINT)) "
        f"FROM {SpendEntry._meta.db_table} WHERE account_id = %s{''.join(overlaps)} "
        "GROUP BY source_id, campaign_id, currency, part"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, account.pk, *values])
        rows = cursor.fetchall()
    spent: dict[SpendKey, tuple[int, Decimal]] = {}
    for source_id, campaign_id, currency, entry, start, end, count, cents in rows:
        key = (source_id, campaign_id, currency)
        amount = Decimal(int(cents)).scaleb(-2, _EXACT)
        if entry is not None:  # one entry reaching out of the period: its part of it
            amount = spread(amount, _day(start), _day(end), first, last)
        previous_count, total = spent.get(key, (0, Decimal(0)))
        spent[key] = (previous_count + int(count), _EXACT.add(total, amount))
    return spent


def _day(value: Any) -> dt.date:
    """A date column's value (SQLite returns days as text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
