"""API schemas for the acquisition-source catalogue and its two switches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import StrictBool

from headwater.core.api_schemas import Id, IdQuery, InSchema, optional_version, text


class SourceUsageOut(Schema):
    companies: int
    persons: int
    deals: int


class SourceWithUsageOut(Schema):
    id: int
    name: str
    position: int
    archived: bool
    channel_id: int | None = Field(None, description="The source's channel (see /channels); null: none.")
    version: int
    created_at: datetime
    updated_at: datetime
    usage: SourceUsageOut

    @staticmethod
    def from_usage(usage: Any) -> dict[str, Any]:
        source = usage.source
        return {
            "id": source.pk,
            "name": source.name,
            "position": source.position,
            "archived": source.archived,
            "channel_id": source.channel_id,
            "version": source.version,
            "created_at": source.created_at,
            "updated_at": source.updated_at,
            "usage": usage.counts,
        }


class SourcePage(Schema):
    items: list[SourceWithUsageOut]
    next: str | None = Field(None, description="Always null: the catalogue comes in one page.")


class SourceIn(InSchema):
    name: str = text(100)


class SourcePatch(InSchema):
    version: Id | None = optional_version()
    name: str | None = text(100, None)
    archived: StrictBool | None = None
    channel_id: Id | None = Field(None, description="Put the source under this channel; null: no channel.")


class SourceVersionIn(InSchema):
    version: Id | None = Field(None, description="When given, a stale version answers 409.")


class SourceReorderIn(InSchema):
    ordered_ids: list[Id] = Field(description="Every source id of the account, exactly once, in the new order.")


class SourceMergeIn(InSchema):
    into_id: Id = Field(description="The source that receives every record; the merged one disappears.")
    version: Id | None = Field(None, description="When given, a stale version of the merged source answers 409.")


class SourceMergeOut(Schema):
    moved: int = Field(description="Records (companies, persons, deals) moved to the target source.")
    into: SourceWithUsageOut


class SourceFilters(Schema):
    archived: bool | None = Field(None, description="true: only archived; false: only active; omitted: all.")


class SourceDeleteParams(Schema):
    mode: Literal["only_if_unused", "clear"] = Field(
        "only_if_unused",
        description="only_if_unused refuses a source in use; clear removes it from its records (confirm the count).",
    )
    expected_count: int | None = Field(
        None, ge=0, le=2**62, description="With mode=clear: the number of records you confirm will lose the source."
    )


class SourceSettingsOut(Schema):
    enabled: bool
    default_from_contact: bool


class SourceSettingsPatch(InSchema):
    enabled: StrictBool | None = None
    default_from_contact: StrictBool | None = None


class SourceAliasOut(Schema):
    id: int
    text: str = Field(description="The other spelling, as typed.")
    source_id: int
    source_name: str = Field(description="Read-only: the current name of the source it stands for.")
    version: int = Field(description="Send it back (or its ETag as If-Match) with a change: a stale one answers 409.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_source_name(obj: Any) -> str:
        return str(obj.source.name)


class SourceAliasPage(Schema):
    items: list[SourceAliasOut]
    next: str | None = Field(None, description="Always null: the aliases come in one page.")


class SourceAliasIn(InSchema):
    source_id: Id = Field(description="The source this spelling stands for (archived sources may have aliases).")
    text: str = text(100, description="Another spelling of the source's name, e.g. `FB` for `Facebook Ads`.")


class SourceAliasPatch(InSchema):
    version: Id | None = optional_version()
    source_id: Id | None = Field(None, description="Point the alias at another source.")
    text: str | None = text(100, None, description="Change the spelling.")


class SourceAliasFilters(Schema):
    source_id: IdQuery | None = Field(None, description="Only the aliases of this source.")
