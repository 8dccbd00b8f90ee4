"""Reads of the spend ledger. Every query is scoped to the account; another account's id is "does not exist"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any

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


_CENT = Decimal("0.01")
_EXACT = Context(prec=60)
SpendKey = tuple[int, int | None, str]  # (source id, campaign id or None, currency)


def spend_in_period(
    *, account: Account, first: dt.date | None, last: dt.date | None
) -> dict[SpendKey, tuple[int, Decimal]]:
    """The spend of [first, last] (None: unbounded) per (source, campaign, currency): how many entries reach into
    the period, and their parts of it unrounded (each entry spread evenly over its days, spend.periods.spread).
    One query, whatever the number of sources and campaigns."""
    rows = SpendEntry.objects.for_account(account)
    if first is not None:
        rows = rows.filter(end_date__gte=first)
    if last is not None:
        rows = rows.filter(start_date__lte=last)
    spent: dict[SpendKey, tuple[int, Decimal]] = {}
    columns = ("source_id", "campaign_id", "currency", "start_date", "end_date", "amount")
    for source_id, campaign_id, currency, start, end, amount in rows.order_by().values_list(*columns):
        key = (source_id, campaign_id, currency)
        count, total = spent.get(key, (0, Decimal(0)))
        part = spread(Decimal(amount).quantize(_CENT), start, end, first, last)
        spent[key] = (count + 1, _EXACT.add(total, part))
    return spent
