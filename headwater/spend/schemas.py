"""API schemas of the spend ledger. Money travels as a decimal string ("1200.50"), never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from headwater.core.api_schemas import Id, IdQuery, InSchema, optional_version, text
from headwater.core.dates import FilterDay

AMOUNT_DESCRIPTION = 'A decimal string with at most 2 decimal places, more than 0, e.g. "1200.50".'
# Years 1900 to 2999, as every other day a user gives (core.dates).
MONTH_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})-(0[1-9]|1[0-2])$"
MONTH_DESCRIPTION = 'A month, "2026-11": the entry covers its days. Instead of start_date and end_date.'
_CENT = Decimal("0.01")


class SpendOut(Schema):
    id: int
    source_id: int
    source_name: str = Field(description="Read-only: the source's current name.")
    campaign_id: int | None
    campaign_name: str | None = Field(description="Read-only: the campaign's current name.")
    month: str | None = Field(description='"2026-11" when the entry covers exactly one calendar month, else null.')
    start_date: dt.date
    end_date: dt.date
    amount: str = Field(description=AMOUNT_DESCRIPTION)
    currency: str
    note: str
    created_by_id: int | None
    version: int = Field(description="Changes with every change; also its ETag. Send it back to refuse stale writes.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_source_name(obj: Any) -> str:
        return str(obj.source.name)

    @staticmethod
    def resolve_campaign_name(obj: Any) -> str | None:
        return None if obj.campaign_id is None else str(obj.campaign.name)

    @staticmethod
    def resolve_month(obj: Any) -> str | None:
        return obj.start_date.strftime("%Y-%m") if obj.is_month else None

    @staticmethod
    def resolve_amount(obj: Any) -> str:
        return str(Decimal(obj.amount).quantize(_CENT))


class SpendPage(Schema):
    items: list[SpendOut]
    next: str | None = Field(None, description="The cursor of the next page; null on the last one.")


class SpendFiltersIn(Schema):
    source_id: IdQuery | None = Field(None, description="Only this source's entries.")
    campaign_id: IdQuery | None = Field(None, description="Only this campaign's entries.")
    date_from: FilterDay | None = Field(None, alias="from", description="Only entries reaching this day or later.")
    date_to: FilterDay | None = Field(None, alias="to", description="Only entries starting this day or earlier.")


def month_of(value: str | None) -> dt.date | None:
    """The first day of a "YYYY-MM" month (the schema's pattern has checked it)."""
    if value is None:
        return None
    return dt.date(int(value[:4]), int(value[5:7]), 1)


class SpendIn(InSchema):
    source_id: Id = Field(description="A source of the account.")
    campaign_id: Id | None = Field(None, description="A campaign of that source; null: the source as a whole.")
    month: str | None = Field(None, pattern=MONTH_PATTERN, description=MONTH_DESCRIPTION)
    start_date: dt.date | None = Field(None, description="The first day, with end_date, instead of month.")
    end_date: dt.date | None = Field(None, description="The last day (included), not before start_date.")
    amount: str = Field(max_length=40, description=AMOUNT_DESCRIPTION)
    currency: str | None = Field(
        None, max_length=3, description="Three letters; omitted or null: the account's currency."
    )
    note: str = text(500, "")


class SpendPatch(InSchema):
    version: Id | None = optional_version()
    source_id: Id | None = None
    campaign_id: Id | None = None
    month: str | None = Field(None, pattern=MONTH_PATTERN, description=MONTH_DESCRIPTION)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    amount: str | None = Field(None, max_length=40, description=AMOUNT_DESCRIPTION)
    currency: str | None = Field(None, max_length=3)
    note: str | None = text(500, None)
