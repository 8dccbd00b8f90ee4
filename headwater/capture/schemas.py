"""API schemas of POST /api/v1/leads."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from headwater.capture.models import URL_MAX_LENGTH, UTM_MAX_LENGTH
from headwater.core.api_schemas import Id, InSchema, source_name_field, text


class LeadPersonIn(InSchema):
    first_name: str = text(100, "")
    last_name: str = text(100)
    email: str = text(254, "")
    phone: str = text(50, "")
    position: str = text(150, "")


class LeadCompanyIn(InSchema):
    name: str = text(200)
    website: str = text(300, "")


class LeadDealIn(InSchema):
    name: str = text(200, "", description="Omitted: “Lead: <the person's name>”.")
    value: str = Field("0.00", max_length=40)
    currency: str | None = Field(None, max_length=3)


class TouchIn(InSchema):
    """The visit that brought the lead. UTM values and click ids not sent are read from landing_url's query."""

    channel: str = text(100, "", description="The form or integration the lead came through (default: API).")
    utm_source: str = text(UTM_MAX_LENGTH, "")
    utm_medium: str = text(UTM_MAX_LENGTH, "")
    utm_campaign: str = text(UTM_MAX_LENGTH, "")
    utm_term: str = text(UTM_MAX_LENGTH, "")
    utm_content: str = text(UTM_MAX_LENGTH, "")
    gclid: str = text(UTM_MAX_LENGTH, "")
    fbclid: str = text(UTM_MAX_LENGTH, "")
    msclkid: str = text(UTM_MAX_LENGTH, "")
    li_fat_id: str = text(UTM_MAX_LENGTH, "")
    referrer: str = text(URL_MAX_LENGTH, "")
    landing_url: str = text(URL_MAX_LENGTH, "")
    consent: bool = False


class LeadIn(InSchema):
    person: LeadPersonIn
    company: LeadCompanyIn | None = None
    deal: LeadDealIn | None = Field(None, description="Send it (even {}) to open a new deal with this lead.")
    touch: TouchIn = Field(default_factory=TouchIn)
    source_id: Id | None = Field(
        None, description="Omit to take the source from the tracked visit (the mapping rules); null for none."
    )
    source_name: str | None = source_name_field()
    self_reported: str = text(
        UTM_MAX_LENGTH,
        "",
        description="The lead's own answer to “How did you hear about us?”, kept beside the tracked source.",
    )


class LeadOut(Schema):
    """The touch stored (its facts as kept), with the records it concerns and the source it resolved to."""

    touch_id: int
    at: datetime
    channel: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    gclid: str
    fbclid: str
    msclkid: str
    li_fat_id: str
    referrer: str
    landing_url: str
    consent: bool
    self_reported: str
    person_id: int
    person_created: bool
    company_id: int | None
    deal_id: int | None
    source_id: int | None = Field(description="The source the touch resolved to (null: none).")
    campaign_id: int | None = Field(
        description=(
            "The campaign the new records took: the campaign of the touch's source that utm_campaign names (null: "
            "none named, none matched, or no new record of that source; the value stays on the touch)."
        )
    )
    resolution: str
    explanation: str
    self_reported_source_id: int | None
