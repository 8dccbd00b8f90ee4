"""Reads that belong to no single domain app: the account's dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from headwater.companies.models import Company
from headwater.core.dates import account_today
from headwater.core.models import Account
from headwater.deals.models import Deal, DealStatus
from headwater.persons.models import Person
from headwater.stats.filters import Period, preset_range
from headwater.stats.results import WonSummary
from headwater.stats.selectors import won_summary
from headwater.users.models import User

RECENT_DEALS = 8
# The Statistics page's "last 30 days": today and the 29 days before, in the account's time zone.
WON_PERIOD = Period.LAST_30


@dataclass(frozen=True)
class BoundedCount:
    """A count that stops at `limit`: exact below it, "limit+" above, so a million rows cost no more than 10,000."""

    value: int
    more: bool


# The dashboard's figures name their kinds on purpose: each is a different question (contacts counted, deals open,
# won, mine), not a figure per registered kind.
@dataclass(frozen=True)
class Dashboard:
    companies: BoundedCount
    persons: BoundedCount
    open_deals: BoundedCount
    my_open_deals: BoundedCount
    won: WonSummary
    won_period: str  # the Statistics preset the won figure is for, for the link to it
    recent_deals: list[Deal]


def _bounded(qs: QuerySet[Company] | QuerySet[Person] | QuerySet[Deal]) -> BoundedCount:
    limit = int(getattr(settings, "LIST_COUNT_LIMIT", 10_000))
    # COUNT over a LIMITed subquery: the database stops reading after limit + 1 rows.
    n = qs.order_by()[: limit + 1].count()
    return BoundedCount(value=min(n, limit), more=n > limit)


def dashboard_get(*, account: Account, user: User) -> Dashboard:
    """Everything the dashboard shows, in a fixed, small number of index-backed queries."""
    deals = Deal.objects.for_account(account)
    won_period = preset_range(WON_PERIOD, account_today(account))
    assert won_period is not None  # noqa: S101 — a rolling preset always has days
    recent = list(
        deals.select_related("company", "person", "owner", "source").order_by("-created_at", "-id")[:RECENT_DEALS]
    )
    return Dashboard(
        companies=_bounded(Company.objects.for_account(account)),
        persons=_bounded(Person.objects.for_account(account)),
        open_deals=_bounded(deals.filter(status=DealStatus.OPEN)),
        my_open_deals=_bounded(deals.filter(status=DealStatus.OPEN, owner=user)),
        # Converted at the account's exchange rates exactly as Statistics does, so the two never disagree.
        won=won_summary(account=account, period=won_period),
        won_period=WON_PERIOD,
        recent_deals=recent,
    )


def account_settings_get(*, account: Account) -> Account:
    """The account as stored now (its settings and their version), not as it was read at the start of a request."""
    return Account.objects.get(pk=account.pk)
