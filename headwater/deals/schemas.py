"""API schemas for deals. Money travels as a decimal string ("1234.50"), never a float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from headwater.core.api_pagination import api_sorts, ordering_pattern
from headwater.core.api_schemas import (
    SOURCE_FILTER_PATTERN,
    Id,
    IdQuery,
    InSchema,
    RecordOut,
    optional_version,
    source_name_field,
    text,
)
from headwater.deals.selectors import DEAL_SORTS

# The API's documented `ordering` names for the list's sorts (selectors.DEAL_SORTS).
DEAL_ORDERING = api_sorts(DEAL_SORTS, name="name", created_at="created", value="value", closed_at="closed")
StatusName = Literal["open", "won", "lost"]
_CENT = Decimal("0.01")
VALUE_DESCRIPTION = 'A decimal string with at most 2 decimal places, e.g. "1234.50"; at least 0.'
# The rules themselves live in deals/services.py (one validator for the form and the API).
EXPECTED_CLOSE_DESCRIPTION = "Between 1900-01-01 and 2100-12-31."
CLOSED_AT_DESCRIPTION = (
    "For won/lost deals: not before the day the deal was created, not after today in the account's time zone; "
    "defaults to today when the deal closes and it is omitted."
)


class DealOut(RecordOut):
    name: str
    value: str = Field(description=VALUE_DESCRIPTION)
    currency: str
    status: StatusName
    company_id: int | None
    person_id: int | None
    expected_close_date: date | None
    closed_at: date | None = Field(description="The day (in the account's time zone) the deal was won or lost.")
    lost_reason: str

    @staticmethod
    def resolve_value(obj: Any) -> str:
        return str(Decimal(obj.value).quantize(_CENT))


class DealPage(Schema):
    items: list[DealOut]
    next: str | None


class DealIn(InSchema):
    name: str = text(200)
    value: str = Field("0.00", max_length=40, description=VALUE_DESCRIPTION)
    currency: str | None = Field(
        None, max_length=3, description="Three letters; omitted or null: the account's currency."
    )
    status: StatusName = "open"
    expected_close_date: date | None = Field(None, description=EXPECTED_CLOSE_DESCRIPTION)
    closed_at: date | None = Field(None, description=CLOSED_AT_DESCRIPTION)
    lost_reason: str = text(300, "", "Only for lost deals.")
    company_id: Id | None = None
    person_id: Id | None = None
    owner_id: Id | None = None
    notes: str = ""
    source_id: Id | None = Field(
        None,
        description="Omit to apply the account's default rule (the person's source, else the company's, when that "
        "option is on); null for no source.",
    )
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class DealPatch(InSchema):
    version: Id | None = optional_version()
    name: str | None = text(200, None)
    value: str | None = Field(None, max_length=40, description=VALUE_DESCRIPTION)
    currency: str | None = text(3, None)
    status: StatusName | None = None
    expected_close_date: date | None = Field(None, description=EXPECTED_CLOSE_DESCRIPTION)
    closed_at: date | None = Field(None, description=CLOSED_AT_DESCRIPTION)
    lost_reason: str | None = text(300, None)
    company_id: Id | None = None
    person_id: Id | None = None
    owner_id: Id | None = None
    notes: str | None = None
    source_id: Id | None = None
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class DealBulkIn(InSchema):
    items: list[DealIn] = Field(json_schema_extra={"maxItems": 1000})


class DealBulkOut(Schema):
    items: list[DealOut]


class DealFilters(Schema):
    q: str | None = Field(
        None,
        max_length=200,
        description="Words that must all occur in the deal name or its company or person name; "
        "a word of one or two letters must begin a word there.",
    )
    status: StatusName | None = None
    company_id: IdQuery | None = None
    person_id: IdQuery | None = None
    owner_id: IdQuery | None = None
    source_id: str | None = Field(None, pattern=SOURCE_FILTER_PATTERN, description="A source id, or `none`.")
    campaign_id: IdQuery | None = Field(None, description="A campaign id: the records carrying it.")
    ordering: str = Field(
        "id",
        pattern=ordering_pattern(DEAL_ORDERING),
        description="id, name, created_at, value, closed_at; - for descending. By closed_at, open deals (no close "
        "day) come first ascending and last descending.",
    )
