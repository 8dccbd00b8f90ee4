"""Reads that belong to no single domain app: the account's dashboard."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.users.models import User

RECENT_DEALS = 8
WON_WINDOW_DAYS = 30


@dataclass(frozen=True)
class BoundedCount:
    """A count that stops at `limit`: exact below it, "limit+" above, so a million rows cost no more than 10,000."""

    value: int
    more: bool


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class Dashboard:
    companies: BoundedCount
    persons: BoundedCount
    open_deals: BoundedCount
    my_open_deals: BoundedCount
    won_recently: list[CurrencyTotal]
    won_window_days: int
    recent_deals: list[Deal]


def _bounded(qs: QuerySet[Company] | QuerySet[Person] | QuerySet[Deal]) -> BoundedCount:
    limit = int(getattr(settings, "LIST_COUNT_LIMIT", 10_000))
    # COUNT over a LIMITed subquery: the database stops reading after limit + 1 rows.
    n = qs.order_by()[: limit + 1].count()
    return BoundedCount(value=min(n, limit), more=n > limit)


def dashboard_get(*, account: Account, user: User) -> Dashboard:
    """Everything the dashboard shows, in a fixed, small number of index-backed queries."""
    deals = Deal.objects.for_account(account)
    since = timezone.localdate(timezone=zoneinfo.ZoneInfo(account.time_zone)) - timedelta(days=WON_WINDOW_DAYS)
    won = (
        deals.filter(status=DealStatus.WON, closed_at__gte=since)
        .values("currency")
        .annotate(n=Count("*"), total=Sum("value"))
        .order_by("-total", "currency")
    )
    recent = list(
        deals.select_related("company", "person", "owner", "source").order_by("-created_at", "-id")[:RECENT_DEALS]
    )
    return Dashboard(
        companies=_bounded(Company.objects.for_account(account)),
        persons=_bounded(Person.objects.for_account(account)),
        open_deals=_bounded(deals.filter(status=DealStatus.OPEN)),
        my_open_deals=_bounded(deals.filter(status=DealStatus.OPEN, owner=user)),
        won_recently=[CurrencyTotal(currency=w["currency"], count=w["n"], total=w["total"]) for w in won],
        won_window_days=WON_WINDOW_DAYS,
        recent_deals=recent,
    )


def account_settings_get(*, account: Account) -> Account:
    """The account as stored now (its settings and their version), not as it was read at the start of a request."""
    return Account.objects.get(pk=account.pk)
