"""The statistics selector against an independent plain-Python computation over the rows (hypothesis).

The reference below deliberately works another way than the selector: it looks at one row at a time, finds the
row's local day by converting `created_at` into the account's zone (the selector compares with aware bounds in SQL),
and rounds with integer arithmetic instead of Decimal contexts.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from headwater.channels.models import Channel
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.spend.models import SpendEntry
from headwater.stats.figures import figures_for
from headwater.stats.filters import DateRange, Period, StatsFilters, preset_range
from headwater.stats.models import CloseDaysLevel, ExchangeRate
from headwater.stats.periods import local_day as local_day_sql
from headwater.stats.periods import offset_segments
from headwater.stats.results import ClosedRow, SourceInfo, SourceStats
from headwater.stats.selectors import source_stats
from headwater.stats.sorting import parse_sort, sort_rows
from headwater.testing.factories import (
    AccountFactory,
    CompanyFactory,
    DealFactory,
    PersonFactory,
    SourceFactory,
    UserFactory,
)

LONG = bool(os.environ.get("HEADWATER_LONG"))
BASE_DAY = dt.date(2025, 3, 28)  # Europe and America change clocks around here, so local midnights move.
ZONES = ["Europe/Warsaw", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]
TIMES = [dt.time(0, 0), dt.time(0, 30), dt.time(12, 0), dt.time(23, 30), dt.time(23, 59, 59)]
CURRENCIES = ["PLN", "EUR", "USD", "GBP"]


# --- Plain-Python reference ---------------------------------------------------------------------------


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers, in pure integer arithmetic."""
    return (2 * numerator + denominator) // (2 * denominator)


def signed_round_half_up(numerator: int, denominator: int) -> int:
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    return sign * round_half_up(abs(numerator), abs(denominator))


def tenths(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal: numerator * 100 / denominator."""
    if denominator == 0:
        return None
    return Decimal(signed_round_half_up(numerator * 1000, denominator)) / 10


def cents(value: Decimal) -> int:
    return int(value * 100)


def convert_cents(amount_cents: int, rate: Decimal) -> int:
    """amount (in cents) times rate, rounded half up to a cent, with the rate as an exact integer fraction."""
    numerator, denominator = rate.as_integer_ratio()
    return round_half_up(amount_cents * numerator, denominator)


def money(value_cents: int) -> Decimal:
    return Decimal(value_cents) / 100


@dataclass
class Rows:
    companies: list[Company]
    persons: list[Person]
    deals: list[Deal]


def local_day(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def reference(
    *, rows: Rows, zone: str, rates: dict[str, Decimal], period: DateRange | None, owner: Any
) -> dict[str, Any]:
    """`owner`: None for anyone, "none" for records without an owner, else a user id."""

    def in_period(day: dt.date | None) -> bool:
        return period is None or (day is not None and period.start <= day <= period.end)

    def owned(row: Any) -> bool:
        if owner == "none":
            return row.owner_id is None
        return owner is None or row.owner_id == owner

    companies: dict[Any, int] = defaultdict(int)
    persons: dict[Any, int] = defaultdict(int)
    for company in rows.companies:
        if owned(company) and in_period(local_day(company.created_at, zone)):
            companies[company.source_id] += 1
    for person in rows.persons:
        if owned(person) and in_period(local_day(person.created_at, zone)):
            persons[person.source_id] += 1

    # (source, status) -> currency -> [count, cents]
    groups: dict[tuple[Any, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    days: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    every_days: dict[Any, list[int]] = defaultdict(list)  # each closed deal's own days to close, for the median
    for deal in rows.deals:
        if not owned(deal):
            continue
        if deal.status == "open":
            if not in_period(local_day(deal.created_at, zone)):
                continue
        elif not in_period(deal.closed_at):
            continue
        slot = groups[(deal.source_id, deal.status)][deal.currency]
        slot[0] += 1
        slot[1] += cents(deal.value)
        if deal.closed_at is not None:
            days[deal.source_id][0] += (deal.closed_at - local_day(deal.created_at, zone)).days
            days[deal.source_id][1] += 1
            every_days[deal.source_id].append((deal.closed_at - local_day(deal.created_at, zone)).days)

    def money_of(source_id: Any, status: str) -> tuple[int, int, int, dict[str, tuple[int, int]]]:
        """count, converted cents, converted count, {currency: (count, cents)} without a rate."""
        count = value = converted = 0
        missing: dict[str, tuple[int, int]] = {}
        for currency, (n, amount) in groups.get((source_id, status), {}).items():
            count += n
            if currency in rates:
                value += convert_cents(amount, rates[currency])
                converted += n
            else:
                missing[currency] = (n, amount)
        return count, value, converted, missing

    source_ids = set(companies) | set(persons) | {key[0] for key in groups}
    result: dict[str, Any] = {
        "sources": source_ids,
        "contacts": {},
        "open": {},
        "closed": {},
        "close_days": dict(every_days),
    }
    for source_id in source_ids | {None}:
        result["contacts"][source_id] = (companies.get(source_id, 0), persons.get(source_id, 0))
        result["open"][source_id] = money_of(source_id, "open")
        result["closed"][source_id] = (
            money_of(source_id, "won"),
            money_of(source_id, "lost"),
            tuple(days.get(source_id, (0, 0))),
        )
    return result


def plain_median(days: list[int]) -> Decimal | None:
    """The median the docs define, computed the plain way: Python's own `statistics.median` (the middle value, or
    the mean of the two middle ones), exact for whole days (a float holds any half exactly)."""
    return None if not days else Decimal(str(statistics.median(days))).quantize(Decimal("0.1"))


def check_against_reference(  # noqa: PLR0912 — one long, linear list of checks reads best
    stats: SourceStats, ref: dict[str, Any], *, catalogue: list[Source], used: set[Any] | None = None
) -> None:
    by_id = {s.pk: s for s in catalogue}
    used = ref["sources"] if used is None else used
    expected_ids = [s.pk for s in catalogue if not s.archived or s.pk in used] + [None]
    for section in (stats.contacts, stats.open_deals, stats.closed_deals):
        assert [row.source.id for row in section.rows] == expected_ids
        for row in section.rows:
            if row.source.id is not None:
                assert row.source.name == by_id[row.source.id].name
                assert row.source.archived == by_id[row.source.id].archived

    # Contacts: counts and shares.
    total_companies = sum(c for c, _ in ref["contacts"].values())
    total_persons = sum(p for _, p in ref["contacts"].values())
    for row in stats.contacts.rows:
        companies, persons = ref["contacts"].get(row.source.id, (0, 0))
        assert (row.companies, row.persons) == (companies, persons)
        assert row.companies_share == tenths(companies, total_companies)
        assert row.persons_share == tenths(persons, total_persons)
    assert (stats.contacts.total.companies, stats.contacts.total.persons) == (total_companies, total_persons)
    for attr, total in (("companies_share", total_companies), ("persons_share", total_persons)):
        shares = [getattr(r, attr) for r in stats.contacts.rows]
        if total:
            # Shares add up to 100 % within rounding: each is off by at most half a tenth.
            assert abs(sum(shares) - 100) <= Decimal("0.05") * len(shares)
        else:
            assert all(s is None for s in shares)

    # Open deals.
    open_total = [0, 0, 0]
    open_missing: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in stats.open_deals.rows:
        count, value, converted, missing = ref["open"].get(row.source.id, (0, 0, 0, {}))
        open_total[0] += count
        open_total[1] += value
        open_total[2] += converted
        assert row.count == count
        assert row.value == money(value)
        assert [(u.currency, u.count, cents(u.value)) for u in row.unconverted] == [
            (c, n, a) for c, (n, a) in sorted(missing.items())
        ]
        for c, (n, a) in missing.items():
            open_missing[c][0] += n
            open_missing[c][1] += a
        expected_average = money(round_half_up(value, converted)) if converted else None
        assert row.average == expected_average
    total = stats.open_deals.total
    assert (total.count, total.value) == (open_total[0], money(open_total[1]))
    for row in [*stats.open_deals.rows, total]:
        assert row.count_share == tenths(row.count, open_total[0])
        assert row.value_share == tenths(cents(row.value), open_total[1])

    # Closed deals.
    won_sum, lost_sum, days_sum = [0, 0, 0], [0, 0, 0], [0, 0]
    for row in stats.closed_deals.rows:
        won, lost, days = ref["closed"].get(row.source.id, ((0, 0, 0, {}), (0, 0, 0, {}), (0, 0)))
        assert (row.won_count, row.won_value) == (won[0], money(won[1]))
        assert (row.lost_count, row.lost_value) == (lost[0], money(lost[1]))
        assert [(u.currency, u.count, cents(u.value)) for u in row.won_unconverted] == [
            (c, n, a) for c, (n, a) in sorted(won[3].items())
        ]
        assert [(u.currency, u.count, cents(u.value)) for u in row.lost_unconverted] == [
            (c, n, a) for c, (n, a) in sorted(lost[3].items())
        ]
        assert row.win_rate == tenths(won[0], won[0] + lost[0])
        assert row.average_won == (money(round_half_up(won[1], won[2])) if won[2] else None)
        expected_days = (Decimal(signed_round_half_up(days[0] * 10, days[1])) / 10) if days[1] else None
        assert row.average_days == expected_days
        assert row.median_days == plain_median(ref["close_days"].get(row.source.id, []))
        assert row.still_open == ref["open"].get(row.source.id, (0, 0, 0, {}))[0]
        for i in range(3):
            won_sum[i] += won[i]
            lost_sum[i] += lost[i]
        days_sum[0] += days[0]
        days_sum[1] += days[1]
    total_closed = stats.closed_deals.total
    assert (total_closed.won_count, total_closed.won_value) == (won_sum[0], money(won_sum[1]))
    assert (total_closed.lost_count, total_closed.lost_value) == (lost_sum[0], money(lost_sum[1]))
    assert total_closed.win_rate == tenths(won_sum[0], won_sum[0] + lost_sum[0])
    shown = {row.source.id for row in stats.closed_deals.rows}
    every = [d for source_id, listed in ref["close_days"].items() if source_id in shown for d in listed]
    assert total_closed.median_days == plain_median(every)
    assert total_closed.still_open == sum(row.still_open for row in stats.closed_deals.rows)

    # The highest won value and the best win rate among real sources.
    real = [r for r in stats.closed_deals.rows if r.source.id is not None]
    with_won = [r for r in real if r.won_value > 0]
    if with_won:
        # Ties: more closed deals, then the admin's order (the rows' order).
        top = max(with_won, key=lambda r: (r.won_value, r.won_count + r.lost_count, -real.index(r)))
        assert stats.top_won_value is top
    else:
        assert stats.top_won_value is None
    closed_any = [r for r in real if r.won_count + r.lost_count >= stats.win_rate_minimum]
    assert stats.win_rate_qualified == len(closed_any)
    if closed_any:
        assert stats.best_win_rate is not None
        best = max(closed_any, key=lambda r: r.won_count / (r.won_count + r.lost_count))
        b = stats.best_win_rate
        # Compare exact fractions by cross-multiplication (no floats).
        assert b.won_count * (best.won_count + best.lost_count) == best.won_count * (b.won_count + b.lost_count)
    else:
        assert stats.best_win_rate is None

    # Nothing whose currency lacks a rate is dropped: the warning sums every section per currency.
    missing_all: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for currency, (n, a) in open_missing.items():
        missing_all[currency][0] += n
        missing_all[currency][1] += a
    for won, lost, _ in ref["closed"].values():
        for part in (won[3], lost[3]):
            for currency, (n, a) in part.items():
                missing_all[currency][0] += n
                missing_all[currency][1] += a
    assert [(u.currency, u.count, cents(u.value)) for u in stats.missing_rates] == [
        (c, n, a) for c, (n, a) in sorted(missing_all.items())
    ]


def check_changes(stats: SourceStats, previous: SourceStats) -> None:
    """Every change is current minus previous, per source, with the percent of the previous value."""
    sections = (
        (stats.contacts, previous.contacts, ("companies", "persons")),
        (stats.open_deals, previous.open_deals, ("count", "value")),
        (stats.closed_deals, previous.closed_deals, ("won_count", "won_value", "lost_count", "lost_value")),
    )
    for now, before, names in sections:
        old_rows = {r.source.id: r for r in before.rows}
        # A source missing from the previous period's own rows is an archived one without figures there.
        pairs = [(r, old_rows.get(r.source.id) or type(r)(source=r.source)) for r in now.rows]
        for row, old in [*pairs, (now.total, before.total)]:
            for name in names:
                change = row.changes[name]
                current, prior = getattr(row, name), getattr(old, name)
                assert change.delta == current - prior
                if prior:
                    scale = 100 if isinstance(prior, Decimal) else 1
                    expected = tenths(int((current - prior) * scale), int(prior * scale))
                    assert change.percent == expected
                else:
                    assert change.percent is None
            if isinstance(row, ClosedRow):
                if row.win_rate is not None and old.win_rate is not None:
                    # Between the exact rates, not the rounded ones shown.
                    closed, closed_before = row.won_count + row.lost_count, old.won_count + old.lost_count
                    exact = tenths(row.won_count * closed_before - old.won_count * closed, closed * closed_before)
                    assert row.changes["win_rate"].delta == exact
                else:
                    assert "win_rate" not in row.changes


# --- Random data sets ---------------------------------------------------------------------------------

# Days from 17 February to 6 June 2025: records fall in whole months (read from the tallies) and in the days
# around them (read from the records), and around the clock changes of March.
moments = st.tuples(
    st.one_of(st.integers(min_value=0, max_value=5), st.integers(min_value=-40, max_value=70)), st.sampled_from(TIMES)
)
values = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("1000"), places=2),
    st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
)
rates_strategy = st.dictionaries(
    st.sampled_from(["EUR", "USD", "GBP"]),
    st.one_of(
        # Rates like 0.5 make half-cent results, where the rounding rule shows.
        st.sampled_from([Decimal("0.5"), Decimal("0.25"), Decimal("1.5"), Decimal("4.3215")]),
        st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("9999999.99999999"), places=8),
    ),
)
contact = st.tuples(st.integers(min_value=-1, max_value=3), st.integers(min_value=-1, max_value=1), moments)
deal = st.tuples(
    st.integers(min_value=-1, max_value=3),  # source index, -1 = none
    st.integers(min_value=-1, max_value=1),  # owner index, -1 = none
    st.sampled_from(["open", "won", "lost"]),
    st.sampled_from(CURRENCIES),
    values,
    moments,
    # Days to close; a few negative (a close date typed before the creation day) for the median's order.
    st.one_of(st.integers(min_value=-2, max_value=3), st.integers(min_value=0, max_value=40)),
)
MONTH_STARTS = [dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)]
MONTH_ENDS = [dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 31)]
period_strategy = st.one_of(
    st.none(),
    st.tuples(st.integers(min_value=-1, max_value=6), st.integers(min_value=0, max_value=4)).map(
        lambda t: DateRange(BASE_DAY + dt.timedelta(days=t[0]), BASE_DAY + dt.timedelta(days=t[0] + t[1]))
    ),
    st.tuples(st.integers(min_value=-45, max_value=75), st.integers(min_value=0, max_value=90)).map(
        lambda t: DateRange(BASE_DAY + dt.timedelta(days=t[0]), BASE_DAY + dt.timedelta(days=t[0] + t[1]))
    ),
    # Whole months, and whole months with a few days more or less at either end.
    st.tuples(
        st.sampled_from(MONTH_STARTS),
        st.integers(min_value=-2, max_value=2),
        st.sampled_from(MONTH_ENDS),
        st.integers(min_value=-2, max_value=2),
    )
    .map(lambda t: (t[0] + dt.timedelta(days=t[1]), t[2] + dt.timedelta(days=t[3])))
    .filter(lambda t: t[0] <= t[1])
    .map(lambda t: DateRange(*t)),
)


def aware(moment: tuple[int, dt.time], zone: str) -> dt.datetime:
    """A (day offset, local time) pair as an aware UTC datetime."""
    day_offset, at = moment
    local = dt.datetime.combine(BASE_DAY + dt.timedelta(days=day_offset), at, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


@pytest.fixture
def owners(db: Any) -> list[Any]:
    return [UserFactory(email="owner-a@stats.test"), UserFactory(email="owner-b@stats.test")]


@pytest.mark.django_db
@settings(
    max_examples=400 if LONG else 60,
    deadline=None,
    # The explain phase re-runs a failure hundreds of times against the database; the shrunk example is enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    zone=st.sampled_from(ZONES),
    archived=st.lists(st.booleans(), max_size=4),
    channel_picks=st.lists(st.integers(min_value=-1, max_value=2), min_size=4, max_size=4),
    rates=rates_strategy,
    companies=st.lists(contact, max_size=8),
    persons=st.lists(contact, max_size=8),
    deals=st.lists(deal, max_size=25),
    period=period_strategy,
    owner_index=st.integers(min_value=-2, max_value=1),  # -2 anyone, -1 unassigned
    compare=st.booleans(),
    minimum=st.integers(min_value=1, max_value=3),
)
def test_source_stats_match_a_plain_python_computation(  # noqa: PLR0917 — hypothesis passes them by name
    owners, zone, archived, channel_picks, rates, companies, persons, deals, period, owner_index, compare, minimum
):
    # A new account per example: earlier examples' rows stay in the database but belong to other tenants,
    # so this also checks that nothing leaks across accounts.
    account = AccountFactory(time_zone=zone, currency="PLN", sources_enabled=True, stats_min_closed=minimum)
    other = AccountFactory(time_zone=zone, currency="PLN")
    DealFactory(account=other, value=Decimal("5"), status="won", closed_at=BASE_DAY)
    channels = [
        Channel.unscoped.create(account=account, name=f"K{i}", name_key=f"k{i}", position=3 - i) for i in range(3)
    ]
    catalogue = [
        SourceFactory(
            account=account,
            archived=a,
            position=i,
            channel=channels[channel_picks[i]] if channel_picks[i] >= 0 else None,
        )
        for i, a in enumerate(archived)
    ]
    for currency, rate in rates.items():
        ExchangeRate.unscoped.create(account=account, currency=currency, base_currency="PLN", rate=rate)
    # A rate against another base currency must not be used.
    ExchangeRate.unscoped.create(account=account, currency="CHF", base_currency="EUR", rate=Decimal("1"))

    def source_of(index):
        return catalogue[index] if 0 <= index < len(catalogue) else None

    def owner_of(index: int) -> Any:
        return owners[index] if index >= 0 else None

    rows = Rows(
        companies=Company.unscoped.bulk_create(
            Company(
                account=account,
                name=f"C{i}",
                source=source_of(s),
                owner=owner_of(o),
                created_at=aware(m, zone),
            )
            for i, (s, o, m) in enumerate(companies)
        ),
        persons=Person.unscoped.bulk_create(
            Person(
                account=account,
                last_name=f"P{i}",
                source=source_of(s),
                owner=owner_of(o),
                created_at=aware(m, zone),
            )
            for i, (s, o, m) in enumerate(persons)
        ),
        deals=Deal.unscoped.bulk_create(
            Deal(
                account=account,
                name=f"D{i}",
                source=source_of(s),
                owner=owner_of(o),
                status=status,
                currency=currency,
                value=value,
                created_at=aware(m, zone),
                closed_at=None if status == "open" else BASE_DAY + dt.timedelta(days=m[0] + close_after),
            )
            for i, (s, o, status, currency, value, m, close_after) in enumerate(deals)
        ),
    )
    owner_id = owners[owner_index].pk if owner_index >= 0 else None
    owner = "none" if owner_index == -1 else owner_id
    filters = StatsFilters(period=period, owner_id=owner_id, unowned=owner_index == -1, compare=compare)
    stats = source_stats(account=account, filters=filters)

    effective_rates = {**rates, "PLN": Decimal(1)}
    ref = reference(rows=rows, zone=zone, rates=effective_rates, period=period, owner=owner)

    if compare and period is not None:
        previous_period = period.previous()
        assert stats.previous_period == previous_period
        previous = source_stats(
            account=account,
            filters=StatsFilters(period=previous_period, owner_id=owner_id, unowned=filters.unowned),
        )
        prev_ref = reference(rows=rows, zone=zone, rates=effective_rates, period=previous_period, owner=owner)
        # Archived sources with figures in either period are listed in both.
        check_against_reference(stats, ref, catalogue=catalogue, used=ref["sources"] | prev_ref["sources"])
        check_against_reference(previous, prev_ref, catalogue=catalogue)
        check_changes(stats, previous)
        check_channels(stats, ref)
        check_channel_changes(stats, previous)
    else:
        check_against_reference(stats, ref, catalogue=catalogue)
        check_channels(stats, ref)
        assert stats.previous_period is None
        assert all(not r.changes for r in stats.contacts.rows)


def check_channels(stats: SourceStats, ref: dict[str, Any]) -> None:
    """Each channel's row is the plain sum of its sources' rows (counts and cent values), with its shares, win rate
    and averages computed from those exact sums and rounded once, half up, like a source's own; every real source
    shown is in exactly one group, in the channels' order, "No channel" last; no groups without any channel."""
    for section in (stats.contacts, stats.open_deals, stats.closed_deals):
        real = [row for row in section.rows if row.source.id is not None]
        if not any(row.source.channel_id is not None for row in real):
            assert section.channels == []
            continue
        grouped = [row for group in section.channels for row in group.rows]
        assert sorted(id(r) for r in grouped) == sorted(id(r) for r in real)
        keys = [group.row.source.channel_id for group in section.channels]
        assert None not in keys[:-1]
        for group in section.channels:
            assert all(row.source.channel_id == group.row.source.channel_id for row in group.rows)
    for group in stats.contacts.channels:
        companies = sum(r.companies for r in group.rows)
        persons = sum(r.persons for r in group.rows)
        assert (group.row.companies, group.row.persons) == (companies, persons)
        assert group.row.companies_share == tenths(companies, stats.contacts.total.companies)
        assert group.row.persons_share == tenths(persons, stats.contacts.total.persons)
    for group in stats.open_deals.channels:
        count = sum(r.count for r in group.rows)
        value = sum(cents(r.value) for r in group.rows)
        converted = sum(ref["open"].get(r.source.id, (0, 0, 0, {}))[2] for r in group.rows)
        assert (group.row.count, group.row.value) == (count, money(value))
        assert group.row.count_share == tenths(count, stats.open_deals.total.count)
        assert group.row.value_share == tenths(value, cents(stats.open_deals.total.value))
        assert group.row.average == (money(round_half_up(value, converted)) if converted else None)
    for group in stats.closed_deals.channels:
        won = sum(r.won_count for r in group.rows)
        lost = sum(r.lost_count for r in group.rows)
        won_value = sum(cents(r.won_value) for r in group.rows)
        assert (group.row.won_count, group.row.lost_count) == (won, lost)
        assert group.row.won_value == money(won_value)
        assert group.row.lost_value == money(sum(cents(r.lost_value) for r in group.rows))
        assert group.row.win_rate == tenths(won, won + lost)
        empty: tuple[Any, Any, Any] = ((0, 0, 0, {}), (0, 0, 0, {}), (0, 0))
        converted = sum(ref["closed"].get(r.source.id, empty)[0][2] for r in group.rows)
        assert group.row.average_won == (money(round_half_up(won_value, converted)) if converted else None)
        days = [sum(ref["closed"].get(r.source.id, empty)[2][i] for r in group.rows) for i in range(2)]
        expected_days = (Decimal(signed_round_half_up(days[0] * 10, days[1])) / 10) if days[1] else None
        assert group.row.average_days == expected_days
        members = [d for r in group.rows for d in ref["close_days"].get(r.source.id, [])]
        assert group.row.median_days == plain_median(members)
        assert group.row.still_open == sum(r.still_open for r in group.rows)


def check_channel_changes(stats: SourceStats, previous: SourceStats) -> None:
    """A channel's change is its figure minus the same channel's figure in the previous period."""
    before = {g.row.source.channel_id: g.row for g in previous.closed_deals.channels}
    for group in stats.closed_deals.channels:
        old = before.get(group.row.source.channel_id)
        if old is not None:
            assert group.row.changes["won_count"].delta == group.row.won_count - old.won_count
            assert group.row.changes["won_value"].delta == group.row.won_value - old.won_value


# --- Focused cases -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Europe/Warsaw", "America/New_York", "Asia/Tokyo"])
def test_the_accounts_time_zone_decides_the_day(zone):
    """A record made at 23:30 local time on the last day belongs to the period; one at 00:00 the next day does not."""
    account = AccountFactory(time_zone=zone, sources_enabled=True)
    day = dt.date(2025, 10, 26)  # Europe leaves summer time this night
    period = DateRange(dt.date(2025, 10, 20), day)
    inside = dt.datetime.combine(day, dt.time(23, 30), tzinfo=ZoneInfo(zone))
    first = dt.datetime.combine(period.start, dt.time(0, 0), tzinfo=ZoneInfo(zone))
    outside = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=ZoneInfo(zone))
    before = first - dt.timedelta(seconds=1)
    for moment in (inside, first, outside, before):
        CompanyFactory(account=account, created_at=moment)
        DealFactory(account=account, created_at=moment, value=Decimal("1.00"))
    stats = source_stats(account=account, filters=StatsFilters(period=period))
    assert stats.contacts.total.companies == 2
    assert stats.open_deals.total.count == 2
    assert stats.open_deals.total.value == Decimal("2.00")


@pytest.mark.django_db
def test_days_to_close_count_from_the_local_creation_day():
    account = AccountFactory(time_zone="Asia/Tokyo", sources_enabled=True)
    # 20:00 UTC on 1 March is already 2 March in Tokyo: closing on 5 March took 3 days, not 4.
    DealFactory(
        account=account,
        status="won",
        created_at=dt.datetime(2025, 3, 1, 20, 0, tzinfo=dt.UTC),
        closed_at=dt.date(2025, 3, 5),
    )
    stats = source_stats(account=account, filters=StatsFilters())
    assert stats.closed_deals.total.average_days == Decimal("3.0")


@pytest.mark.django_db
def test_large_sums_stay_exact(tenant):
    """Sums beyond a float's 15-16 digits keep every cent (SQLite sums integer cents)."""
    account = tenant.account
    for value in ("999999999999.99", "999999999999.99", "0.01", "0.01", "0.01"):
        DealFactory(account=account, value=Decimal(value))
    stats = source_stats(account=account, filters=StatsFilters())
    assert stats.open_deals.total.value == Decimal("1999999999999.98") + Decimal("0.03")


@pytest.mark.django_db
def test_missing_rate_is_counted_and_shown_apart(tenant):
    account = tenant.account
    source = SourceFactory(account=account)
    DealFactory(account=account, source=source, value=Decimal("100.00"))
    DealFactory(account=account, source=source, value=Decimal("30.00"), currency="USD")
    DealFactory(account=account, source=source, value=Decimal("10.00"), currency="EUR")
    ExchangeRate.unscoped.create(account=account, currency="EUR", base_currency="PLN", rate=Decimal("4.25"))
    row = source_stats(account=account, filters=StatsFilters()).open_deals.rows[0]
    assert row.count == 3
    assert row.value == Decimal("142.50")
    assert [(u.currency, u.count, u.value) for u in row.unconverted] == [("USD", 1, Decimal("30.00"))]
    assert row.average == Decimal("71.25")  # over the two deals whose value is known


@pytest.mark.django_db
def test_rates_for_an_old_base_currency_are_not_used(tenant):
    account = tenant.account
    DealFactory(account=account, value=Decimal("10.00"), currency="EUR")
    ExchangeRate.unscoped.create(account=account, currency="EUR", base_currency="USD", rate=Decimal("1.1"))
    stats = source_stats(account=account, filters=StatsFilters())
    assert stats.open_deals.total.value == Decimal("0.00")
    assert [(u.currency, u.value) for u in stats.missing_rates] == [("EUR", Decimal("10.00"))]


@pytest.mark.django_db
def test_no_source_row_is_always_there_and_archived_sources_only_with_figures(tenant):
    account = tenant.account
    active = SourceFactory(account=account, name="Web")
    SourceFactory(account=account, name="Fair", archived=True)
    used_archive = SourceFactory(account=account, name="Radio", archived=True)
    DealFactory(account=account, source=used_archive)
    stats = source_stats(account=account, filters=StatsFilters())
    assert [r.source.id for r in stats.open_deals.rows] == [active.pk, used_archive.pk, None]
    assert stats.open_deals.rows[1].source.archived


@pytest.mark.django_db
def test_other_accounts_are_invisible(tenant, other_tenant):
    SourceFactory(account=other_tenant.account)
    CompanyFactory(account=other_tenant.account)
    DealFactory(account=other_tenant.account, status="won", closed_at=BASE_DAY)
    stats = source_stats(account=tenant.account, filters=StatsFilters())
    assert [r.source.id for r in stats.contacts.rows] == [None]
    assert stats.contacts.total.companies == 0
    assert stats.closed_deals.total.won_count == 0


@pytest.mark.django_db
def test_owner_filter(tenant):
    account = tenant.account
    DealFactory(account=account, owner=tenant.member)
    DealFactory(account=account, owner=tenant.admin)
    CompanyFactory(account=account, owner=tenant.member)
    stats = source_stats(account=account, filters=StatsFilters(owner_id=tenant.member.pk))
    assert stats.open_deals.total.count == 1
    assert stats.contacts.total.companies == 1


# Queries: exchange rates and the catalogue; per period one read of the tallies, and for the period shown one of the
# days-to-close counts (the median's; the previous period's medians are not shown, so not read); for all owners, per
# period one read of the spend ledger (stats/returns.py), one read of the campaign tallies for both periods (the
# previous period's campaign rows come in the same query) and one of the campaign names (stats/campaign_stats.py);
# and with an owner filter, when some period has days outside whole months, the deals' span (once) and four
# aggregates of the records per such period (a fifth for the period shown: closed deals per number of days to close).
MID_MONTHS = DateRange(dt.date(2024, 3, 15), dt.date(2025, 6, 20))
WHOLE_MONTHS = DateRange(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "compare", "owner", "expected"),
    [
        (None, False, False, 7),
        (None, False, True, 4),
        (WHOLE_MONTHS, False, False, 7),
        (WHOLE_MONTHS, False, True, 4),
        (MID_MONTHS, False, False, 7),
        (MID_MONTHS, True, False, 9),
        # The previous period of WHOLE_MONTHS (2009-01-02 to 2019-12-31) starts mid-month.
        (WHOLE_MONTHS, True, True, 10),
        (MID_MONTHS, False, True, 10),
        (MID_MONTHS, True, True, 15),
    ],
)
def test_query_count_does_not_depend_on_the_number_of_sources(  # noqa: PLR0917 — parametrised
    tenant, django_assert_num_queries, period, compare, owner, expected
):
    account = tenant.account
    filters = StatsFilters(period=period, compare=compare, owner_id=tenant.member.pk if owner else None)
    counts = []
    for n in (1, 12):
        for _ in range(n):
            source = SourceFactory(account=account)
            CompanyFactory(account=account, source=source)
            PersonFactory(account=account, source=source)
            DealFactory(account=account, source=source, owner=tenant.member)
            DealFactory(account=account, source=source, status="won", closed_at=dt.date(2025, 1, 1))
            DealFactory(account=account, source=source, status="lost", closed_at=dt.date(2025, 1, 1), currency="EUR")
            SpendEntry.objects.create(
                account=account,
                source=source,
                start_date=dt.date(2024, 12, 20),
                end_date=dt.date(2025, 1, 10),
                amount=Decimal("100.00"),
                currency="PLN",
            )
        with django_assert_num_queries(expected):
            stats = source_stats(account=account, filters=filters)
        counts.append(len(stats.open_deals.rows))
    assert counts == [2, 14]


def test_presets_end_today_and_ranges_compare_with_the_same_length_before():
    """Every preset's window and comparison: test_periods.py. Here the same-length rule of rolling periods."""
    today = dt.date(2025, 5, 15)
    assert preset_range(Period.THIS_MONTH, today) == DateRange(dt.date(2025, 5, 1), today)
    assert preset_range(Period.LAST_30, today).days == 30
    assert preset_range(Period.LAST_90, today).days == 90
    assert preset_range(Period.THIS_QUARTER, today) == DateRange(dt.date(2025, 4, 1), today)
    assert preset_range(Period.THIS_YEAR, today) == DateRange(dt.date(2025, 1, 1), today)
    assert preset_range(Period.ALL, today) is None
    month = preset_range(Period.THIS_MONTH, today)
    assert month.previous() == DateRange(dt.date(2025, 4, 16), dt.date(2025, 4, 30))
    assert DateRange(dt.date(1, 1, 1), dt.date(1, 1, 5)).previous() is None


def test_sorting_keeps_empty_values_and_no_source_last():
    rows = [
        ClosedRow(source=SourceInfo(id=1, name="b"), win_rate=Decimal("10.0")),
        ClosedRow(source=SourceInfo(id=2, name="A"), win_rate=None),
        ClosedRow(source=SourceInfo(id=None), win_rate=Decimal("50.0")),
        ClosedRow(source=SourceInfo(id=3, name="c"), win_rate=Decimal("90.0")),
    ]
    by_rate = sort_rows(rows, parse_sort("closed", "-win_rate"))
    assert [r.source.id for r in by_rate] == [3, None, 1, 2]
    by_name = sort_rows(rows, parse_sort("closed", "source"))
    assert [r.source.id for r in by_name] == [2, 1, 3, None]
    by_name_desc = sort_rows(rows, parse_sort("closed", "-source"))
    assert [r.source.id for r in by_name_desc] == [3, 1, 2, None]
    assert parse_sort("closed", "-password") is None
    assert sort_rows(rows, None) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Europe/Warsaw", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago"])
def test_local_days_are_exact_across_clock_changes(zone):
    """Days to close use fixed offsets between the zone's clock changes; every instant must land on its local day."""
    account = AccountFactory(time_zone=zone, sources_enabled=True)
    closed = dt.date(2026, 6, 1)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    # Every 5 h 11 min for two years: passes every clock change at a different time of day.
    moments = [start + dt.timedelta(minutes=311 * i) for i in range(3400)]
    Deal.unscoped.bulk_create(
        Deal(
            account=account,
            name=f"D{i}",
            status="won",
            currency="PLN",
            value=Decimal(1),
            created_at=m,
            closed_at=closed,
        )
        for i, m in enumerate(moments)
    )
    # Row by row: the SQL expression gives every instant's local day.
    bounds = (start - dt.timedelta(days=1), moments[-1] + dt.timedelta(days=1))
    rows = (
        Deal.objects.for_account(account)
        .annotate(day=local_day_sql("created_at", zone, *bounds))
        .values_list("created_at", "day")
    )
    wrong = [
        (m, day)
        for m, day in rows
        if local_day(m, zone) != (day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
    ]
    assert wrong == []
    expected_days = sum((closed - local_day(m, zone)).days for m in moments)
    stats = source_stats(account=account, filters=StatsFilters())
    expected = Decimal(signed_round_half_up(expected_days * 10, len(moments))) / 10
    assert stats.closed_deals.total.average_days == expected
    # The segments agree with zoneinfo at every instant, and each boundary is the exact second of a change.
    segments = offset_segments(zone, start - dt.timedelta(days=1), moments[-1] + dt.timedelta(days=1))
    assert len(segments) >= 2 or zone == "Asia/Kathmandu"
    for moment in moments:
        offset = next(off for until, off in segments if until is None or moment < until)
        assert offset == moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()
    for until, offset in segments[:-1]:
        assert until is not None
        before = (until - dt.timedelta(seconds=1)).astimezone(ZoneInfo(zone)).utcoffset().total_seconds()
        assert before == offset
        assert until.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() != offset


@pytest.mark.django_db
@pytest.mark.parametrize(
    "period",
    [
        DateRange(dt.date(2025, 3, 4), dt.date(2025, 4, 30)),  # most of March, then April: March less 1-3 March
        DateRange(dt.date(2025, 2, 1), dt.date(2025, 3, 27)),  # February, then March less 28-31 March
        DateRange(dt.date(2025, 3, 2), dt.date(2025, 3, 29)),  # within March: March less its first and last days
        DateRange(dt.date(2025, 3, 17), dt.date(2025, 4, 14)),  # half months: their own days
    ],
)
def test_days_to_close_of_most_of_a_month_are_its_month_less_its_other_days(tenant, period):
    """Days outside whole months but most of a month are read as the month's tallies less its other days': the
    median counts exactly the deals closed in the period, none of the month's others (each day of March has
    deals with their own number of days, so a day counted wrongly moves the median)."""
    account = tenant.account
    source = SourceFactory(account=account)
    created = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    closed = [dt.date(2025, 2, 27), *(dt.date(2025, 3, day) for day in range(1, 32)), dt.date(2025, 4, 2)]
    for day in closed:
        for _ in range(1 + day.day % 3):
            DealFactory(account=account, source=source, status="won", created_at=created, closed_at=day)
    stats = source_stats(account=account, filters=StatsFilters(period=period))
    days = [
        (day - created.date()).days
        for day in closed
        for _ in range(1 + day.day % 3)
        if period.start <= day <= period.end
    ]
    (row,) = [row for row in stats.closed_deals.rows if row.source.id == source.pk]
    assert row.median_days == plain_median(days)
    assert row.won_count == len(days)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "level"),
    [
        (DateRange(dt.date(2025, 6, 1), dt.date(2025, 10, 31)), CloseDaysLevel.QUARTER),  # June, Q3, October
        (DateRange(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), CloseDaysLevel.YEAR),
        (DateRange(dt.date(2023, 12, 1), dt.date(2025, 2, 28)), CloseDaysLevel.YEAR),  # December, 2024, Jan-Feb
        (DateRange(dt.date(2025, 7, 17), dt.date(2025, 10, 14)), CloseDaysLevel.HALF_MONTH),  # halves less a day
        (DateRange(dt.date(2025, 7, 17), dt.date(2025, 8, 14)), CloseDaysLevel.HALF_MONTH),  # no whole month
        (DateRange(dt.date(2025, 9, 3), dt.date(2025, 9, 13)), CloseDaysLevel.HALF_MONTH),  # a half less both ends
        (DateRange(dt.date(2025, 8, 16), dt.date(2025, 8, 31)), CloseDaysLevel.HALF_MONTH),  # a whole half
        (DateRange(dt.date(2025, 6, 20), dt.date(2025, 6, 23)), CloseDaysLevel.DAY),  # a few days: their own
    ],
)
def test_days_to_close_read_by_half_month_quarter_and_year_count_exactly_the_periods_deals(tenant, period, level):
    """A period's close days read from the coarser tallies (half months less their other days, whole quarters and
    years) are exactly the counts of the deals closed in it, per source and number of days; and that level is read.
    Each close day has its own number of days, so a day, half or month counted wrongly shows in the counts."""
    account = tenant.account
    sources = [SourceFactory(account=account), SourceFactory(account=account)]
    created = dt.datetime(2023, 6, 1, 12, 0, tzinfo=dt.UTC)
    closed = [dt.date(2025, 6, 10) + dt.timedelta(days=i) for i in range(133)]  # 10 June to 20 October 2025
    closed += [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 5, 15), dt.date(2024, 12, 31)]
    closed += [dt.date(2025, 1, 1), dt.date(2025, 2, 28), dt.date(2025, 3, 1)]
    expected: dict[int | None, dict[int, int]] = {}
    for day in closed:
        source = sources[day.toordinal() % 2]
        for _ in range(1 + day.day % 3):
            DealFactory(account=account, source=source, status="won", created_at=created, closed_at=day)
        if period.start <= day <= period.end:
            slot = expected.setdefault(source.pk, {})
            slot[(day - created.date()).days] = slot.get((day - created.date()).days, 0) + 1 + day.day % 3

    def no_records() -> Any:
        raise AssertionError("all owners' close days come from the tallies")

    with CaptureQueriesContext(connection) as queries:
        figures = figures_for(
            account=account, period=period, filters=StatsFilters(period=period), rates={}, created_day=no_records
        )
    assert figures.close_days == expected
    (read,) = [query["sql"] for query in queries.captured_queries if "stats_closedaystally" in query["sql"]]
    assert f"level = {int(level)}" in read


@pytest.mark.django_db
def test_an_archived_source_with_deals_only_on_a_months_other_days_stays_hidden(tenant):
    """Most of March is read as March less its other days: a source whose deals are all on those days sums to
    nothing, so an archived one stays out of the page as when the days were read one by one."""
    account = tenant.account
    archived = SourceFactory(account=account, archived=True)
    shown = SourceFactory(account=account)
    created = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    for day in (1, 2, 3):
        DealFactory(account=account, source=archived, status="won", created_at=created, closed_at=dt.date(2025, 3, day))
        DealFactory(
            account=account, source=archived, status="open", created_at=dt.datetime(2025, 3, day, 12, 0, tzinfo=dt.UTC)
        )
    DealFactory(account=account, source=shown, status="lost", created_at=created, closed_at=dt.date(2025, 3, 20))
    stats = source_stats(
        account=account, filters=StatsFilters(period=DateRange(dt.date(2025, 3, 4), dt.date(2025, 4, 30)))
    )
    for section in (stats.contacts, stats.open_deals, stats.closed_deals):
        assert [row.source.id for row in section.rows] == [shown.pk, None]
    assert stats.closed_deals.total.lost_count == 1
    assert stats.open_deals.total.count == 0
