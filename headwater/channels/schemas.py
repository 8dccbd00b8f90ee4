"""API schemas for channels."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from headwater.core.api_schemas import Id, IdQuery, InSchema, text


class ChannelOut(Schema):
    id: int
    name: str
    position: int
    key: str = Field(description="The shipped channel this one started as (e.g. `paid_search`), empty for your own.")
    sources: int = Field(description="How many sources are in the channel.")
    created_at: datetime
    updated_at: datetime


class ChannelPage(Schema):
    items: list[ChannelOut]
    unassigned_sources: int = Field(description="Sources without a channel (the statistics' “No channel”).")
    next: str | None = Field(None, description="Always null: the list comes in one page.")


class ChannelIn(InSchema):
    name: str = text(100)


class ChannelPatch(InSchema):
    name: str | None = text(100, None)
    position: Id | None = Field(None, description="Move the channel to this place (1 = first).")


class ChannelReorderIn(InSchema):
    ids: list[Id] = Field(..., max_length=1000, description="Every channel's id, each once, in the new order.")


class ChannelDeleteParams(InSchema):
    target_id: IdQuery | None = Field(
        None, description="The channel the sources move to; omitted, they are left without a channel."
    )
