"""API schemas for persons."""

from __future__ import annotations

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
from headwater.persons.selectors import PERSON_SORTS

# The API's documented `ordering` names for the list's sorts (selectors.PERSON_SORTS): `last_name` is the pages'
# "name", the last name then the first.
PERSON_ORDERING = api_sorts(PERSON_SORTS, last_name="name", created_at="created")


class PersonOut(RecordOut):
    first_name: str
    last_name: str
    email: str
    phone: str
    position: str
    company_id: int | None


class PersonPage(Schema):
    items: list[PersonOut]
    next: str | None


class PersonIn(InSchema):
    first_name: str = text(100, "")
    last_name: str = text(100)
    email: str = text(254, "")
    phone: str = text(50, "")
    position: str = text(150, "")
    company_id: Id | None = None
    owner_id: Id | None = None
    notes: str = ""
    source_id: Id | None = Field(
        None,
        description="Omit to apply the account's default rule (the company's source, when that option is on); "
        "null for no source.",
    )
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class PersonPatch(InSchema):
    version: Id | None = optional_version()
    first_name: str | None = text(100, None)
    last_name: str | None = text(100, None)
    email: str | None = text(254, None)
    phone: str | None = text(50, None)
    position: str | None = text(150, None)
    company_id: Id | None = None
    owner_id: Id | None = None
    notes: str | None = None
    source_id: Id | None = None
    source_name: str | None = source_name_field()
    campaign_id: Id | None = Field(
        None,
        description="A campaign of the account (active) whose source is the record's; with no source sent or null, "
        "the record takes the campaign's source. Another source's campaign is a 400.",
    )


class PersonBulkIn(InSchema):
    items: list[PersonIn] = Field(json_schema_extra={"maxItems": 1000})


class PersonBulkOut(Schema):
    items: list[PersonOut]


class PersonFilters(Schema):
    q: str | None = Field(
        None,
        max_length=200,
        description="Words that must all occur in the name, e-mail, phone, position or company name; "
        "a word of one or two letters must begin a word there.",
    )
    company_id: IdQuery | None = None
    owner_id: IdQuery | None = None
    source_id: str | None = Field(None, pattern=SOURCE_FILTER_PATTERN, description="A source id, or `none`.")
    campaign_id: IdQuery | None = Field(None, description="A campaign id: the records carrying it.")
    ordering: str = Field(
        "id", pattern=ordering_pattern(PERSON_ORDERING), description="id, last_name, created_at; - for descending."
    )
