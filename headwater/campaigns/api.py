"""API: campaigns. Every member reads; only admins change them. The same services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.campaigns import selectors, services
from headwater.campaigns.models import Campaign
from headwater.campaigns.schemas import CampaignFilters, CampaignIn, CampaignOut, CampaignPage, CampaignPatch
from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import IdPath
from headwater.core.errors import ValidationFailed
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)


def _with_etag(response: HttpResponse, campaign: Campaign) -> Campaign:
    set_etag(response, campaign.version)
    return campaign


@router.get("", response=CampaignPage, summary="List the campaigns, by source then name")
def campaign_list(request: HttpRequest, filters: Query[CampaignFilters]) -> dict[str, Any]:
    items = selectors.campaign_list(account=account_of(request), source=filters.source_id, archived=filters.archived)
    return {"items": list(items), "next": None}


@router.post(
    "",
    response={201: CampaignOut},
    summary="Add a campaign under a source (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(201,)),
)
def campaign_create(request: HttpRequest, payload: CampaignIn, response: HttpResponse) -> Status[Campaign]:
    campaign = services.campaign_create(
        account=account_of(request),
        user=user_of(request),
        source=payload.source_id,
        name=payload.name,
        start_date=payload.start_date,
        end_date=payload.end_date,
        budget=payload.budget,
        currency=payload.currency,
    )
    return Status(201, _with_etag(response, campaign))


@router.get(
    "/{campaign_id}",
    response=CampaignOut,
    summary="One campaign",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def campaign_get(request: HttpRequest, campaign_id: IdPath, response: HttpResponse) -> Campaign:
    return _with_etag(response, selectors.campaign_get(account=account_of(request), campaign_id=campaign_id))


@router.patch(
    "/{campaign_id}",
    response=CampaignOut,
    summary="Change a campaign: only the fields sent; archived true/false archives or restores it (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def campaign_update(
    request: HttpRequest, campaign_id: IdPath, payload: CampaignPatch, response: HttpResponse
) -> Campaign:
    version = expected_version(request, payload.version)
    account = account_of(request)
    campaign = selectors.campaign_get(account=account, campaign_id=campaign_id)
    changes = payload.model_dump(include=payload.model_fields_set, exclude={"version"})
    for required in ("name", "start_date", "archived"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.on(required, _("This field cannot be null."))
    updated = services.campaign_update(
        account=account, user=user_of(request), campaign=campaign, version=version, **changes
    )
    return _with_etag(response, updated)


@router.delete(
    "/{campaign_id}",
    response={204: None},
    summary="Delete a campaign no record carries (admin); one in use is a 400 with the counts",
    openapi_extra=precondition_openapi(if_match=True),
)
def campaign_delete(request: HttpRequest, campaign_id: IdPath) -> Status[None]:
    version = if_match_version(request)
    account = account_of(request)
    campaign = selectors.campaign_get(account=account, campaign_id=campaign_id)
    services.campaign_delete(account=account, user=user_of(request), campaign=campaign, version=version)
    return Status(204, None)
