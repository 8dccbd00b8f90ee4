"""The benchmark's code stays alive: a tiny data set through the generator, and the floor SQL agreeing with the
selector on every case (so `make bench` compares like with like). The benchmark itself is `make bench`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, models

from bench import dataset
from bench.floor import Case, run_floor
from headwater.campaigns.models import Campaign
from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.sources.models import Source
from headwater.spend.models import SpendEntry
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.money import exchange_rates_for
from headwater.stats.selectors import source_stats

pytestmark = pytest.mark.django_db

SCALE = 0.0002  # the big account gets 200 deals; 100 accounts in all


def test_plan_has_the_shape_of_the_issue():
    full = dataset.plan(1)
    assert len(full) == 100
    big, typical = full[0], full[1]
    assert (big.deals, big.persons, big.companies, len(big.sources), big.owners) == (
        1_000_000,
        1_000_000,
        200_000,
        15,
        20,
    )
    assert typical.deals == 25_000
    assert sum(p.deals for p in full[1:]) == 4_000_000


def test_generated_rows_are_deterministic():
    def first_rows():
        rng = dataset.random.Random(1)
        rows = dataset.deal_rows(account_id=1, count=50, owners=[1, 2], sources=[3, 4], companies=[5], rng=rng)
        return [row for _, row in rows]

    assert first_rows() == first_rows()


@pytest.fixture
def loaded():
    plans = dataset.plan(SCALE)
    data = dataset.create_small_tables(plans, SCALE)
    dataset.load_django(plans, data)
    return plans, data


def cases():
    return [
        Case("all time", "big"),
        Case("6 months", "big", dt.date(2026, 5, 1), dt.date(2026, 10, 31)),
        Case("owner + 1 year", "big", dt.date(2025, 11, 1), dt.date(2026, 10, 31), owner=True),
        Case("typical account", "typical"),
    ]


def test_the_floor_computes_what_the_selector_shows(loaded):
    plans, data = loaded
    assert data.counts["deals"] == sum(p.deals for p in plans)
    connection.ensure_connection()
    raw = connection.connection
    for case in cases():
        account = Account.objects.get(pk=data.accounts[case.account])
        owner_id = data.owners[case.account][0]
        rows = run_floor(
            raw,
            connection.vendor,
            account_id=account.pk,
            currency=account.currency,
            zone=account.time_zone,
            case=case,
            owner_id=owner_id,
        )
        period = DateRange(case.start, case.end) if case.start and case.end else None
        stats = source_stats(
            account=account, filters=StatsFilters(period=period, owner_id=owner_id if case.owner else None)
        )
        rates = exchange_rates_for(account=account)

        companies = {r.source.id: r.companies for r in stats.contacts.rows}
        assert dict(rows[1]) == {s: n for s, n in companies.items() if n}, case
        persons = {r.source.id: r.persons for r in stats.contacts.rows}
        assert dict(rows[2]) == {s: n for s, n in persons.items() if n}, case

        def money(total):
            return Decimal(total).scaleb(-2) if connection.vendor == "sqlite" else Decimal(total)

        open_value: dict = defaultdict(Decimal)
        open_count: dict = defaultdict(int)
        for source, currency, n, total in rows[3]:
            open_count[source] += n
            if currency in rates:
                open_value[source] += (money(total) * rates[currency]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for row in stats.open_deals.rows:
            assert (row.count, row.value) == (open_count[row.source.id], open_value[row.source.id]), case

        won: dict = defaultdict(int)
        lost: dict = defaultdict(int)
        days = [0, 0]
        for source, status, _currency, n, _total, day_sum, dated in rows[4]:
            (won if status == "won" else lost)[source] += n
            days[0] += day_sum or 0
            days[1] += dated
        for closed_row in stats.closed_deals.rows:
            assert (closed_row.won_count, closed_row.lost_count) == (
                won[closed_row.source.id],
                lost[closed_row.source.id],
            ), case
        if days[1]:
            average = (Decimal(days[0]) / days[1]).quantize(Decimal("0.1"), ROUND_HALF_UP)
            assert stats.closed_deals.total.average_days == average, case
        assert [r[0] for r in rows[5]] == data.sources[case.account], case


def test_the_data_set_has_channels_campaigns_and_spend(loaded):
    """Statistics' campaign, spend and channel figures have something to read, and the records' campaigns are of
    their own source (what records.services keeps)."""
    _plans, data = loaded
    typical = data.accounts["typical"]
    sources = Source.unscoped.filter(account_id=typical)
    assert sources.filter(channel__isnull=False).count() == len(dataset.SMALL_SOURCES) - 1  # "Cold call" has none
    paid = {s.pk for s in sources if s.name in dataset.PAID_SOURCES}
    campaigns = Campaign.unscoped.filter(account_id=typical)
    assert {c.source_id for c in campaigns} == paid
    assert all(2 <= campaigns.filter(source_id=pk).count() <= 6 for pk in paid)
    spend = SpendEntry.unscoped.filter(account_id=typical)
    assert {e.currency for e in spend} == {"PLN", "EUR", "USD", "GBP"}
    assert spend.filter(campaign__isnull=False).exists()
    assert spend.filter(campaign__isnull=True).exists()
    for model in (Deal, Person):
        tagged = model.unscoped.filter(account_id=data.accounts["big"], campaign__isnull=False)
        assert tagged.exists()
        assert not tagged.exclude(campaign__source_id=models.F("source_id")).exists()
