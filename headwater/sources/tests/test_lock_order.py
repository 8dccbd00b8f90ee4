"""The locking order of sources.services, checked lock by lock on PostgreSQL: sources first, then campaigns, then
records. The soak once met a deadlock: a merge locked its source, then the source's companies FOR UPDATE, while a
new deal held KEY SHARE on one of those companies and waited for the merged source.

Each test holds one lock in a connection of its own (as the other writer would), runs the service in a thread, and
looks from a third connection at which rows the service has locked while it waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from headwater.campaigns.models import Campaign
from headwater.companies.models import Company
from headwater.deals.models import Deal
from headwater.deals.services import deal_create, deal_update
from headwater.sources import services
from headwater.sources.models import Source
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, SourceFactory
from headwater.testing.races import POSTGRES_RACE

pytestmark = POSTGRES_RACE

WAIT = 0.5  # seconds the service is given to reach the lock it waits for


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@contextmanager
def holding(statement: str, params: list[Any]) -> Iterator[None]:
    """Run `statement` (a locking SELECT) in a transaction of another connection, held until the block ends."""
    ready, release, failed = threading.Event(), threading.Event(), []

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, params)
                ready.set()
                release.wait(timeout=30)
        except Exception as exc:  # reported by the test below
            failed.append(exc)
            ready.set()
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(timeout=10)
    assert not failed, failed
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start `call` in a thread with its own connection; the list receives its result or exception."""
    result: list[Any] = []

    def run() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '10s'")
                result.append(call())
        except Exception as exc:  # the test inspects it
            result.append(exc)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def lockable(model: Any, pk: int) -> bool:
    """Whether another connection could lock the row FOR UPDATE right now (nobody holds any lock on it)."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {_table(model)} WHERE id = %s FOR UPDATE NOWAIT", [pk])  # noqa: S608
                answer.append(True)
        except OperationalError:
            answer.append(False)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=10)
    return answer[0]


@pytest.fixture
def sources_on(tenant):
    tenant.account.sources_enabled = True
    tenant.account.save()
    return tenant


def test_a_merge_does_not_wait_for_a_writer_linking_a_deal_to_a_moved_company(sources_on):
    account = sources_on.account
    merged, into = SourceFactory(account=account, name="Merged"), SourceFactory(account=account, name="Into")
    company = CompanyFactory(account=account, source=merged)
    with holding(f"SELECT 1 FROM {_table(Company)} WHERE id = %s FOR KEY SHARE", [company.pk]):  # noqa: S608
        thread, result = in_thread(
            lambda: services.source_merge(account=account, user=sources_on.admin, source=merged, into=into)
        )
        thread.join(timeout=15)
        assert not thread.is_alive()
        assert result == [1], result  # FOR UPDATE on the company would have waited for the holder (lock_timeout)
    company.refresh_from_db()
    assert company.source_id == into.pk


def test_an_update_locks_the_new_source_before_its_record(sources_on):
    account = sources_on.account
    gone = SourceFactory(account=account, name="Being merged")
    deal = DealFactory(account=account)
    with holding(f"SELECT 1 FROM {_table(Source)} WHERE id = %s FOR UPDATE", [gone.pk]):  # noqa: S608
        thread, result = in_thread(
            lambda: deal_update(account=account, user=sources_on.admin, deal=deal, version=deal.version, source=gone)
        )
        thread.join(timeout=WAIT)
        assert thread.is_alive(), result  # waiting for the source...
        assert lockable(Deal, deal.pk)  # ...without holding its own row meanwhile
    thread.join(timeout=15)
    assert isinstance(result[0], Deal), result
    assert result[0].source_id == gone.pk


def test_a_new_deal_locks_its_campaigns_source_before_the_campaign(sources_on):
    account = sources_on.account
    source = SourceFactory(account=account, name="Fair")
    campaign = CampaignFactory(account=account, source=source, name="Expo")
    with holding(f"SELECT 1 FROM {_table(Source)} WHERE id = %s FOR UPDATE", [source.pk]):  # noqa: S608
        thread, result = in_thread(
            lambda: deal_create(account=account, user=sources_on.admin, name="Stand", campaign=campaign.pk)
        )
        thread.join(timeout=WAIT)
        assert thread.is_alive(), result
        assert lockable(Campaign, campaign.pk)  # a merge moving the campaign would not wait for this writer
    thread.join(timeout=15)
    assert isinstance(result[0], Deal), result
    assert (result[0].source_id, result[0].campaign_id) == (source.pk, campaign.pk)
