"""The tallies the triggers keep (stats/tally_sql.py) and how the selector splits a period between them and the records.

Every test of the suite that writes also ends with a check that the tallies equal tallies computed afresh from the
records (conftest.py); these tests aim at the cases that check would meet only by chance.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.core.models import Account
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.models import ALL_OWNERS, YEARLY, SourceTally, TallyKind
from headwater.stats.periods import PeriodSplit, split_period
from headwater.stats.selectors import source_stats
from headwater.stats.services import tallies_rebuild
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import AccountFactory, DealFactory, PersonFactory, SourceFactory, UserFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds
from headwater.workspace.services import account_update_settings

D = dt.date


def set_zone(account: Account, zone: str) -> None:
    """Change only the account's time zone, through the settings service (which rebuilds the tallies)."""
    account_update_settings(
        account=account,
        version=account.settings_version,
        name=account.name,
        currency=account.currency,
        language=account.language,
        time_zone=zone,
    )


@pytest.mark.parametrize(
    ("period", "months", "edges"),
    [
        # Whole months only: no record is read.
        (DateRange(D(2025, 1, 1), D(2025, 12, 31)), (D(2025, 1, 1), D(2025, 12, 1)), ()),
        (DateRange(D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 2, 1), D(2024, 2, 1)), ()),
        # Days on both sides.
        (
            DateRange(D(2025, 1, 15), D(2025, 4, 10)),
            (D(2025, 2, 1), D(2025, 3, 1)),
            (DateRange(D(2025, 1, 15), D(2025, 1, 31)), DateRange(D(2025, 4, 1), D(2025, 4, 10))),
        ),
        # Ends the day before a month's last day: that month is not whole.
        (
            DateRange(D(2025, 1, 1), D(2025, 2, 27)),
            (D(2025, 1, 1), D(2025, 1, 1)),
            (DateRange(D(2025, 2, 1), D(2025, 2, 27)),),
        ),
        # Inside one month, or across two without a whole one: all records.
        (DateRange(D(2025, 3, 2), D(2025, 3, 30)), None, (DateRange(D(2025, 3, 2), D(2025, 3, 30)),)),
        (DateRange(D(2025, 3, 2), D(2025, 4, 29)), None, (DateRange(D(2025, 3, 2), D(2025, 4, 29)),)),
        # The calendar's ends.
        (DateRange(D(1, 1, 1), D(1, 1, 30)), None, (DateRange(D(1, 1, 1), D(1, 1, 30)),)),
        (DateRange(D(9999, 12, 2), D.max), None, (DateRange(D(9999, 12, 2), D.max),)),
        (DateRange(D(9999, 11, 1), D.max), (D(9999, 11, 1), D(9999, 12, 1)), ()),
        (DateRange(D(1, 1, 1), D(1, 2, 28)), (D(1, 1, 1), D(1, 2, 1)), ()),
    ],
)
def test_split_period(period, months, edges):
    assert split_period(period) == PeriodSplit(months=months, edges=edges)


def test_split_covers_every_day_once():
    start = D(2023, 12, 20)
    for offset in range(0, 80, 7):
        for length in range(0, 120, 11):
            period = DateRange(start + dt.timedelta(days=offset), start + dt.timedelta(days=offset + length))
            split = split_period(period)
            days = [day for edge in split.edges for day in _days(edge.start, edge.end)]
            if split.months is not None:
                first, last = split.months
                days += _days(first, (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1))
            assert sorted(days) == _days(period.start, period.end)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.django_db
def test_closed_deals_without_a_close_date_count_in_all_time_only(tenant):
    account = tenant.account
    DealFactory(account=account, status="won", closed_at=None, value=Decimal("10.00"), currency=account.currency)
    DealFactory(account=account, status="lost", closed_at=None, value=Decimal("5.00"), currency=account.currency)
    kinds = set(SourceTally.objects.for_account(account).filter(n__gt=0).values_list("kind", flat=True))
    assert kinds == {
        TallyKind.WON_UNDATED,
        TallyKind.LOST_UNDATED,
        TallyKind.WON_UNDATED_YEAR,
        TallyKind.LOST_UNDATED_YEAR,
    }
    everything = source_stats(account=account, filters=StatsFilters())
    assert (everything.closed_deals.total.won_count, everything.closed_deals.total.lost_count) == (1, 1)
    assert everything.closed_deals.total.won_value == Decimal("10.00")
    assert everything.closed_deals.total.average_days is None
    year_one = source_stats(account=account, filters=StatsFilters(period=DateRange(D(1, 1, 1), D(9999, 12, 31))))
    assert year_one.closed_deals.total.won_count == 0


@pytest.mark.django_db
def test_a_time_zone_change_moves_records_to_their_new_month_and_days(tenant):
    account = tenant.account
    set_zone(account, "UTC")
    # 23:30 UTC on 31 January is 00:30 on 1 February in Warsaw (UTC+1).
    moment = dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC)
    PersonFactory(account=account, created_at=moment)
    DealFactory(account=account, created_at=moment, status="won", closed_at=D(2025, 2, 10))
    january = StatsFilters(period=DateRange(D(2025, 1, 1), D(2025, 1, 31)))
    february = StatsFilters(period=DateRange(D(2025, 2, 1), D(2025, 2, 28)))
    assert source_stats(account=account, filters=january).contacts.total.persons == 1
    assert source_stats(account=account, filters=february).closed_deals.total.average_days == Decimal("10.0")

    set_zone(account, "Europe/Warsaw")
    assert tally_drift(account_ids=[account.pk]) == {}
    assert source_stats(account=account, filters=january).contacts.total.persons == 0
    feb = source_stats(account=account, filters=february)
    assert feb.contacts.total.persons == 1
    assert feb.closed_deals.total.average_days == Decimal("9.0")


@pytest.mark.django_db
def test_bulk_statements_keep_the_tallies_exact(tenant, other_tenant):
    """Writes that bypass the services: a queryset UPDATE of many rows at once, a bulk DELETE."""
    account = tenant.account
    web, fair = SourceFactory(account=account), SourceFactory(account=account)
    owner = tenant.member
    for i in range(30):
        DealFactory(account=account, source=web if i % 2 else None, value=Decimal(i), currency="PLN")
        PersonFactory(account=account, source=fair)
    DealFactory(account=other_tenant.account)
    deals = Deal.objects.for_account(account)
    deals.filter(source=web).update(source=fair, owner=owner)
    deals.filter(value__lt=10).update(status="won", closed_at=D(2025, 6, 1))
    deals.filter(value__gte=25).update(value=Decimal("1234.56"), currency="EUR")
    persons = Person.objects.for_account(account)
    persons.filter(pk__in=list(persons.values_list("pk", flat=True)[:7])).delete()
    deals.filter(value=Decimal("1234.56")).delete()
    assert tally_drift() == {}
    everything = source_stats(account=account, filters=StatsFilters())
    assert everything.open_deals.total.count + everything.closed_deals.total.won_count == 25
    assert everything.contacts.total.persons == 23
    mine = source_stats(account=account, filters=StatsFilters(owner_id=owner.pk))
    assert mine.open_deals.total.count + mine.closed_deals.total.won_count == 12


@pytest.mark.django_db
def test_unchanged_statistics_columns_write_no_tallies(tenant):
    deal = DealFactory(account=tenant.account)
    before = list(SourceTally.objects.for_account(tenant.account).order_by("pk").values_list("pk", "n"))
    Deal.objects.for_account(tenant.account).filter(pk=deal.pk).update(name="Renamed", notes="x")
    assert list(SourceTally.objects.for_account(tenant.account).order_by("pk").values_list("pk", "n")) == before


@pytest.mark.django_db
def test_all_owners_row_is_the_sum_of_the_owners(tenant):
    account = tenant.account
    for owner in (tenant.admin, tenant.member, None, None):
        DealFactory(account=account, owner=owner)
    tallies = SourceTally.objects.for_account(account).filter(kind=TallyKind.OPEN)
    assert tallies.get(owner_key=ALL_OWNERS).n == 4
    assert sorted(tallies.exclude(owner_key=ALL_OWNERS).values_list("owner_key", "n")) == sorted(
        [(tenant.admin.pk, 1), (tenant.member.pk, 1), (0, 2)]
    )


@pytest.mark.django_db
def test_rebuild_writes_what_the_triggers_wrote(tenant, other_tenant):
    for account in (tenant.account, other_tenant.account):
        DealFactory(account=account, status="lost", closed_at=D(2025, 5, 5))
        PersonFactory(account=account)
    before = sorted(SourceTally.unscoped.filter(n__gt=0).values_list("account", "owner_key", "kind", "n", "cents"))
    SourceTally.unscoped.filter(account=tenant.account).update(n=99)
    tallies_rebuild(account_ids=[tenant.account.pk])
    after = sorted(SourceTally.unscoped.filter(n__gt=0).values_list("account", "owner_key", "kind", "n", "cents"))
    assert after == before


@pytest.mark.django_db
def test_management_command_checks_and_rebuilds(tenant, capsys):
    DealFactory(account=tenant.account)
    call_command("stats_tallies", "--check")
    SourceTally.objects.for_account(tenant.account).update(n=5)
    with pytest.raises(CommandError, match="differ"):
        call_command("stats_tallies", "--check")
    call_command("stats_tallies", "--rebuild")
    call_command("stats_tallies", "--check")
    assert "exact" in capsys.readouterr().out


@pytest.mark.django_db
def test_triggers_exist_for_every_record_table():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'stats_tally_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_tally_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        f"stats_tally_{table}_{op}"
        for table in ("companies_company", "persons_person", "deals_deal")
        for op in ("insert", "update", "delete")
    }


# --- PostgreSQL: writers at the same moment ---------------------------------------------------------------


class TestConcurrentWriters:
    pytestmark = POSTGRES_RACE

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_concurrent_creates_updates_and_deletes_lose_no_count(self, attempt):
        account = AccountFactory(time_zone="Europe/Warsaw")
        owner = UserFactory()
        source = SourceFactory(account=account)
        existing = [DealFactory(account=account, source=source) for _ in range(4)]

        def create() -> None:
            DealFactory(account=account, source=source, owner=owner, value=Decimal("3.50"))

        def close(deal: Deal) -> None:
            Deal.objects.for_account(account).filter(pk=deal.pk).update(status="won", closed_at=D(2026, 1, 2))

        def delete(deal: Deal) -> None:
            Deal.objects.for_account(account).filter(pk=deal.pk).delete()

        results = race(
            create,
            create,
            lambda: close(existing[0]),
            lambda: close(existing[1]),
            lambda: delete(existing[2]),
            lambda: set_zone(account, "Asia/Tokyo"),
        )
        assert not [r for r in results if isinstance(r, Exception)]
        assert tally_drift(account_ids=[account.pk]) == {}
        assert source_stats(account=account, filters=StatsFilters()).open_deals.total.count == 3


def test_unknown_option_is_refused():
    with pytest.raises(CommandError):
        call_command("stats_tallies")


@pytest.mark.django_db
def test_all_time_reads_the_years_and_they_equal_the_months(tenant):
    account, source = tenant.account, SourceFactory(account=tenant.account)
    for year in (2023, 2024, 2025):
        moment = dt.datetime(year, 12, 31, 23, 30, tzinfo=dt.UTC)  # already the next year in Warsaw
        PersonFactory(account=account, created_at=moment, source=source)
        DealFactory(
            account=account,
            owner=tenant.admin,
            created_at=moment,
            status="won",
            closed_at=D(year, 6, 1),
            value=Decimal("7.00"),
        )
    DealFactory(account=account, owner=None, status="lost", closed_at=None, value=Decimal("3.00"))
    years = SourceTally.objects.for_account(account).filter(owner_key=ALL_OWNERS, kind=TallyKind.PERSON_YEAR)
    assert sorted((t.bucket, t.n) for t in years) == [(D(2024, 1, 1), 1), (D(2025, 1, 1), 1), (D(2026, 1, 1), 1)]
    with CaptureQueriesContext(connection) as captured:
        everything = source_stats(account=account, filters=StatsFilters())
    tally_reads = [q["sql"] for q in captured.captured_queries if "stats_sourcetally" in q["sql"]]
    assert len(tally_reads) == 1
    assert "21, 22, 23, 24, 25, 26, 27" in tally_reads[0]
    assert everything.contacts.total.persons == 3
    assert (everything.closed_deals.total.won_count, everything.closed_deals.total.lost_count) == (3, 1)
    assert everything.closed_deals.total.won_value == Decimal("21.00")
    # One owner's all time has no years: it reads that owner's months, and agrees.
    owned = source_stats(account=account, filters=StatsFilters(owner_id=tenant.admin.pk))
    assert (owned.closed_deals.total.won_count, owned.closed_deals.total.lost_count) == (3, 0)


@pytest.mark.django_db
def test_the_year_migration_sums_existing_months_into_years(tenant):
    account = tenant.account
    for year in (2024, 2025):
        DealFactory(account=account, created_at=dt.datetime(year, 3, 1, tzinfo=dt.UTC), value=Decimal("2.50"))
        DealFactory(account=account, status="won", closed_at=D(year, 5, 5), value=Decimal("4.00"))
    DealFactory(account=account, status="won", closed_at=None)
    PersonFactory(account=account)
    # As before the migration: no years (deleting tallies fires no trigger).
    SourceTally.unscoped.filter(kind__gt=YEARLY).delete()
    assert tally_drift(account_ids=[account.pk])
    migration = importlib.import_module("headwater.stats.migrations.0003_yearly_tallies")
    migration.install(None, SimpleNamespace(connection=connection))
    assert tally_drift(account_ids=[account.pk]) == {}
