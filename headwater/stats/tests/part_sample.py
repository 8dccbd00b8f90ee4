"""A fixed sample for the Statistics page's parts that load when opened (test_part_views.py), and the reference the
page rendered before they moved out of it (reference_parts.json).

`build` only uses what the page had before the parts moved (factories and services), so the same function made the
reference: the page of the commit before, rendered over this sample for each of `QUERIES` in English and Polish, its
campaign tables and trend tables cut out by table id (`blocks`) and written with the sample's ids named
(`normalize`), as `reference_parts.json`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from headwater.channels.services import channel_create
from headwater.sources.services import source_set_channel
from headwater.spend.services import spend_create
from headwater.stats.models import ExchangeRate
from headwater.testing.factories import CampaignFactory, CompanyFactory, DealFactory, PersonFactory, SourceFactory

# The page's filters each reference was rendered with (the part adds its own parameter).
QUERIES = (
    "period=custom&start=2025-05-01&end=2025-05-31",
    "period=custom&start=2025-05-01&end=2025-05-31&compare=on",
    "period=custom&start=2025-04-01&end=2025-06-30&trend_by=channel",
    "period=all",
)


def _at(day: int, month: int = 5) -> dt.datetime:
    return dt.datetime(2025, month, day, 12, tzinfo=dt.UTC)


def build(account: Any, admin: Any) -> dict[str, dict[int, str]]:
    """Sources in and out of a channel, campaigns (one archived with figures, one without any), spend in two
    currencies, deals won, lost and open in April and May, one in a currency without a rate. Returns the ids to name
    in the HTML: {"source": {pk: name}, "campaign": {pk: name}}."""
    account.sources_enabled = True
    account.save()
    ExchangeRate.objects.create(account=account, base_currency=account.currency, currency="EUR", rate=Decimal("4.25"))
    ads = SourceFactory(account=account, name="Ads", position=1)
    fairs = SourceFactory(account=account, name="Fairs", position=2)
    web = SourceFactory(account=account, name="Web", position=3)
    paid = channel_create(account=account, user=admin, name="Paid")
    source_set_channel(account=account, user=admin, source=ads, channel_id=paid.pk)
    spring = CampaignFactory(source=ads, name="Spring")
    summer = CampaignFactory(source=ads, name="Summer")
    letters = CampaignFactory(source=fairs, name="Letters", archived=True)
    CampaignFactory(source=fairs, name="Quiet", archived=True)
    spend_create(account=account, user=None, source=ads, campaign=spring, month=dt.date(2025, 5, 1), amount="300")
    spend_create(account=account, user=None, source=ads, campaign=spring, month=dt.date(2025, 4, 1), amount="120")
    spend_create(
        account=account, user=None, source=ads, campaign=summer, month=dt.date(2025, 5, 1), amount="100", currency="EUR"
    )
    spend_create(account=account, user=None, source=ads, month=dt.date(2025, 5, 1), amount="200")
    spend_create(account=account, user=None, source=fairs, campaign=letters, month=dt.date(2025, 5, 1), amount="50")
    deals = [
        (ads, spring, "won", "1000.00", "PLN", _at(2), dt.date(2025, 5, 10)),
        (ads, spring, "won", "500.00", "PLN", _at(3), dt.date(2025, 5, 11)),
        (ads, spring, "won", "700.00", "PLN", _at(3, 4), dt.date(2025, 4, 20)),
        (ads, spring, "lost", "90.00", "PLN", _at(4, 4), dt.date(2025, 4, 22)),
        (ads, summer, "open", "300.00", "PLN", _at(6), None),
        (ads, None, "won", "250.00", "PLN", _at(3), dt.date(2025, 5, 12)),
        (ads, None, "won", "7.00", "USD", _at(5), dt.date(2025, 5, 14)),
        (fairs, letters, "won", "80.00", "EUR", _at(7), dt.date(2025, 5, 20)),
        (fairs, None, "lost", "40.00", "PLN", _at(8), dt.date(2025, 5, 21)),
        (web, None, "won", "1234.56", "PLN", _at(9, 6), dt.date(2025, 6, 2)),
        (None, None, "open", "10.00", "PLN", _at(10), None),
    ]
    for source, campaign, status, value, currency, created, closed in deals:
        DealFactory(
            account=account,
            source=source,
            campaign=campaign,
            status=status,
            value=Decimal(value),
            currency=currency,
            created_at=created,
            closed_at=closed,
        )
    CompanyFactory(account=account, source=ads, campaign=spring, created_at=_at(4))
    CompanyFactory(account=account, source=fairs, created_at=_at(4, 4))
    PersonFactory(account=account, source=ads, campaign=summer, created_at=_at(5))
    PersonFactory(account=account, source=web, created_at=_at(1, 6))
    return {
        "source": {ads.pk: "ADS", fairs.pk: "FAIRS", web.pk: "WEB"},
        "campaign": {spring.pk: "SPRING", summer.pk: "SUMMER", letters.pk: "LETTERS"},
    }


# A statistics table in its scroll box (stats/tables.py), by its id: what the page held and a part now holds.
_BLOCK = re.compile(
    r'<p class="stats-scroll-hint" id="(?P<id>[^"]+)-hint" hidden>.*?</table>\n</div>\n</div>', re.DOTALL
)
# Where an id shows in a block: a source's in the drill-down's element ids and in the record lists' links, a
# campaign's in those links.
_IDS = re.compile(r"(stats-campaigns-|[?&;]source=|[?&;]campaign=)(\d+)")


def blocks(html: str) -> dict[str, str]:
    """The campaign and trend tables in `html`, by table id."""
    found = {m.group("id"): m.group(0) for m in _BLOCK.finditer(html)}
    return {key: block for key, block in found.items() if key.startswith(("stats-campaigns-", "stats-trend-"))}


def normalize(html: str, names: dict[str, dict[int, str]]) -> str:
    """The sample's ids as names, so a run with other ids (another database, another test before) compares."""

    def named(match: re.Match[str]) -> str:
        kind = "campaign" if match.group(1).endswith("campaign=") else "source"
        return match.group(1) + names[kind].get(int(match.group(2)), match.group(2))

    return _IDS.sub(named, html)
