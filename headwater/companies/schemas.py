"""API schemas for companies."""

from __future__ import annotations

from ninja import Field, Schema

from headwater.companies.selectors import COMPANY_SORTS
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

# The API's documented `ordering` names for the list's sorts (selectors.COMPANY_SORTS).
COMPANY_ORDERING = api_sorts(COMPANY_SORTS, name="name", created_at="created")


class CompanyOut(RecordOut):
    name: str
    tax_id: str
    regon: str
    website: str
    email: str
    phone: str
    street: str
    postal_code: str
    city: str
    country: str


class CompanyPage(Schema):
    items: list[CompanyOut]
    next: str | None


class CompanyIn(InSchema):
    name: str = text(200)
    tax_id: str = text(32, "")
    regon: str = text(20, "", description="9 or 14 digits (spaces and dashes are taken off); checked.")
    website: str = text(300, "")
    email: str = text(254, "")
    phone: str = text(50, "")
    street: str = text(200, "")
    postal_code: str = text(20, "")
    city: str = text(100, "")
    country: str = text(100, "")
    owner_id: Id | None = None
    notes: str = ""
    source_id: Id | None = Field(None, description="Omit to apply the account's default rule; null for no source.")
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class CompanyPatch(InSchema):
    version: Id | None = optional_version()
    name: str | None = text(200, None)
    tax_id: str | None = text(32, None)
    regon: str | None = text(20, None, description="9 or 14 digits; checked. Empty: none.")
    website: str | None = text(300, None)
    email: str | None = text(254, None)
    phone: str | None = text(50, None)
    street: str | None = text(200, None)
    postal_code: str | None = text(20, None)
    city: str | None = text(100, None)
    country: str | None = text(100, None)
    owner_id: Id | None = None
    notes: str | None = None
    source_id: Id | None = None
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class CompanyBulkIn(InSchema):
    items: list[CompanyIn] = Field(json_schema_extra={"maxItems": 1000})


class CompanyBulkOut(Schema):
    items: list[CompanyOut]


class CompanyFilters(Schema):
    q: str | None = Field(
        None,
        max_length=200,
        description="Words that must all occur in the name, tax ID, REGON, e-mail, phone, city or website; "
        "a word of one or two letters must begin a word there.",
    )
    owner_id: IdQuery | None = None
    source_id: str | None = Field(None, pattern=SOURCE_FILTER_PATTERN, description="A source id, or `none`.")
    campaign_id: IdQuery | None = Field(None, description="A campaign id: the records carrying it.")
    ordering: str = Field(
        "id", pattern=ordering_pattern(COMPANY_ORDERING), description="id, name, created_at; - for descending."
    )
