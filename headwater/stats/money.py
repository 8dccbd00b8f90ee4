"""Money in the statistics: exact sums per currency, conversion at the account's rates, rounding once.

No value ever passes through a float: SQLite sums in integer cents, every quotient is computed with enough digits
and rounded half-up once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from itertools import accumulate
from math import isqrt
from typing import Any

from django.db import connection
from django.db.models import Aggregate, BigIntegerField, Sum

from headwater.core.compiled import CompiledRows
from headwater.core.models import Account
from headwater.stats.models import ExchangeRate
from headwater.stats.results import Change, Unconverted

CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# Enough digits that rounding a quotient of our sums once is always the correctly rounded result.
_PRECISION = 60
# Passed to each operation instead of entering `localcontext()` per figure (a few hundred per request). Only its
# precision differs from the default context; the flags it collects are never read.
EXACT = Context(prec=_PRECISION)


class _CentsSum(Aggregate):
    """SUM of a money column in integer cents: SQLite stores decimals as floats, so summing them there is inexact."""

    function = "SUM"
    template = "SUM(CAST(ROUND(%(expressions)s * 100) AS INTEGER))"
    output_field = BigIntegerField()


def _sums_in_cents() -> bool:
    return connection.vendor == "sqlite"


def money_sum(column: str) -> Aggregate:
    return _CentsSum(column) if _sums_in_cents() else Sum(column)


def money_value(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if _sums_in_cents():
        return Decimal(int(value)).scaleb(-2)
    return Decimal(value).quantize(CENT)


# A rounding unit's places: quotients to these units are computed in whole numbers.
_PLACES = {CENT: 2, TENTH: 1, Decimal(1): 0}


def quotient(numerator: Decimal | int, denominator: Decimal | int, unit: Decimal, scale: int = 1) -> Decimal:
    """numerator * scale / denominator rounded half up (halves away from zero) to `unit`, from the exact fraction:
    the operands as integer ratios (a `Decimal` is one exactly), one integer division. Never a negative zero (a
    small negative figure that rounds to zero is zero: "-0.0" would show in the API, the CSV and on the page)."""
    # The module's units by identity (hundreds of quotients a request); any other by its places.
    places = 1 if unit is TENTH else 2 if unit is CENT else _PLACES.get(unit)
    if places is None or (unit is not TENTH and unit is not CENT and unit.as_tuple().exponent != -places):
        return _decimal_quotient(numerator, denominator, unit, scale)  # another unit (or 0.10: equal to 0.1)
    top, bottom = (numerator, 1) if type(numerator) is int else numerator.as_integer_ratio()
    if type(denominator) is int:
        top *= scale * 10**places
        bottom *= denominator
    else:
        over, under = denominator.as_integer_ratio()
        top *= scale * 10**places * under
        bottom *= over
    return Decimal(round_half_up(top, bottom)).scaleb(-places, EXACT)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to a whole number, halves away from zero (ROUND_HALF_UP)."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    if numerator < 0:
        return -((-2 * numerator + denominator) // (2 * denominator))
    return (2 * numerator + denominator) // (2 * denominator)


def _decimal_quotient(numerator: Decimal | int, denominator: Decimal | int, unit: Decimal, scale: int) -> Decimal:
    scaled = EXACT.multiply(Decimal(numerator), scale)
    result = EXACT.divide(scaled, Decimal(denominator)).quantize(unit, rounding=ROUND_HALF_UP, context=EXACT)
    return result.copy_abs() if result.is_zero() else result


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    if type(part) is int and type(whole) is int:
        # `quotient(part, whole, TENTH, 100)` for two counts (most of the page's 250 shares and rates), without its
        # dispatch on the operands' and the unit's types.
        return Decimal(round_half_up(part * 1000, whole)).scaleb(-1, EXACT)
    return quotient(part, whole, TENTH, 100)


# The normal quantile of a two-sided 95 % interval, to the two decimals every textbook and spreadsheet uses.
WILSON_Z = Decimal("1.96")


def wilson_interval(successes: int, trials: int) -> tuple[Decimal, Decimal] | None:
    """The 95 % Wilson score interval of a win rate, in percent, each end rounded half up to 0.1 (None without
    trials): the ends of the exact interval, correctly rounded, in whole numbers (no float).

    centre = (p + z²/2n) / (1 + z²/n), half width = z / (1 + z²/n) * sqrt(p(1 - p)/n + z²/4n²). With z = 49/25,
    s successes of n, an end in tenths of a percent is 500 * (1250s + 2401 ∓ 49 * sqrt(E / n)) / (625n + 2401),
    E = 2401n + 2500s(n - s). The square root is bracketed between two integers over 10**15 (`isqrt`, exact), and
    an end rounds the same at both sides of the bracket unless it lies within about 1e-13 of a half tenth; then, and
    for an exact end on a half tenth, the 60-digit decimal computation of before decides (`test_honest.py` compares
    the two for any count: the same text).
    """
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        return _wilson_interval_decimal(successes, trials)
    n, s = trials, successes
    under = 625 * n + 2401
    spread = 2401 * n + 2500 * s * (n - s)
    root = isqrt(spread * _WILSON_SCALE_SQUARED // n)  # floor(10**15 * sqrt(E / n)), exactly
    # An end rounded half up is floor(end + 1/2) = floor((1000 * (1250s + 2401) + under ∓ 49000 * root') /
    # (2 * under)), root' = 10**15 * sqrt(E / n).
    top = (1000 * (1250 * s + 2401) + under) * _WILSON_SCALE
    bottom = 2 * under * _WILSON_SCALE
    if root * root * n == spread * _WILSON_SCALE_SQUARED:
        # The root is exact (no won or no lost deal, or a square): so are the ends. One exactly on a half tenth
        # goes the way the decimals took it.
        low, low_rest = divmod(top - 49000 * root, bottom)
        high, high_rest = divmod(top + 49000 * root, bottom)
        if not low_rest or not high_rest:
            return _wilson_interval_decimal(successes, trials)
    else:
        # root' lies strictly between root and root + 1: an end that rounds the same at both is decided.
        low, high = (top - 49000 * root) // bottom, (top + 49000 * root) // bottom
        if low != (top - 49000 * (root + 1)) // bottom or high != (top + 49000 * (root + 1)) // bottom:
            return _wilson_interval_decimal(successes, trials)
    return Decimal(max(0, low)).scaleb(-1), Decimal(min(1000, high)).scaleb(-1)


_WILSON_SCALE = 10**15
_WILSON_SCALE_SQUARED = _WILSON_SCALE * _WILSON_SCALE


def _wilson_interval_decimal(successes: int, trials: int) -> tuple[Decimal, Decimal]:
    """`wilson_interval` in 60-digit decimals (the square root correctly rounded there), for the intervals whose
    end the whole numbers leave undecided."""
    n, z2 = Decimal(trials), EXACT.multiply(WILSON_Z, WILSON_Z)
    p = EXACT.divide(Decimal(successes), n)
    spread = EXACT.add(
        EXACT.divide(EXACT.multiply(p, EXACT.subtract(Decimal(1), p)), n),
        EXACT.divide(z2, EXACT.multiply(Decimal(4), EXACT.multiply(n, n))),
    )
    scale = EXACT.add(Decimal(1), EXACT.divide(z2, n))
    centre = EXACT.divide(EXACT.add(p, EXACT.divide(z2, EXACT.multiply(Decimal(2), n))), scale)
    half = EXACT.multiply(EXACT.divide(WILSON_Z, scale), EXACT.sqrt(spread))
    low = max(Decimal(0), EXACT.subtract(centre, half))
    high = min(Decimal(1), EXACT.add(centre, half))
    return (
        EXACT.multiply(low, 100).quantize(TENTH, rounding=ROUND_HALF_UP, context=EXACT),
        EXACT.multiply(high, 100).quantize(TENTH, rounding=ROUND_HALF_UP, context=EXACT),
    )


def average(total: Decimal | int, count: int, unit: Decimal) -> Decimal | None:
    return quotient(total, count, unit) if count else None


def average_cents(cents: int, count: int) -> Decimal | None:
    """`average` of a value given in whole cents, to the cent."""
    return quotient(cents, 100 * count, CENT) if count else None


def median_days(counts: Mapping[int, int]) -> Decimal | None:
    """The median of whole numbers of days given as {days: how many}: with the n values sorted, the middle one when
    n is odd, else the mean of the two middle ones (the lower middle, n/2-th, and the upper middle, n/2 + 1-th), so
    a whole or half number of days, exact (no rounding needed at 0.1 day). None when there is no value."""
    total = sum(counts.values())
    if total <= 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2  # 0-based positions of the two middles (equal when odd)
    lower = upper = None
    seen = 0
    for days in sorted(counts):
        seen += counts[days]
        if lower is None and seen > lower_rank:
            lower = days
        if seen > upper_rank:
            upper = days
            break
    assert lower is not None  # noqa: S101 — the ranks are below the total
    assert upper is not None  # noqa: S101
    return (Decimal(lower + upper) / 2).quantize(TENTH)


# One group's days to close ready for `median_days_of`: its distinct numbers of days ascending, and how many values
# are at most each of them (cumulative counts).
SortedDays = tuple[list[int], list[int]]


def sorted_days(counts: Mapping[int, int]) -> SortedDays:
    # A count of zero is no value: it never holds a rank (its cumulative count equals the one before it).
    days = sorted(counts)
    return days, list(accumulate(map(counts.__getitem__, days)))


def median_days_of(parts: Sequence[SortedDays]) -> Decimal | None:
    """`median_days` of the union of several groups' counts (a channel's sources, all of them), without merging
    them: the value at a rank is the smallest number of days that at least rank + 1 values do not exceed, found by
    bisecting the days while counting in each group's cumulative counts. Exactly `median_days` of the merged counts
    (a hypothesis test compares them)."""
    parts = [part for part in parts if part[0]]
    total = sum(cumulative[-1] for _, cumulative in parts)
    if total <= 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    if len(parts) == 1:
        days, cumulative = parts[0]
        lower = days[bisect_right(cumulative, lower_rank)]
        upper = days[bisect_right(cumulative, upper_rank)]
    else:
        lower = _day_at(parts, lower_rank)
        upper = lower if upper_rank == lower_rank else _day_at(parts, upper_rank)
    return (Decimal(lower + upper) / 2).quantize(TENTH)


def _day_at(parts: Sequence[SortedDays], rank: int) -> int:
    """The smallest number of days d with more than `rank` values at most d, over all parts."""
    low, high = min(days[0] for days, _ in parts), max(days[-1] for days, _ in parts)
    while low < high:
        middle = (low + high) // 2
        at_most = 0
        for days, cumulative in parts:
            index = bisect_right(days, middle)
            if index:
                at_most += cumulative[index - 1]
        if at_most > rank:
            high = middle
        else:
            low = middle + 1
    return low


def change(current: Decimal | int, previous: Decimal | int) -> Change:
    delta = Decimal(current) - Decimal(previous)
    return Change(delta=delta, percent=quotient(delta, previous, TENTH, 100) if previous else None)


class MoneyGroup:
    """Deals of one group: their count, those of them converted, the converted value and per currency without a rate
    [count, value], all in whole numbers (cents): sums and merges are integer additions, and a `Decimal` is made
    only when a figure is read (`value`, `unconverted_list`)."""

    __slots__ = ("apart", "cents", "converted_count", "count")

    def __init__(
        self, count: int = 0, converted_count: int = 0, cents: int = 0, apart: dict[str, list[int]] | None = None
    ) -> None:
        self.count = count
        self.converted_count = converted_count
        self.cents = cents
        self.apart: dict[str, list[int]] = {} if apart is None else apart

    def __repr__(self) -> str:
        return f"MoneyGroup(count={self.count}, converted_count={self.converted_count}, cents={self.cents})"

    @property
    def value(self) -> Decimal:
        return cents_value(self.cents)

    def add(self, *, currency: str, count: int, total: Decimal, rates: Mapping[str, Decimal]) -> None:
        """Add a (source, status, currency) group of `total` (whole cents) in `currency`: converted at its rate and
        rounded half up to the cent once, or kept apart without a rate."""
        rate = rates.get(currency)
        ratio = None if rate is None else rate.as_integer_ratio()
        self.add_cents(currency=currency, count=count, cents=whole_cents(total), ratio=ratio)

    def add_cents(self, *, currency: str, count: int, cents: int, ratio: tuple[int, int] | None) -> None:
        """`add` for a sum in cents and the rate as an exact fraction (`cent_ratios`; None: no rate)."""
        self.count += count
        if ratio is None:
            self._add_apart(currency, count, cents)
        else:
            self.converted_count += count
            self.cents += convert_cents(cents, ratio)

    def merge(self, other: MoneyGroup) -> None:
        self.count += other.count
        self.converted_count += other.converted_count
        self.cents += other.cents
        for currency, (count, cents) in other.apart.items():
            self._add_apart(currency, count, cents)

    def _add_apart(self, currency: str, count: int, cents: int) -> None:
        slot = self.apart.get(currency)
        if slot is None:
            self.apart[currency] = [count, cents]
        else:
            slot[0] += count
            slot[1] += cents

    def unconverted_list(self) -> list[Unconverted]:
        if not self.apart:  # most groups: every currency has a rate (a page asks about 120 groups)
            return []
        return [Unconverted(c, n, cents_value(v)) for c, (n, v) in sorted(self.apart.items())]


def cents_value(cents: int) -> Decimal:
    """Whole cents as the money `Decimal` (two places: 0.00, 12.30)."""
    return Decimal(cents).scaleb(-2, EXACT)


def cents_text(cents: int) -> str:
    """`str()` of `cents_value(cents)` (1234.50, -0.05) without making the Decimal: the trend chart's won values."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


def whole_cents(value: Decimal) -> int:
    """A money `Decimal` of whole cents as an integer (a fraction of a cent is a bug upstream: refused)."""
    scaled = value.scaleb(2, EXACT)
    cents = int(scaled)
    if cents != scaled:
        raise ValueError(f"not a whole number of cents: {value}")
    return cents


def cent_ratios(rates: Mapping[str, Decimal]) -> dict[str, tuple[int, int]]:
    """Each rate as an exact fraction, for `convert_cents`."""
    return {currency: rate.as_integer_ratio() for currency, rate in rates.items()}


def convert_cents(cents: int, ratio: tuple[int, int]) -> int:
    """`cents` at a rate given as a fraction, rounded half up (away from zero) to the cent: what converting the
    decimal value and rounding it with ROUND_HALF_UP gives, in whole numbers."""
    numerator, denominator = ratio
    if numerator == denominator:  # the base currency
        return cents
    scaled = abs(cents) * numerator
    rounded = (2 * scaled + denominator) // (2 * denominator)
    return -rounded if cents < 0 else rounded


# Every statistics request reads the rates: compiled once (core.compiled), not per request.
_RATES = CompiledRows(
    lambda account_id, base_currency: (
        ExchangeRate.objects.for_account(Account(pk=account_id))
        .filter(base_currency=base_currency)
        .values_list("currency", "rate")
    ),
    account_id=int,
    base_currency=str,
)


def exchange_rates_for(*, account: Account) -> dict[str, Decimal]:
    """Rates that convert into the account's current base currency (the base itself converts at 1)."""
    rates: dict[str, Decimal] = dict(_RATES(account_id=account.pk, base_currency=account.currency))
    rates[account.currency] = Decimal(1)
    return rates
