"""API shapes of the statistics: the same figures as the page and the CSV, money and ratios as decimal strings.

The responses are plain pydantic models (not ninja's `Schema`, whose per-object resolver machinery cost ~6 ms per
response of the big account): `stats_out` builds plain dicts from the selector's dataclasses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, get_args

from ninja import Schema
from pydantic import BaseModel, Field

from headwater.core.api_schemas import SOURCE_FILTER_PATTERN, Id, InSchema, optional_version
from headwater.core.dates import FilterDay
from headwater.stats.filters import DateRange, Period
from headwater.stats.results import (
    CampaignRow,
    Change,
    ClosedRow,
    ContactRow,
    FunnelRow,
    OpenRow,
    ReturnRow,
    SourceInfo,
    SourceStats,
    Unconverted,
    campaign_label,
    channel_label,
    source_label,
)
from headwater.stats.sorting import sort_rows
from headwater.stats.touches import TouchRow, TouchStats
from headwater.stats.trend import Trend

PeriodName = Literal[
    "all",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "last_30",
    "last_90",
    "custom",
]
if set(get_args(PeriodName)) != set(Period.values):
    raise RuntimeError("The API must offer exactly the page's period presets.")


_SORT = Field(
    None,
    max_length=40,
    description="The table's order: a column key, `-` before it for descending (the page's header links set it).",
)


class StatsParams(Schema):
    """The parameters of the Statistics page, its CSV and both API doors: one set of names (docs/statistics.md)."""

    period: PeriodName | None = Field(
        None,
        description="A preset in the account's time zone (`this_*` from the period's first day to today, `last_month`, "
        "`last_quarter` and `last_year` the whole calendar period before, `last_30` and `last_90` today and the days "
        "before), or `custom` with `start` and `end`. Omitted: `custom` when dates are given, else `all`.",
    )
    start: FilterDay | None = Field(
        None, description="First day (custom range), in the account's time zone; years 1900 to 2999."
    )
    end: FilterDay | None = Field(None, description="Last day (custom range), included; years 1900 to 2999.")
    owner_id: str | None = Field(
        None, pattern=SOURCE_FILTER_PATTERN, description="A member's user id, or `none` for records without an owner."
    )
    owner: str | None = Field(
        None,
        pattern=SOURCE_FILTER_PATTERN,
        deprecated=True,
        description="The old name of `owner_id`, still accepted; when both are given they must agree.",
    )
    channel: str | None = Field(
        None,
        pattern=SOURCE_FILTER_PATTERN,
        description="Only the sources of this channel (its id, see /channels), or `none` for the sources without one.",
    )
    compare: bool = Field(
        False,
        description="Also compute the period before and the changes: for a calendar preset the same days a month, "
        "quarter or year earlier, otherwise the same number of days immediately before (docs/statistics.md). `on` "
        "(the page's old value) also means true.",
    )
    group_by: Literal["source", "last_touch", "first_touch"] = Field(
        "source",
        description="The rows: the record's source (default), or the source of the record's last or first tracked "
        "visit (touch), with tracked against self-reported; by touch, `owner_id` and `compare` are refused "
        "(docs/statistics.md).",
    )
    sort_contacts: str | None = _SORT
    sort_open: str | None = _SORT
    sort_closed: str | None = _SORT

    def form_data(self) -> dict[str, str]:
        """The same parameters as the page's query string, for the shared filter form (which checks them)."""
        data = {
            "period": self.period or "",
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "compare": "true" if self.compare else "",
            "group_by": self.group_by,
        }
        # Read through model_dump: reading the deprecated `owner` as an attribute warns on every request.
        given = self.model_dump(include={"owner_id", "owner", "channel", "sort_contacts", "sort_open", "sort_closed"})
        data.update({name: value for name, value in given.items() if value is not None})
        return data


class TrendParams(Schema):
    """The trend's parameters: the Statistics page's period, owner and channel filters, and the stacks."""

    period: PeriodName | None = Field(None, description="As for /stats/sources.")
    start: FilterDay | None = Field(None, description="First day (custom range), in the account's time zone.")
    end: FilterDay | None = Field(None, description="Last day (custom range), included.")
    owner_id: str | None = Field(
        None, pattern=SOURCE_FILTER_PATTERN, description="A member's user id, or `none` for records without an owner."
    )
    channel: str | None = Field(
        None, pattern=SOURCE_FILTER_PATTERN, description="Only the sources of this channel, or `none` for none."
    )
    by: Literal["source", "channel"] = Field("source", description="One series per source, or per channel.")

    def form_data(self) -> dict[str, str]:
        data = {
            "period": self.period or "",
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "trend_by": self.by,
        }
        given = self.model_dump(include={"owner_id", "channel"})
        data.update({name: value for name, value in given.items() if value is not None})
        return data


class StatsSourceOut(BaseModel):
    id: int | None = Field(description="The source id; null for the “No source” row, a channel's row and the total.")
    kind: Literal["source", "none", "total", "channel"]
    name: str = Field(description="The source's name, or the row's label for “No source”, a channel and the total.")
    archived: bool
    channel_id: int | None = Field(
        None,
        description="The source's channel (a channel row: its own); null without one, for “No source” and the total.",
    )
    channel: str = Field("", description="That channel's name (“No channel” for a source without one).")


class StatsApartOut(BaseModel):
    currency: str
    count: int
    value: Decimal = Field(description="In that currency: there is no exchange rate to the base currency.")


class StatsChangeOut(BaseModel):
    delta: Decimal = Field(
        description="Current minus previous period; for win rates in percentage points between the exact rates, "
        "rounded half up to 0.1."
    )
    percent: Decimal | None = Field(
        description="Relative to the previous value, in percent rounded half up to 0.1; null when that was zero."
    )


class StatsContactRowOut(BaseModel):
    source: StatsSourceOut
    companies: int
    companies_share: Decimal | None
    persons: int
    persons_share: Decimal | None
    changes: dict[str, StatsChangeOut]


class StatsOpenRowOut(BaseModel):
    source: StatsSourceOut
    count: int
    count_share: Decimal | None
    value: Decimal
    value_share: Decimal | None
    average: Decimal | None
    unconverted: list[StatsApartOut]
    changes: dict[str, StatsChangeOut]


class StatsIntervalOut(BaseModel):
    low: Decimal
    high: Decimal


class StatsClosedRowOut(BaseModel):
    source: StatsSourceOut
    won_count: int
    won_value: Decimal
    won_unconverted: list[StatsApartOut]
    lost_count: int
    lost_value: Decimal
    lost_unconverted: list[StatsApartOut]
    win_rate: Decimal | None
    win_rate_interval: StatsIntervalOut | None = Field(
        None, description="The win rate's 95 % Wilson interval in percent; null without closed deals."
    )
    average_won: Decimal | None
    average_days: Decimal | None
    median_days: Decimal | None = Field(
        None,
        description="The median days to close of the row's closed deals with a close date (the mean of the two middle "
        "ones when their number is even); null without them.",
    )
    still_open: int = Field(
        0, description="The row's deals created in the period and still open (the open deals section's count)."
    )
    changes: dict[str, StatsChangeOut]


class StatsContactsOut(BaseModel):
    rows: list[StatsContactRowOut]
    total: StatsContactRowOut
    channels: list[StatsContactRowOut] = Field(
        default_factory=list,
        description="Each channel's totals (kind `channel`), in the admin's order, “No channel” last; empty when no "
        "source shown has a channel.",
    )


class StatsOpenDealsOut(BaseModel):
    rows: list[StatsOpenRowOut]
    total: StatsOpenRowOut
    channels: list[StatsOpenRowOut] = Field(
        default_factory=list,
        description="Each channel's totals (kind `channel`), in the admin's order, “No channel” last; empty when no "
        "source shown has a channel.",
    )


class StatsClosedDealsOut(BaseModel):
    rows: list[StatsClosedRowOut]
    total: StatsClosedRowOut
    channels: list[StatsClosedRowOut] = Field(
        default_factory=list,
        description="Each channel's totals (kind `channel`), in the admin's order, “No channel” last; empty when no "
        "source shown has a channel.",
    )


# --- Spend and return (stats/returns.py) ----------------------------------------------------------------


class StatsReturnRowOut(BaseModel):
    source: StatsSourceOut
    spend: Decimal = Field(description="The period's spend (entries spread by days), in the base currency.")
    spend_unconverted: list[StatsApartOut] = Field(
        description="Spend in currencies without a rate, per currency (count: entries); left out of every figure."
    )
    contacts: int = Field(description="New companies and persons (the Contacts table).")
    deals: int = Field(description="Open deals created plus deals closed in the period (the deal tables).")
    won_count: int
    won_value: Decimal
    cost_per_contact: Decimal | None = Field(description="spend / contacts; null without spend or contacts.")
    cost_per_deal: Decimal | None = Field(description="spend / deals; null without spend or deals.")
    cost_per_won: Decimal | None = Field(description="Customer acquisition cost: spend / won deals; null without.")
    roi: Decimal | None = Field(description="(won value - spend) / spend in percent; null without spend.")
    roas: Decimal | None = Field(description="won value / spend; null without spend.")
    changes: dict[str, StatsChangeOut] = Field(
        description="`spend` (and `roi`, in percentage points, when both periods have spend) against the previous "
        "period."
    )
    campaigns: list[StatsCampaignRowOut] = Field(
        default_factory=list,
        description="A source's campaigns (by name), then “(no campaign)”: they add up to the source; empty for a "
        "source without campaigns, a channel and the total (docs/statistics.md, “Campaigns”).",
    )


class StatsCampaignOut(BaseModel):
    id: int | None = Field(description="The campaign id; null for the source's “(no campaign)” row.")
    kind: Literal["campaign", "none"]
    name: str = Field(description="The campaign's name, or the row's label for “(no campaign)”.")
    archived: bool


class StatsCampaignRowOut(BaseModel):
    campaign: StatsCampaignOut
    spend: Decimal = Field(description="The campaign's spend in the period (entries spread by days), base currency.")
    spend_unconverted: list[StatsApartOut] = Field(description="Spend in currencies without a rate, kept apart.")
    contacts: int = Field(description="New companies and persons with the campaign.")
    deals: int = Field(description="Open deals created plus deals closed in the period, with the campaign.")
    won_count: int
    won_value: Decimal
    cost_per_contact: Decimal | None
    cost_per_deal: Decimal | None
    cost_per_won: Decimal | None
    roi: Decimal | None
    roas: Decimal | None
    changes: dict[str, StatsChangeOut] = Field(
        description="As the source's row: `spend` (and `roi`, in percentage points, when both periods have spend) "
        "against the same campaign (or “(no campaign)”) in the previous period; empty when not compared."
    )


class StatsReturnsOut(BaseModel):
    rows: list[StatsReturnRowOut]
    total: StatsReturnRowOut
    channels: list[StatsReturnRowOut] = Field(default_factory=list, description="Each channel's totals.")


# --- Funnel (stats/funnel_sql.py) -----------------------------------------------------------------------


class StatsFunnelRowOut(BaseModel):
    source: StatsSourceOut
    contacts: int = Field(description="Companies and persons created in the period (the Contacts table's sum).")
    with_deal: int = Field(
        description="Of them, those with at least one deal, whenever the deal was made (also after the period)."
    )
    won: int = Field(description="Of them, those with at least one won deal, whenever it was made or won.")
    deal_rate: Decimal | None = Field(description="with_deal / contacts in percent (0.1, half up); null without.")
    win_rate: Decimal | None = Field(description="won / with_deal in percent; null without contacts with a deal.")
    overall_rate: Decimal | None = Field(description="won / contacts in percent; null without contacts.")
    changes: dict[str, StatsChangeOut] = Field(
        description="`contacts`, `with_deal` and `won` against the previous period (when compared)."
    )


class StatsFunnelOut(BaseModel):
    rows: list[StatsFunnelRowOut]
    total: StatsFunnelRowOut
    channels: list[StatsFunnelRowOut] = Field(default_factory=list, description="Each channel's totals.")


class StatsPeriodOut(BaseModel):
    start: dt.date
    end: dt.date


class SourceStatsOut(BaseModel):
    currency: str = Field(description="The account's base currency; every value is in it.")
    period: StatsPeriodOut | None = Field(description="Null for all time.")
    previous_period: StatsPeriodOut | None
    contacts: StatsContactsOut
    open_deals: StatsOpenDealsOut
    closed_deals: StatsClosedDealsOut
    missing_rates: list[StatsApartOut] = Field(
        description="Deals whose currency has no rate: counted, value kept apart."
    )
    top_won_value: StatsSourceOut | None
    best_win_rate: StatsSourceOut | None = Field(
        description="Among the sources with at least `best_win_rate_minimum` closed deals in the period; "
        "null when none."
    )
    best_win_rate_minimum: int = Field(description="The account's minimum of closed deals for the best win rate.")
    best_win_rate_qualified: int = Field(description="How many sources had that many closed deals.")
    returns: StatsReturnsOut | None = Field(
        None, description="Spend and return per source; null with an owner filter (spend has no owner)."
    )
    spend_missing_rates: list[StatsApartOut] = Field(
        default_factory=list, description="Spend in currencies without a rate (count: entries), kept apart."
    )
    funnel: StatsFunnelOut | None = Field(
        None,
        description="Per source: contacts created in the period, those with a deal, those with a won deal (deals of "
        "any date), and the rates between them.",
    )


class TrendSeriesOut(BaseModel):
    source: StatsSourceOut = Field(description="The source, or with `by=channel` the channel (`kind` channel).")
    contacts: list[int] = Field(description="New companies and persons per month, in the order of `months`.")
    won_value: list[Decimal] = Field(
        description="Won value per month in the base currency (deals in currencies without a rate left out)."
    )
    won_count: list[int] = Field(description="Won deals per month, those without a rate included.")


class TrendMonthApartOut(BaseModel):
    month: dt.date
    currency: str
    count: int
    value: Decimal = Field(description="In that currency: it has no exchange rate to the base currency.")


class TrendOut(BaseModel):
    by: Literal["source", "channel"]
    currency: str = Field(description="The account's base currency.")
    months: list[dt.date] = Field(
        description="Each month's first day, in the account's time zone; the period's first and last months count "
        "whole; for all time from the first to the last month with figures (at most 120 months)."
    )
    series: list[TrendSeriesOut]
    contacts_total: list[int]
    won_value_total: list[Decimal]
    unconverted: list[TrendMonthApartOut] = Field(description="Won value without a rate, per month and currency.")


class TouchRowOut(BaseModel):
    source: StatsSourceOut = Field(description="The source the touch resolved to (`none`: no rule gave one).")
    companies: int = Field(description="Companies whose first (last) touch in the period came from the source.")
    persons: int
    persons_share: Decimal | None = Field(description="Of all the persons counted, in percent (0.1, half up).")
    deals: int
    tracked: int = Field(description="Persons whose touch resolved to the source (the same as `persons`).")
    reported: int = Field(description="Persons whose touch's “How did you hear about us?” answer named it.")
    agree: int | None = Field(description="Persons both tracked and self-reported as it; null for “No source”.")
    answered: int = Field(description="The row's tracked persons who named any source.")
    agreement: Decimal | None = Field(description="`agree` over `answered`, in percent; null when none answered.")


class TouchStatsOut(BaseModel):
    group_by: Literal["last_touch", "first_touch"]
    period: StatsPeriodOut | None = Field(description="Null for all time.")
    rows: list[TouchRowOut]
    total: TouchRowOut


# --- From the selector's dataclasses ----------------------------------------------------------------------


def _source(source: SourceInfo) -> dict[str, Any]:
    kinds = ((source.is_channel, "channel"), (source.is_total, "total"), (source.id is None, "none"))
    kind = next((name for applies, name in kinds if applies), "source")
    return {
        "id": source.id,
        "kind": kind,
        "name": source_label(source),
        "archived": source.archived,
        "channel_id": source.channel_id,
        "channel": source_label(source) if source.is_channel else channel_label(source),
    }


def _apart(items: list[Unconverted]) -> list[dict[str, Any]]:
    return [{"currency": u.currency, "count": u.count, "value": u.value} for u in items]


def _changes(changes: dict[str, Change]) -> dict[str, dict[str, Any]]:
    return {name: {"delta": c.delta, "percent": c.percent} for name, c in changes.items()}


def _contact(row: ContactRow) -> dict[str, Any]:
    return {
        "source": _source(row.source),
        "companies": row.companies,
        "companies_share": row.companies_share,
        "persons": row.persons,
        "persons_share": row.persons_share,
        "changes": _changes(row.changes),
    }


def _open(row: OpenRow) -> dict[str, Any]:
    return {
        "source": _source(row.source),
        "count": row.count,
        "count_share": row.count_share,
        "value": row.value,
        "value_share": row.value_share,
        "average": row.average,
        "unconverted": _apart(row.unconverted),
        "changes": _changes(row.changes),
    }


def _closed(row: ClosedRow) -> dict[str, Any]:
    return {
        "source": _source(row.source),
        "won_count": row.won_count,
        "won_value": row.won_value,
        "won_unconverted": _apart(row.won_unconverted),
        "lost_count": row.lost_count,
        "lost_value": row.lost_value,
        "lost_unconverted": _apart(row.lost_unconverted),
        "win_rate": row.win_rate,
        "win_rate_interval": (
            None
            if row.win_rate_interval is None
            else {"low": row.win_rate_interval[0], "high": row.win_rate_interval[1]}
        ),
        "average_won": row.average_won,
        "average_days": row.average_days,
        "median_days": row.median_days,
        "still_open": row.still_open,
        "changes": _changes(row.changes),
    }


def _return(row: ReturnRow) -> dict[str, Any]:
    return {
        "source": _source(row.source),
        "spend": row.spend,
        "spend_unconverted": _apart(row.spend_unconverted),
        "contacts": row.contacts,
        "deals": row.deals,
        "won_count": row.won_count,
        "won_value": row.won_value,
        "cost_per_contact": row.cost_per_contact,
        "cost_per_deal": row.cost_per_deal,
        "cost_per_won": row.cost_per_won,
        "roi": row.roi,
        "roas": row.roas,
        "changes": _changes(row.changes),
    }


def _campaign(row: CampaignRow) -> dict[str, Any]:
    campaign = row.campaign
    return {
        "campaign": {
            "id": campaign.id,
            "kind": "none" if campaign.id is None else "campaign",
            "name": campaign_label(campaign),
            "archived": campaign.archived,
        },
        "spend": row.spend,
        "spend_unconverted": _apart(row.spend_unconverted),
        "contacts": row.contacts,
        "deals": row.deals,
        "won_count": row.won_count,
        "won_value": row.won_value,
        "cost_per_contact": row.cost_per_contact,
        "cost_per_deal": row.cost_per_deal,
        "cost_per_won": row.cost_per_won,
        "roi": row.roi,
        "roas": row.roas,
        "changes": _changes(row.changes),
    }


def _funnel(row: FunnelRow) -> dict[str, Any]:
    return {
        "source": _source(row.source),
        "contacts": row.contacts,
        "with_deal": row.with_deal,
        "won": row.won,
        "deal_rate": row.deal_rate,
        "win_rate": row.win_rate,
        "overall_rate": row.overall_rate,
        "changes": _changes(row.changes),
    }


def _period(period: DateRange | None) -> dict[str, Any] | None:
    return None if period is None else {"start": period.start, "end": period.end}


def stats_out(stats: SourceStats, *, sorts: Mapping[str, tuple[str, bool] | None] | None = None) -> dict[str, Any]:
    """The response body; each table's rows in the order `sorts` names (default: the catalogue's, as on the page)."""
    order = sorts or {}
    contacts = sort_rows(stats.contacts.rows, order.get("contacts"))
    open_deals = sort_rows(stats.open_deals.rows, order.get("open"))
    closed_deals = sort_rows(stats.closed_deals.rows, order.get("closed"))
    return {
        "currency": stats.base_currency,
        "period": _period(stats.period),
        "previous_period": _period(stats.previous_period),
        "contacts": {
            "rows": [_contact(r) for r in contacts],
            "total": _contact(stats.contacts.total),
            "channels": [_contact(g.row) for g in stats.contacts.channels],
        },
        "open_deals": {
            "rows": [_open(r) for r in open_deals],
            "total": _open(stats.open_deals.total),
            "channels": [_open(g.row) for g in stats.open_deals.channels],
        },
        "closed_deals": {
            "rows": [_closed(r) for r in closed_deals],
            "total": _closed(stats.closed_deals.total),
            "channels": [_closed(g.row) for g in stats.closed_deals.channels],
        },
        "missing_rates": _apart(stats.missing_rates),
        "top_won_value": _source(stats.top_won_value.source) if stats.top_won_value else None,
        "best_win_rate": _source(stats.best_win_rate.source) if stats.best_win_rate else None,
        "best_win_rate_minimum": stats.win_rate_minimum,
        "best_win_rate_qualified": stats.win_rate_qualified,
        "returns": None
        if stats.returns is None
        else {
            "rows": [
                _return(r) | {"campaigns": [_campaign(c) for c in stats.campaigns.get(r.source.id, ())]}
                for r in stats.returns.rows
            ],
            "total": _return(stats.returns.total),
            "channels": [_return(g.row) for g in stats.returns.channels],
        },
        "spend_missing_rates": _apart(stats.spend_missing_rates),
        "funnel": None
        if stats.funnel is None
        else {
            "rows": [_funnel(r) for r in stats.funnel.rows],
            "total": _funnel(stats.funnel.total),
            "channels": [_funnel(g.row) for g in stats.funnel.channels],
        },
    }


def trend_out(trend: Trend) -> dict[str, Any]:
    return {
        "by": trend.by,
        "currency": trend.base_currency,
        "months": trend.months,
        "series": [
            {
                "source": _source(s.source),
                "contacts": s.contacts,
                "won_value": s.won_values,
                "won_count": [money.count for money in s.won],
            }
            for s in trend.series
        ],
        "contacts_total": trend.contacts_total,
        "won_value_total": trend.won_values,
        "unconverted": [
            {"month": month, "currency": u.currency, "count": u.count, "value": u.value}
            for at, month in enumerate(trend.months)
            for u in trend.unconverted(at)
        ],
    }


# --- Exchange rates ---------------------------------------------------------------------------------------

RATE_DESCRIPTION = (
    "How much one unit of the currency is worth in the base currency, as a decimal string with at most 8 decimal "
    'places (e.g. "4.2712"); more precision is refused, never rounded.'
)


class ExchangeRateOut(Schema):
    id: int
    currency: str
    rate: str = Field(description=RATE_DESCRIPTION)
    base_currency: str = Field(description="The base currency the rate was saved against.")
    applies: bool = Field(
        description="false when the account's base currency changed since: statistics do not use the rate until it "
        "is saved again."
    )
    version: int = Field(description="Changes with every change of the rate; also its ETag.")
    updated_at: dt.datetime


class ExchangeRatePage(Schema):
    items: list[ExchangeRateOut]
    next: str | None = Field(None, description="Always null: the rates come in one page.")


class ExchangeRateIn(InSchema):
    currency: str = Field(max_length=40, description="A three-letter code, e.g. EUR; not the base currency.")
    rate: str = Field(max_length=40, description=RATE_DESCRIPTION)


class ExchangeRatePatch(InSchema):
    version: Id | None = optional_version()
    rate: str = Field(max_length=40, description=RATE_DESCRIPTION + " Saving ties it to the current base currency.")


def exchange_rate_out(rate: Any, *, base_currency: str) -> dict[str, Any]:
    return {
        "id": rate.pk,
        "currency": rate.currency,
        "rate": format(rate.rate.normalize(), "f"),
        "base_currency": rate.base_currency,
        "applies": rate.base_currency == base_currency,
        "version": rate.version,
        "updated_at": rate.updated_at,
    }


def touch_stats_out(stats: TouchStats) -> dict[str, Any]:
    """The body of `/stats/sources?group_by=last_touch` (or `first_touch`): the rows in the catalogue's order."""

    def row(r: TouchRow) -> dict[str, Any]:
        return {
            "source": _source(r.source),
            "companies": r.companies,
            "persons": r.persons,
            "persons_share": r.persons_share,
            "deals": r.deals,
            "tracked": r.tracked,
            "reported": r.reported,
            "agree": r.agree,
            "answered": r.answered,
            "agreement": r.agreement,
        }

    return {
        "group_by": stats.group_by,
        "period": _period(stats.period),
        "rows": [row(r) for r in stats.rows],
        "total": row(stats.total),
    }
