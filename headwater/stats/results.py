"""What the statistics selectors return: one row per source and section, the totals, the period's figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from headwater.core import i18n
from headwater.stats.filters import DateRange, StatsFilters


@dataclass(frozen=True)
class SourceInfo:
    """A row's source. `id` None is the "No source" row (or the total row, `is_total`); `known` False marks an id
    missing from the catalogue."""

    id: int | None
    name: str = ""
    archived: bool = False
    position: int = 0
    known: bool = True
    is_total: bool = False
    # The source's channel (None: no channel). A channel's own row has `is_channel` and its channel's id and name.
    channel_id: int | None = None
    channel_name: str = ""
    channel_position: int = 0
    is_channel: bool = False

    @property
    def key(self) -> str:
        """The value the record lists take as `?source=`."""
        return "none" if self.id is None else str(self.id)


TOTAL = SourceInfo(id=None, is_total=True)


def source_label(source: SourceInfo) -> str:
    """What a row is called on the page, in the CSV and in charts."""
    if source.is_total:
        return i18n.gettext("Total")
    if source.is_channel:
        return source.channel_name if source.channel_id is not None else i18n.gettext("No channel")
    if source.id is None:
        return i18n.gettext("No source")
    if not source.known:
        return i18n.gettext("Unknown source (#%(id)s)") % {"id": source.id}
    return source.name


@dataclass(frozen=True)
class Unconverted:
    """Deals in a currency with no exchange rate: counted, their value kept apart in that currency."""

    currency: str
    count: int
    value: Decimal


@dataclass(frozen=True)
class Change:
    """Current minus previous period. `percent` is relative to the previous value (None when that was zero)."""

    delta: Decimal
    percent: Decimal | None

    @property
    def direction(self) -> str:
        return "up" if self.delta > 0 else ("down" if self.delta < 0 else "same")


@dataclass
class ContactRow:
    source: SourceInfo
    companies: int = 0
    persons: int = 0
    companies_share: Decimal | None = None
    persons_share: Decimal | None = None
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class OpenRow:
    source: SourceInfo
    count: int = 0
    value: Decimal = Decimal("0.00")
    unconverted: list[Unconverted] = field(default_factory=list)
    count_share: Decimal | None = None
    value_share: Decimal | None = None
    average: Decimal | None = None
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class ClosedRow:
    source: SourceInfo
    won_count: int = 0
    won_value: Decimal = Decimal("0.00")
    won_unconverted: list[Unconverted] = field(default_factory=list)
    lost_count: int = 0
    lost_value: Decimal = Decimal("0.00")
    lost_unconverted: list[Unconverted] = field(default_factory=list)
    win_rate: Decimal | None = None
    # The win rate's 95 % Wilson interval (low, high), in percent; None without closed deals.
    win_rate_interval: tuple[Decimal, Decimal] | None = None
    average_won: Decimal | None = None
    average_days: Decimal | None = None
    # The median days to close (a whole or half day) over the same deals as the average; None without them.
    median_days: Decimal | None = None
    # The row's deals created in the period and still open (the open deals section's count): deals whose time to
    # close is not known yet, so neither the mean nor the median counts them.
    still_open: int = 0
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class ReturnRow:
    """What a source (a channel, the total) cost in the period and what it brought back (stats/returns.py)."""

    source: SourceInfo
    spend: Decimal = Decimal("0.00")  # converted into the account's currency
    spend_unconverted: list[Unconverted] = field(default_factory=list)  # per currency without a rate
    contacts: int = 0  # new companies and persons
    deals: int = 0  # the row's deals on the page: open ones created and ones closed in the period
    won_count: int = 0
    won_value: Decimal = Decimal("0.00")
    cost_per_contact: Decimal | None = None
    cost_per_deal: Decimal | None = None
    cost_per_won: Decimal | None = None  # customer acquisition cost
    roi: Decimal | None = None  # percent
    roas: Decimal | None = None  # won value per unit of spend
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign row's campaign. `id` None is the source's "(no campaign)" row; `known` False marks an id missing
    from the catalogue (deleted meanwhile)."""

    id: int | None
    source_id: int | None
    name: str = ""
    archived: bool = False
    known: bool = True

    @property
    def key(self) -> str:
        """The value the record lists take as `?campaign=` ("" for no campaign: the lists have no such filter)."""
        return "" if self.id is None else str(self.id)


@dataclass
class CampaignRow(ReturnRow):
    """One campaign of a source (or the source's records and spend without a campaign) in the period: the figures of
    "Spend and return" (stats/campaign_stats.py)."""

    campaign: CampaignInfo = field(default_factory=lambda: CampaignInfo(id=None, source_id=None))


def campaign_label(campaign: CampaignInfo) -> str:
    if campaign.id is None:
        return i18n.gettext("(no campaign)")
    if not campaign.known:
        return i18n.gettext("Unknown campaign (#%(id)s)") % {"id": campaign.id}
    return campaign.name


@dataclass
class FunnelRow:
    """The contacts (companies and persons) created in the period, those of them with at least one deal and those
    with at least one won deal, whenever the deals were made (stats/funnel_sql.py); rates in percent."""

    source: SourceInfo
    contacts: int = 0
    with_deal: int = 0
    won: int = 0
    deal_rate: Decimal | None = None  # with_deal / contacts
    win_rate: Decimal | None = None  # won / with_deal
    overall_rate: Decimal | None = None  # won / contacts
    changes: dict[str, Change] = field(default_factory=dict)


R = TypeVar("R", ContactRow, OpenRow, ClosedRow, ReturnRow, FunnelRow)


def channel_label(source: SourceInfo) -> str:
    """The channel a source row rolls up under ("" for "No source", the total and an unknown source)."""
    if source.is_total or source.id is None or not source.known:
        return ""
    return source.channel_name if source.channel_id is not None else i18n.gettext("No channel")


def channel_info(channel_id: int | None, name: str = "", position: int = 0) -> SourceInfo:
    """The row of a channel's totals (channel_id None: the sources without a channel)."""
    return SourceInfo(id=None, name=name, position=position, channel_id=channel_id, channel_name=name, is_channel=True)


@dataclass
class ChannelGroup(Generic[R]):
    """A channel's totals (`row`, its `source` a `channel_info`) and its sources' rows, in the section's order."""

    row: R
    rows: list[R]


@dataclass
class Section(Generic[R]):
    rows: list[R]
    total: R
    # The rows rolled up by channel, in the admin's order of the channels, "No channel" last; empty when no source
    # shown has a channel (then the rows are shown flat, as before channels). "No source" is in no group.
    channels: list[ChannelGroup[R]] = field(default_factory=list)

    @property
    def loose_rows(self) -> list[R]:
        """The rows in no channel group: "No source" (and a source missing from the catalogue)."""
        grouped = {id(row) for group in self.channels for row in group.rows}
        return [row for row in self.rows if id(row) not in grouped]


@dataclass
class SourceStats:
    base_currency: str
    filters: StatsFilters
    period: DateRange | None
    previous_period: DateRange | None
    contacts: Section[ContactRow]
    open_deals: Section[OpenRow]
    closed_deals: Section[ClosedRow]
    # Every deal of the period whose currency has no rate, summed per currency over all sections.
    missing_rates: list[Unconverted]
    top_won_value: ClosedRow | None
    best_win_rate: ClosedRow | None
    # The best win rate is named only among the sources with at least `win_rate_minimum` closed deals in the period
    # (the account's setting); `win_rate_qualified` of them had that many.
    win_rate_minimum: int = 1
    win_rate_qualified: int = 0
    # Spend and return per source (stats/returns.py); None with an owner filter: spend has no owner.
    returns: Section[ReturnRow] | None = None
    # Spend of the period in currencies without a rate, per currency (count: entries), left out of the figures.
    spend_missing_rates: list[Unconverted] = field(default_factory=list)
    # Each source's campaigns, with its "(no campaign)" row last, keyed by source id; only sources with campaigns
    # (in the catalogue or in the period's figures), and only with `returns` (stats/campaign_stats.py).
    campaigns: dict[int | None, list[CampaignRow]] = field(default_factory=dict)
    # How many campaigns each of those sources lists ("(no campaign)" not counted), also when `campaigns` was not
    # computed (the page, which loads a source's campaigns when it is opened: stats/campaign_stats.CampaignScope).
    campaign_counts: dict[int | None, int] = field(default_factory=dict)
    # Contacts created in the period -> with a deal -> with a won deal, per source (stats/funnel_sql.py).
    funnel: Section[FunnelRow] | None = None

    @property
    def compared(self) -> bool:
        return self.previous_period is not None


@dataclass(frozen=True)
class WonSummary:
    """Deals won in a period, all sources and owners: the Statistics page's "Won" total for the same period."""

    period: DateRange
    base_currency: str
    count: int  # every won deal, those in a currency without a rate included
    value: Decimal  # in the base currency, deals without a rate left out
    unconverted: list[Unconverted]  # per currency without a rate: its deals and their value in that currency
