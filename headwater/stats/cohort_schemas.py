"""The API's cohort parameters and answer (`GET /api/v1/stats/cohorts`): the figures of Statistics > Cohorts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from headwater.core.api_schemas import SOURCE_FILTER_PATTERN
from headwater.stats.cohorts import CohortRow, CohortTable
from headwater.stats.results import Unconverted

MONTH_PATTERN = r"^\d{4}-\d{2}$"


class CohortParams(Schema):
    start: str | None = Field(
        None, pattern=MONTH_PATTERN, description="First cohort month, YYYY-MM. Omitted: 11 months before `end`."
    )
    end: str | None = Field(
        None,
        pattern=MONTH_PATTERN,
        description="Last cohort month, YYYY-MM (at most 60 months in all). Omitted: "
        "this month in the account's time zone.",
    )
    source_id: str | None = Field(
        None, pattern=r"^\d{1,18}$", description="Only the deals, contacts and spend of this source (its id)."
    )
    channel: str | None = Field(
        None,
        pattern=SOURCE_FILTER_PATTERN,
        description="Only the sources of this channel (its id), or `none` for the sources without one.",
    )

    def form_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class UnconvertedOut(Schema):
    currency: str
    value: Decimal


class CohortRowOut(Schema):
    month: str = Field(description="The cohort month, YYYY-MM; for the total row `total`.")
    spend: Decimal
    spend_unconverted: list[UnconvertedOut]
    contacts: int
    cost_per_contact: Decimal | None
    deals: int
    open_deals: int
    won_deals: int
    lost_deals: int
    immature: bool = Field(description="More of the cohort's deals are open than closed (won or lost).")
    won_by_month: list[Decimal | None] = Field(
        description="Won value to the end of month 0, 1, 2 ... after the cohort month, cumulative; null for months "
        "not reached yet. Empty on the total row."
    )
    won_total: Decimal
    won_unconverted: list[UnconvertedOut]
    roi: Decimal | None
    roas: Decimal | None


class CohortsOut(Schema):
    currency: str
    start: str
    end: str
    source_id: int | None
    channel: str | None
    rows: list[CohortRowOut]
    total: CohortRowOut


def _apart(items: list[Unconverted]) -> list[dict[str, Any]]:
    return [{"currency": item.currency, "value": item.value} for item in items]


def _row(row: CohortRow, *, total: bool) -> dict[str, Any]:
    return {
        "month": "total" if total else row.month.strftime("%Y-%m"),
        "spend": row.spend,
        "spend_unconverted": _apart(row.spend_unconverted),
        "contacts": row.contacts,
        "cost_per_contact": row.cost_per_contact,
        "deals": row.deals,
        "open_deals": row.open_deals,
        "won_deals": row.won_deals,
        "lost_deals": row.lost_deals,
        "immature": row.immature,
        "won_by_month": [] if total else row.won,
        "won_total": row.won_total,
        "won_unconverted": _apart(row.won_unconverted),
        "roi": row.roi,
        "roas": row.roas,
    }


def cohorts_out(table: CohortTable, *, channel: str | None) -> dict[str, Any]:
    return {
        "currency": table.base_currency,
        "start": table.filters.first.strftime("%Y-%m"),
        "end": table.filters.last.strftime("%Y-%m"),
        "source_id": table.filters.source_id,
        "channel": channel or None,
        "rows": [_row(row, total=False) for row in table.rows],
        "total": _row(table.total, total=True),
    }
