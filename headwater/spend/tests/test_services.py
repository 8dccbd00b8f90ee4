"""The spend services: the period rules, and what a source's delete or merge and a campaign's delete do to spend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from headwater.campaigns.services import campaign_delete
from headwater.core.errors import ValidationFailed
from headwater.sources.services import source_delete, source_merge
from headwater.spend.models import SpendEntry
from headwater.spend.periods import month_range, overlap_days, spread
from headwater.spend.selectors import spend_in_period
from headwater.spend.services import spend_create, spend_update
from headwater.testing.factories import CampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_month_is_its_days_and_february_is_leap_aware():
    assert month_range(dt.date(2028, 2, 14)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert overlap_days(dt.date(2026, 1, 25), dt.date(2026, 2, 5), dt.date(2026, 2, 1), None) == 5
    assert overlap_days(dt.date(2026, 1, 25), dt.date(2026, 2, 5), dt.date(2026, 3, 1), None) == 0
    # 310 over 31 days: 10 a day, 5 of them in the period.
    assert spread(Decimal("310.00"), dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 1, 27), None) == 50
    # A third: kept to 60 digits, rounded by the caller once.
    third = spread(Decimal("1.00"), dt.date(2026, 1, 1), dt.date(2026, 1, 3), None, dt.date(2026, 1, 1))
    assert third == Decimal("0." + "3" * 60)


def test_spend_in_period_spreads_each_entry_by_days(tenant):
    source = SourceFactory(account=tenant.account)
    campaign = CampaignFactory(source=source)
    spend_create(account=tenant.account, user=None, source=source, month=dt.date(2026, 1, 1), amount="310")
    spend_create(
        account=tenant.account,
        user=None,
        source=source,
        campaign=campaign,
        start_date=dt.date(2026, 1, 30),
        end_date=dt.date(2026, 2, 2),
        amount="40",
        currency="EUR",
    )
    got = spend_in_period(account=tenant.account, first=dt.date(2026, 1, 31), last=dt.date(2026, 2, 28))
    assert got == {(source.pk, None, "PLN"): (1, Decimal(10)), (source.pk, campaign.pk, "EUR"): (1, Decimal(30))}
    assert spend_in_period(account=tenant.account, first=dt.date(2026, 3, 1), last=None) == {}


def test_update_keeps_the_campaign_only_while_it_is_the_sources(tenant):
    source, other = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
    campaign = CampaignFactory(source=source)
    entry = spend_create(
        account=tenant.account, user=None, source=source, campaign=campaign, month=dt.date(2026, 1, 1), amount=1
    )
    with pytest.raises(ValidationFailed) as refused:
        spend_update(account=tenant.account, user=None, entry=entry, version=1, source=other)
    assert "campaign" in refused.value.fields
    moved = spend_update(account=tenant.account, user=None, entry=entry, version=1, source=other, campaign=None)
    assert (moved.source_id, moved.campaign_id, moved.version) == (other.pk, None, 2)


def test_a_source_with_spend_is_not_deleted_and_a_merge_moves_its_spend(tenant):
    source, into = SourceFactory(account=tenant.account), SourceFactory(account=tenant.account)
    entry = spend_create(account=tenant.account, user=None, source=source, month=dt.date(2026, 1, 1), amount=1)
    with pytest.raises(ValidationFailed) as refused:
        source_delete(account=tenant.account, user=None, source=source, mode="only_if_unused")
    assert "spend entries" in refused.value.message
    source_merge(account=tenant.account, user=None, source=source, into=into)
    entry.refresh_from_db()
    assert (entry.source_id, entry.version) == (into.pk, 2)


def test_deleting_a_campaign_keeps_its_spend_on_the_source(tenant):
    source = SourceFactory(account=tenant.account)
    campaign = CampaignFactory(source=source)
    entry = spend_create(
        account=tenant.account, user=None, source=source, campaign=campaign, month=dt.date(2026, 1, 1), amount=1
    )
    campaign_delete(account=tenant.account, user=None, campaign=campaign)
    entry.refresh_from_db()
    assert (entry.source_id, entry.campaign_id) == (source.pk, None)
    assert SpendEntry.objects.for_account(tenant.account).count() == 1
