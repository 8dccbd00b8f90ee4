"""Months and day ranges of the spend ledger, and the rule that spreads an entry over a period."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Context, Decimal

# Enough digits that rounding a sum of spread parts once is the correctly rounded result (as stats.money.EXACT).
_EXACT = Context(prec=60)


def month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `day`'s month."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def overlap_days(start: dt.date, end: dt.date, first: dt.date | None, last: dt.date | None) -> int:
    """How many days of [start, end] lie in [first, last] (None: unbounded)."""
    low = start if first is None else max(start, first)
    high = end if last is None else min(end, last)
    return max((high - low).days + 1, 0)


def spread(amount: Decimal, start: dt.date, end: dt.date, first: dt.date | None, last: dt.date | None) -> Decimal:
    """The part of an entry's amount that falls into [first, last]: the amount spread evenly over the entry's days,
    amount * days inside / days of the entry, unrounded (60 significant digits: the caller rounds the sum once)."""
    inside = overlap_days(start, end, first, last)
    total = (end - start).days + 1
    if inside == total:
        return amount
    return _EXACT.divide(_EXACT.multiply(amount, inside), Decimal(total))
