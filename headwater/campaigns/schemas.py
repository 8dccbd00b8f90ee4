"""API schemas for campaigns. Money travels as a decimal string ("5000.00"), never a float."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import StrictBool

from headwater.core.api_schemas import Id, IdQuery, InSchema, optional_version, text

BUDGET_DESCRIPTION = 'A decimal string with at most 2 decimal places, e.g. "5000.00"; at least 0; null: no budget.'
_CENT = Decimal("0.01")


class CampaignOut(Schema):
    id: int
    source_id: int
    source_name: str = Field(description="Read-only: the source's current name.")
    name: str
    start_date: date
    end_date: date | None = Field(description="Null while the campaign runs.")
    budget: str | None = Field(description=BUDGET_DESCRIPTION)
    currency: str = Field(description="The budget's currency; empty without a budget.")
    archived: bool
    version: int = Field(description="Changes with every change; also its ETag. Send it back to refuse stale writes.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_source_name(obj: Any) -> str:
        return str(obj.source.name)

    @staticmethod
    def resolve_budget(obj: Any) -> str | None:
        return None if obj.budget is None else str(Decimal(obj.budget).quantize(_CENT))


class CampaignPage(Schema):
    items: list[CampaignOut]
    next: str | None = Field(None, description="Always null: the campaigns come in one page.")


class CampaignFilters(Schema):
    source_id: IdQuery | None = Field(None, description="Only this source's campaigns.")
    archived: bool | None = Field(None, description="true: only archived ones; false: only active ones.")


class CampaignIn(InSchema):
    source_id: Id = Field(description="An active source of the account; a campaign stays under it for good.")
    name: str = text(100, ..., "Unique within its source, ignoring case, accents and spacing.")
    start_date: date
    end_date: date | None = Field(None, description="Not before start_date; null while the campaign runs.")
    budget: str | None = Field(None, max_length=40, description=BUDGET_DESCRIPTION)
    currency: str | None = Field(
        None, max_length=3, description="Three letters; omitted or null with a budget: the account's currency."
    )


class CampaignPatch(InSchema):
    version: Id | None = optional_version()
    name: str | None = text(100, None)
    start_date: date | None = None
    end_date: date | None = None
    budget: str | None = Field(None, max_length=40, description=BUDGET_DESCRIPTION)
    currency: str | None = Field(None, max_length=3)
    archived: StrictBool | None = None
