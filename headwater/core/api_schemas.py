"""Building blocks the resource schemas share: ids, texts, the fields every record carries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ObjectDoesNotExist
from ninja import Path, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, Field, StrictInt, model_validator

# Ids are 64-bit in both databases; a larger number can only be a mistake, so it is refused before any query.
MAX_ID = 2**63 - 1

Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int, Field(ge=1, le=MAX_ID)]
SOURCE_FILTER_PATTERN = r"^(none|[1-9][0-9]{0,17})$"


def optional_version() -> Any:
    """A write's optional `version` (see core/api_preconditions.py)."""
    return Field(
        None,
        description="Optional: the version you read (or send its ETag as If-Match); a stale one answers 409 and "
        "changes nothing. Omitted: no check, the fields sent overwrite the current ones.",
    )


def text(max_length: int, default: Any = ..., description: str | None = None) -> Any:
    """A text field of at most `max_length` characters as sent (the service then trims and checks the rest)."""
    return Field(default, max_length=max_length, description=description)


def source_name_field() -> Any:
    """A record body's `source_name`: the source by its name or an alias, instead of `source_id`."""
    return Field(
        None,
        max_length=100,
        description="Instead of source_id: the source's name, one of its aliases, or the same name in another case "
        "or without accents; a name that matches no source is a 400. Not both.",
    )


class InSchema(Schema):
    """Request bodies: an unknown field is an error (no mass assignment of account, id, version, created_by...)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: Any) -> Any:
        # ninja's Schema reads any value's attributes (from_attributes): without this a number sent where an object
        # belongs would pass as an object with every field left out. ninja calls this again with its DjangoGetter.
        if isinstance(value, dict | DjangoGetter | cls):
            return value
        raise ValueError("must be a JSON object")


class RecordOut(Schema):
    id: int
    version: int = Field(
        description="Changes with every change of the record; also its ETag. Send it back with PATCH or DELETE "
        "(body or If-Match) to refuse a change of a record someone else changed (409)."
    )
    created_at: datetime
    updated_at: datetime
    owner_id: int | None
    source_id: int | None
    source_name: str | None = Field(description="Read-only: the source's current name.")
    campaign_id: int | None = Field(description="A campaign of the record's source, or null.")
    campaign_name: str | None = Field(description="Read-only: the campaign's current name.")
    notes: str
    origin: str = Field(
        description="Read-only: how the record was created: `hand` (in the app), `api`, `import`, `web_form`, `demo` "
        "(the demo data), or `unknown` (created before Headwater recorded it). Separate from its source."
    )
    origin_import_id: int | None = Field(description="Read-only: the import that created it (origin `import`).")

    @staticmethod
    def resolve_campaign_name(obj: Any) -> str | None:
        if obj.campaign_id is None:
            return None
        try:
            return str(obj.campaign.name)
        except ObjectDoesNotExist:
            return None

    @staticmethod
    def resolve_source_name(obj: Any) -> str | None:
        if obj.source_id is None:
            return None
        try:
            return str(obj.source.name)
        except ObjectDoesNotExist:
            # Deleted by an admin between this write's commit and its answer (the soak test's race): the record's
            # source is cleared by then; the answer still says which id it was written with.
            return None
