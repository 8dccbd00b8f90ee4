"""A small, fixed data set for the statistics page, CSV, API and browser tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from headwater.sources.models import Source
from headwater.stats.models import ExchangeRate
from headwater.testing.factories import CompanyFactory, DealFactory, PersonFactory, SourceFactory

TODAY = dt.date(2025, 6, 15)


@dataclass
class Sample:
    website: Source
    referral: Source
    fair: Source  # archived, still has deals
    unused: Source


def at(day: dt.date, zone: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(zone))


def build_sample(account: Any, *, owner: Any, other_owner: Any) -> Sample:
    """Three active sources and one archived; deals in PLN, EUR (with a rate) and USD (without)."""
    account.sources_enabled = True
    # A tiny sample: its best win rate is named from a single closed deal (the product's default is 10).
    account.stats_min_closed = 1
    account.save()
    zone = account.time_zone
    website = SourceFactory(account=account, name="Website", position=1)
    referral = SourceFactory(account=account, name="Referral", position=2)
    unused = SourceFactory(account=account, name="Cold call", position=3)
    fair = SourceFactory(account=account, name="Trade fair", position=4, archived=True)
    ExchangeRate.unscoped.create(account=account, currency="EUR", base_currency=account.currency, rate=Decimal("4.25"))

    may, april, march = dt.date(2025, 5, 10), dt.date(2025, 4, 10), dt.date(2025, 3, 10)
    for day, source, who in [
        (may, website, owner),
        (may, website, owner),
        (may, referral, other_owner),
        (april, website, other_owner),
        (april, None, owner),
        (march, referral, owner),
    ]:
        CompanyFactory(account=account, source=source, owner=who, created_at=at(day, zone))
    for day, source in [(may, website), (may, None), (april, referral), (march, website)]:
        PersonFactory(account=account, source=source, owner=owner, created_at=at(day, zone))

    def deal(source: Source | None, status: str, value: str, currency: str, created: dt.date, **extra: Any) -> None:
        closed = extra.pop("closed", None)
        DealFactory(
            account=account,
            source=source,
            status=status,
            value=Decimal(value),
            currency=currency,
            created_at=at(created, zone),
            closed_at=closed,
            owner=extra.pop("who", owner),
        )

    deal(website, "open", "1000.00", "PLN", may)
    deal(website, "open", "200.00", "EUR", may)
    deal(referral, "open", "500.50", "PLN", april, who=other_owner)
    deal(None, "open", "300.00", "USD", april)
    deal(website, "won", "5000.00", "PLN", march, closed=dt.date(2025, 5, 20))
    deal(website, "won", "1000.00", "EUR", march, closed=dt.date(2025, 4, 1))
    deal(website, "lost", "700.00", "PLN", april, closed=dt.date(2025, 5, 2))
    deal(referral, "won", "2500.00", "PLN", april, closed=dt.date(2025, 5, 5), who=other_owner)
    deal(fair, "won", "800.00", "PLN", march, closed=dt.date(2025, 3, 30))
    deal(fair, "lost", "100.00", "USD", march, closed=dt.date(2025, 3, 31))
    deal(None, "lost", "50.00", "PLN", may, closed=dt.date(2025, 6, 1))
    return Sample(website=website, referral=referral, fair=fair, unused=unused)
