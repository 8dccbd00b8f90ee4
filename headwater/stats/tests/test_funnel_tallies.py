"""The funnel's tallies (stats/funnel_sql.py): contacts with a deal, with a won deal, kept by triggers.

The after-each-test drift check (conftest.py) compares them with a fresh count from the records after every test;
these tests make the moves that matter (a contact's first deal, its last one going, a deal moving between contacts,
a contact's source or creation changing, a contact deleted) and check the counts read back too.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.persons.models import Person
from headwater.stats import funnel_sql
from headwater.stats.models import ALL_OWNERS, ContactDeals, SourceTally, TallyKind
from headwater.stats.services import tallies_rebuild
from headwater.stats.tally_drift import tally_drift
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory
from headwater.testing.races import POSTGRES_RACE, race, rounds

pytestmark = pytest.mark.django_db


def funnel(account, kind: int, *, owner_key: int = ALL_OWNERS) -> dict[int, int]:
    """{source_key: n} of one funnel kind, all months, non-zero only."""
    rows = SourceTally.objects.for_account(account).filter(kind=kind, owner_key=owner_key, n__gt=0)
    out: dict[int, int] = {}
    for source_key, n in rows.values_list("source_key", "n"):
        out[source_key] = out.get(source_key, 0) + n
    return out


def test_first_deal_counts_the_contact_once_and_the_last_one_going_removes_it(tenant):
    account = tenant.account
    web = SourceFactory(account=account)
    acme = CompanyFactory(account=account, source=web)
    anna = PersonFactory(account=account, source=web)
    assert funnel(account, TallyKind.DEAL_CONTACT) == {}
    first = DealFactory(account=account, company=acme, person=anna)
    second = DealFactory(account=account, company=acme)
    assert funnel(account, TallyKind.DEAL_CONTACT) == {web.pk: 2}
    assert funnel(account, TallyKind.WON_CONTACT) == {}
    Deal.objects.for_account(account).filter(pk=second.pk).update(status="won", closed_at=dt.date(2025, 1, 2))
    assert funnel(account, TallyKind.WON_CONTACT) == {web.pk: 1}
    second.delete()
    assert funnel(account, TallyKind.DEAL_CONTACT) == {web.pk: 2}
    assert funnel(account, TallyKind.WON_CONTACT) == {}
    first.delete()
    assert funnel(account, TallyKind.DEAL_CONTACT) == {}
    assert tally_drift() == {}


def test_relinking_a_deal_moves_the_contact_in_and_out(tenant):
    account = tenant.account
    a, b = SourceFactory(account=account), SourceFactory(account=account)
    one, two = CompanyFactory(account=account, source=a), CompanyFactory(account=account, source=b)
    deal = DealFactory(account=account, company=one, status="won", closed_at=dt.date(2025, 3, 3))
    assert funnel(account, TallyKind.WON_CONTACT) == {a.pk: 1}
    Deal.objects.for_account(account).filter(pk=deal.pk).update(company=two)
    assert funnel(account, TallyKind.DEAL_CONTACT) == {b.pk: 1}
    assert funnel(account, TallyKind.WON_CONTACT) == {b.pk: 1}
    Deal.objects.for_account(account).filter(pk=deal.pk).update(company=None, status="lost")
    assert funnel(account, TallyKind.DEAL_CONTACT) == {}
    assert tally_drift() == {}


def test_contact_source_owner_and_creation_changes_move_its_funnel_place(tenant):
    account = tenant.account
    a, b = SourceFactory(account=account), SourceFactory(account=account)
    anna = PersonFactory(account=account, source=a, owner=tenant.member)
    DealFactory(account=account, person=anna, status="won", closed_at=dt.date(2025, 3, 3))
    assert funnel(account, TallyKind.WON_CONTACT, owner_key=tenant.member.pk) == {a.pk: 1}
    Person.objects.for_account(account).filter(pk=anna.pk).update(source=b, owner=tenant.admin)
    assert funnel(account, TallyKind.WON_CONTACT) == {b.pk: 1}
    assert funnel(account, TallyKind.WON_CONTACT, owner_key=tenant.admin.pk) == {b.pk: 1}
    assert funnel(account, TallyKind.WON_CONTACT, owner_key=tenant.member.pk) == {}
    Person.objects.for_account(account).filter(pk=anna.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    assert tally_drift() == {}


def test_deleting_a_contact_removes_it_from_the_funnel(tenant):
    account = tenant.account
    web = SourceFactory(account=account)
    acme = CompanyFactory(account=account, source=web)
    anna = PersonFactory(account=account, source=web)
    DealFactory(account=account, company=acme, person=anna)
    acme.delete()  # the collector nulls the deal's company first
    assert funnel(account, TallyKind.DEAL_CONTACT) == {web.pk: 1}
    Person.objects.for_account(account).filter(pk=anna.pk).delete()
    assert funnel(account, TallyKind.DEAL_CONTACT) == {}
    assert not ContactDeals.objects.for_account(account).exists()
    assert tally_drift() == {}


def test_bulk_statements_and_other_tenants(tenant, other_tenant):
    account = tenant.account
    web, fair = SourceFactory(account=account), SourceFactory(account=account)
    companies = [CompanyFactory(account=account, source=web if i % 2 else fair) for i in range(12)]
    for i, company in enumerate(companies):
        DealFactory(account=account, company=company, value=Decimal(i))
        if i % 3 == 0:
            DealFactory(account=account, company=company, value=Decimal(i))
    DealFactory(account=other_tenant.account, company=CompanyFactory(account=other_tenant.account))
    deals = Deal.objects.for_account(account)
    deals.filter(value__lt=6).update(status="won", closed_at=dt.date(2025, 6, 1))
    Company.objects.for_account(account).filter(source=web).update(source=fair)
    deals.filter(value__gte=9).delete()
    assert tally_drift() == {}
    assert funnel(account, TallyKind.DEAL_CONTACT) == {fair.pk: 9}
    assert funnel(account, TallyKind.WON_CONTACT) == {fair.pk: 6}


def test_a_time_zone_month_boundary_and_the_rebuild(tenant):
    account = tenant.account
    account.time_zone = "Asia/Tokyo"
    account.save(update_fields=["time_zone"])
    # 31 January 20:00 UTC is 1 February in Tokyo.
    anna = PersonFactory(account=account, created_at=dt.datetime(2025, 1, 31, 20, tzinfo=dt.UTC))
    DealFactory(account=account, person=anna)
    month = SourceTally.objects.for_account(account).get(kind=TallyKind.DEAL_CONTACT, owner_key=ALL_OWNERS)
    assert month.bucket == dt.date(2025, 2, 1)
    before = sorted(SourceTally.objects.for_account(account).filter(n__gt=0).values_list("kind", "bucket", "n"))
    ContactDeals.objects.for_account(account).update(deals=7)
    SourceTally.objects.for_account(account).filter(kind__in=[8, 18, 28]).update(n=5)
    tallies_rebuild(account_ids=[account.pk])
    after = sorted(SourceTally.objects.for_account(account).filter(n__gt=0).values_list("kind", "bucket", "n"))
    assert after == before
    assert ContactDeals.objects.for_account(account).get().deals == 1


def test_funnel_triggers_exist():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'stats_funnel_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_funnel_%'")
        names = {row[0] for row in cursor.fetchall()}
    # Three on the deals, two on each contact table; on PostgreSQL also the deferred one applying them at commit.
    assert len(names - {funnel_sql.RECONCILE}) == 7
    assert (funnel_sql.RECONCILE in names) == (connection.vendor == "postgresql")


def _in_turn(first: Callable[[], None], second: Callable[[], None]) -> None:
    """`first` writes in its own transaction and stays open; `second` writes and commits in another; then `first`
    commits: each in its own thread and connection (PostgreSQL), the order fixed by events rather than by luck."""
    wrote, committed = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def run(body: Callable[[], None]) -> None:
        try:
            body()
        except BaseException as exc:  # the test reports whatever either side raised
            errors.append(exc)
        finally:
            wrote.set()
            committed.set()
            connection.close()

    def one() -> None:
        with transaction.atomic():
            first()
            wrote.set()
            assert committed.wait(timeout=10), "the second writer never committed: it waits for the first"

    def two() -> None:
        assert wrote.wait(timeout=10)
        with transaction.atomic():
            second()
        committed.set()

    threads = [threading.Thread(target=run, args=(body,)) for body in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    assert not errors, errors


class TestConcurrentWriters:
    pytestmark = POSTGRES_RACE

    @pytest.mark.parametrize("deal_first", [True, False])
    def test_a_first_deal_and_a_move_of_its_contact_in_either_order(self, deal_first):
        """The race the funnel's tallies lost before they were applied at commit (stats/funnel_sql.py): a contact's
        first deal written while another transaction moves the contact to another source, committed in either
        order; the crossing must land at the source the contact ends at."""
        from headwater.testing.factories import AccountFactory  # noqa: PLC0415

        account = AccountFactory(time_zone="Europe/Warsaw")
        old, new = SourceFactory(account=account), SourceFactory(account=account)
        acme = CompanyFactory(account=account, source=old)

        def deal() -> None:
            DealFactory(account=account, company=acme, source=None, status="won", closed_at=dt.date(2026, 1, 2))

        def move() -> None:
            Company.objects.for_account(account).filter(pk=acme.pk).update(source=new)

        _in_turn(deal, move) if deal_first else _in_turn(move, deal)
        assert funnel(account, TallyKind.DEAL_CONTACT) == {new.pk: 1}
        assert funnel(account, TallyKind.WON_CONTACT) == {new.pk: 1}
        assert tally_drift(account_ids=[account.pk]) == {}

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_concurrent_deals_on_one_contact_lose_no_crossing(self, attempt):
        from headwater.testing.factories import AccountFactory  # noqa: PLC0415

        account = AccountFactory(time_zone="Europe/Warsaw")
        source = SourceFactory(account=account)
        acme = CompanyFactory(account=account, source=source)
        existing = DealFactory(account=account, company=acme)

        def create() -> None:
            DealFactory(account=account, company=acme, status="won", closed_at=dt.date(2026, 1, 2))

        def delete() -> None:
            Deal.objects.for_account(account).filter(pk=existing.pk).delete()

        def move() -> None:
            Company.objects.for_account(account).filter(pk=acme.pk).update(source=None)

        results = race(create, create, delete, move)
        assert not [r for r in results if isinstance(r, Exception)]
        assert tally_drift(account_ids=[account.pk]) == {}

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_a_merge_against_deals_created_for_its_contacts_never_deadlocks(self, attempt, tenant):
        from headwater.deals.services import deal_create  # noqa: PLC0415
        from headwater.sources import services as source_services  # noqa: PLC0415

        account = tenant.account
        account.sources_enabled = True
        account.save()
        a, b, c = (SourceFactory(account=account) for _ in range(3))
        anna = PersonFactory(account=account, source=a)
        acme = CompanyFactory(account=account, source=a)
        DealFactory(account=account, source=a, person=anna)

        def merge() -> int:
            return source_services.source_merge(account=account, user=tenant.admin, source=a, into=b)

        def create(source: int | None, won: bool) -> None:
            deal_create(
                account=account,
                user=tenant.admin,
                name="Race",
                person=anna.pk,
                company=acme.pk,
                source=source,
                status="won" if won else "open",
            )

        results = race(merge, lambda: create(c.pk, True), lambda: create(None, False))
        assert not [r for r in results if isinstance(r, Exception)], [getattr(r, "fields", r) for r in results]
        assert tally_drift(account_ids=[account.pk]) == {}

    @pytest.mark.parametrize("attempt", range(rounds(20)))
    def test_a_merge_against_closing_a_deal_of_the_merged_source(self, attempt, tenant):
        from headwater.deals.services import deal_update  # noqa: PLC0415
        from headwater.sources import services as source_services  # noqa: PLC0415

        account = tenant.account
        account.sources_enabled = True
        account.save()
        a, b = SourceFactory(account=account), SourceFactory(account=account)
        acme = CompanyFactory(account=account, source=a)
        deal = DealFactory(account=account, source=a, company=acme)

        def merge() -> int:
            return source_services.source_merge(account=account, user=tenant.admin, source=a, into=b)

        def close() -> None:
            deal_update(account=account, user=tenant.admin, deal=deal, version=None, status="won")

        results = race(merge, close)
        assert tally_drift(account_ids=[account.pk]) == {}
        assert not [r for r in results if isinstance(r, Exception)], results
