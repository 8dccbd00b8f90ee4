"""The record lists' totals from the tallies (stats/list_counts.py): always the records' own count, or None."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headwater.companies.models import Company
from headwater.companies.selectors import company_list
from headwater.deals.models import Deal
from headwater.deals.selectors import DealFilters, deal_list
from headwater.persons.models import Person
from headwater.persons.selectors import PersonFilters, person_list
from headwater.records.forms import local_midnight
from headwater.records.listing import RecordFilters
from headwater.stats.list_counts import tallied_list_count
from headwater.stats.tests.sample import at, build_sample
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory

pytestmark = pytest.mark.django_db

PERIODS = [
    None,
    (dt.date(2025, 4, 1), dt.date(2025, 5, 31)),  # whole months
    (dt.date(2025, 4, 5), dt.date(2025, 5, 20)),  # days around a whole month
    (dt.date(2025, 5, 2), dt.date(2025, 5, 10)),  # days only
    (dt.date(2025, 4, 1), None),  # from a day on
    (None, dt.date(2025, 4, 30)),  # up to a day
]


@pytest.fixture
def sample(tenant, other_tenant):
    account = tenant.account
    built = build_sample(account, owner=tenant.member, other_owner=tenant.admin)
    zone = account.time_zone
    # Records at the edges of days and months, without an owner, a closed deal without a close day.
    DealFactory(account=account, owner=None, source=built.website, created_at=at(dt.date(2025, 4, 30), zone, 23))
    DealFactory(account=account, owner=None, source=None, created_at=at(dt.date(2025, 5, 1), zone, 0))
    DealFactory(account=account, source=built.website, status="won", closed_at=None, owner=tenant.member)
    DealFactory(account=account, source=built.referral, status="lost", closed_at=dt.date(2025, 4, 5), owner=None)
    CompanyFactory(account=account, owner=None, source=built.website, created_at=at(dt.date(2025, 5, 20), zone, 23))
    PersonFactory(account=account, owner=None, source=None, created_at=at(dt.date(2025, 4, 5), zone, 0))
    # Another account's records in the same tallies table.
    other = build_sample(other_tenant.account, owner=other_tenant.member, other_owner=other_tenant.admin)
    DealFactory(account=other_tenant.account, source=other.website, owner=other_tenant.member)
    return built


def _owners(tenant):
    return [{}, {"owner": tenant.member.pk}, {"owner": tenant.admin.pk}, {"unowned": True}]


def _sources(sample):
    return [{}, {"source": sample.website.pk}, {"source": sample.fair.pk}, {"no_source": True}]


def _created(account, period):
    if period is None:
        return {}
    first, last = period
    return {
        "created_from": local_midnight(account, first),
        "created_before": local_midnight(account, last, next_day=True),
    }


def _closed(period):
    return {} if period is None else {"closed_from": period[0], "closed_to": period[1]}


def test_every_combination_is_the_records_count_or_none(tenant, sample):
    account = tenant.account
    checked = {"tallied": 0, "counted": 0}

    def check(model, filters, listed):
        found = tallied_list_count(model, account, filters)
        if found is not None:
            assert found == listed.count(), filters
        checked["tallied" if found is not None else "counted"] += 1
        return found

    for owner, source, period in itertools.product(_owners(tenant), _sources(sample), PERIODS):
        common = {**owner, **source, **_created(account, period)}
        check(Company, RecordFilters(**common), company_list(account=account, filters=RecordFilters(**common)))
        check(Person, PersonFilters(**common), person_list(account=account, filters=PersonFilters(**common)))
        for status in ("", "open", "won", "lost"):
            filters = DealFilters(**common, status=status)
            check(Deal, filters, deal_list(account=account, filters=filters))
        for status in ("", "open", "won", "lost"):
            filters = DealFilters(**owner, **source, **_closed(period), status=status)
            check(Deal, filters, deal_list(account=account, filters=filters))
    assert checked["tallied"] > 300
    assert checked["counted"] > 100


@pytest.mark.parametrize(
    ("filters", "tallied"),
    [
        ({}, True),
        ({"source": "website"}, True),
        ({"status": "open", "created": (dt.date(2025, 4, 5), dt.date(2025, 5, 20))}, True),
        ({"status": "won", "closed": (dt.date(2025, 4, 1), dt.date(2025, 5, 31)), "owner": True}, True),
        ({"status": "won", "closed": (dt.date(2025, 4, 2), dt.date(2025, 5, 31)), "owner": True}, False),
        ({"status": "won", "created": (dt.date(2025, 4, 1), dt.date(2025, 5, 31))}, False),
        ({"created": (dt.date(2025, 4, 1), dt.date(2025, 5, 31))}, False),
        ({"q": "deal"}, False),
        ({"company": True}, False),
    ],
)
def test_which_deal_lists_the_tallies_count(tenant, sample, filters, tallied):
    """The Statistics page's drill-down filters are tallied; a search, a contact, or a period the tallies do not
    key the status by is counted from the records."""
    account = tenant.account
    kwargs = {
        "q": filters.get("q", ""),
        "status": filters.get("status", ""),
        **({"source": sample.website.pk} if "source" in filters else {}),
        **({"owner": tenant.member.pk} if "owner" in filters else {}),
        **_created(account, filters.get("created")),
        **_closed(filters.get("closed")),
    }
    if "company" in filters:
        kwargs["company"] = CompanyFactory(account=account).pk
    deal_filters = DealFilters(**kwargs)
    found = tallied_list_count(Deal, account, deal_filters)
    assert (found is not None) is tallied
    if found is not None:
        assert found == deal_list(account=account, filters=deal_filters).count()


def test_the_list_page_shows_the_tallied_total_beyond_the_count_limit(tenant, sample, member_client, settings):
    settings.LIST_COUNT_LIMIT = 2
    settings.LIST_PAGE_SIZE = 2
    expected = Deal.objects.for_account(tenant.account).filter(source=sample.website).count()
    assert expected > settings.LIST_COUNT_LIMIT
    with CaptureQueriesContext(connection) as queries:
        html = member_client.get(tenant.url("deals/"), {"source": sample.website.pk}).content.decode()
    assert f"1\u20132 of {expected}" in html
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"] and "deals_deal" in q["sql"]]
    # A search is not tallied: the bounded count, which stops at the limit.
    html = member_client.get(tenant.url("deals/"), {"source": sample.website.pk, "q": "deal"}).content.decode()
    assert "1\u20132 of more than 2" in html


def test_the_totals_follow_writes(tenant, sample, member_client):
    """The tallies change in the same transaction as the records: a new deal is in the next page's total."""
    url = tenant.url("deals/")
    before = Deal.objects.for_account(tenant.account).filter(source=sample.referral).count()
    assert f"of {before}" in member_client.get(url, {"source": sample.referral.pk}).content.decode()
    DealFactory(account=tenant.account, source=sample.referral, owner=tenant.member)
    html = member_client.get(url, {"source": sample.referral.pk}).content.decode()
    assert f"of {before + 1}" in html
