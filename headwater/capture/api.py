"""API: POST /api/v1/leads, a lead with the visit that brought it (integrations, landing-page builders)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Status

from headwater.capture.models import CLICK_IDS, UTM_FIELDS
from headwater.capture.schemas import LeadIn, LeadOut
from headwater.capture.services import lead_capture
from headwater.core.types import UNSET
from headwater.records.api import source_from_name
from headwater.records.models import RecordOrigin
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=None, write=Role.MEMBER)


@router.post("", response={200: LeadOut, 201: LeadOut}, summary="Add a lead with its touch")
def lead_create(request: HttpRequest, payload: LeadIn) -> Status[dict[str, Any]]:
    """A new person, or a new touch on the person with the same e-mail (then the same phone number). Answers 201
    when the person was created, 200 when it returned."""
    account = account_of(request)
    sent = set(payload.model_fields_set)
    data = payload.model_dump(include={"source_id", "source_name"} & sent)
    source_from_name(account=account, sent=sent, data=data)
    source: Any = data["source_id"] if "source_id" in sent else UNSET
    touch = payload.touch.model_dump()
    channel = touch.pop("channel") if "channel" in payload.touch.model_fields_set else _("API")
    result = lead_capture(
        account=account,
        user=user_of(request),
        channel=channel,
        person=payload.person.model_dump(),
        company=payload.company.model_dump() if payload.company is not None else None,
        deal=payload.deal.model_dump() if payload.deal is not None else None,
        touch=touch,
        source=source,
        self_reported=payload.self_reported,
        origin=RecordOrigin.API,
    )
    touch_row = result.touch
    facts = {name: getattr(touch_row, name) for name in (*UTM_FIELDS, *CLICK_IDS, "referrer", "landing_url")}
    return Status(
        201 if result.person_created else 200,
        {
            **facts,
            "at": touch_row.at,
            "channel": touch_row.channel,
            "consent": touch_row.consent,
            "self_reported": touch_row.self_reported,
            "person_id": result.person.pk,
            "person_created": result.person_created,
            "company_id": result.company.pk if result.company else None,
            "deal_id": result.deal.pk if result.deal else None,
            "touch_id": touch_row.pk,
            "source_id": touch_row.resolved_source_id,
            "campaign_id": result.campaign.pk if result.campaign is not None else None,
            "resolution": touch_row.resolution,
            "explanation": touch_row.explanation,
            "self_reported_source_id": touch_row.reported_source_id,
        },
    )
