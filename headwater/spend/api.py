"""API: the spend ledger. Every member reads; only admins write. The same services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Status

from headwater.core.api_pagination import PageParams, api_page
from headwater.core.api_preconditions import expected_version, if_match_version, precondition_openapi, set_etag
from headwater.core.api_schemas import IdPath
from headwater.core.errors import ValidationFailed
from headwater.core.pagination import keyset_page
from headwater.spend import selectors, services
from headwater.spend.models import SpendEntry
from headwater.spend.schemas import SpendFiltersIn, SpendIn, SpendOut, SpendPage, SpendPatch, month_of
from headwater.users.api_auth import AccountRouter, account_of, user_of
from headwater.users.models import Role

router = AccountRouter(read=Role.VIEWER, write=Role.ADMIN)


def _with_etag(response: HttpResponse, entry: SpendEntry) -> SpendEntry:
    set_etag(response, entry.version)
    return entry


@router.get("", response=SpendPage, summary="List the spend entries, newest period first")
def spend_list(request: HttpRequest, filters: Query[SpendFiltersIn], page: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.spend_list(
        account=account_of(request),
        filters=selectors.SpendFilters(
            source_id=filters.source_id,
            campaign_id=filters.campaign_id,
            first=filters.date_from,
            last=filters.date_to,
        ),
    )
    return api_page(keyset_page, sorts=selectors.SPEND_SORTS, ordering="-start_date", page=page, qs=qs)


@router.post(
    "",
    response={201: SpendOut},
    summary="Add a spend entry: a month or a date range, for a source or one of its campaigns (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(201,)),
)
def spend_create(request: HttpRequest, payload: SpendIn, response: HttpResponse) -> Status[SpendEntry]:
    entry = services.spend_create(
        account=account_of(request),
        user=user_of(request),
        source=payload.source_id,
        campaign=payload.campaign_id,
        month=month_of(payload.month),
        start_date=payload.start_date,
        end_date=payload.end_date,
        amount=payload.amount,
        currency=payload.currency,
        note=payload.note,
    )
    return Status(201, _with_etag(response, entry))


@router.get(
    "/{entry_id}",
    response=SpendOut,
    summary="One spend entry",
    openapi_extra=precondition_openapi(etag_statuses=(200,)),
)
def spend_get(request: HttpRequest, entry_id: IdPath, response: HttpResponse) -> SpendEntry:
    return _with_etag(response, selectors.spend_get(account=account_of(request), entry_id=entry_id))


@router.patch(
    "/{entry_id}",
    response=SpendOut,
    summary="Change a spend entry: only the fields sent (admin)",
    openapi_extra=precondition_openapi(etag_statuses=(200,), if_match=True),
)
def spend_update(request: HttpRequest, entry_id: IdPath, payload: SpendPatch, response: HttpResponse) -> SpendEntry:
    version = expected_version(request, payload.version)
    account = account_of(request)
    entry = selectors.spend_get(account=account, entry_id=entry_id)
    sent = payload.model_fields_set - {"version"}
    for required in ("source_id", "amount", "month", "start_date", "end_date"):
        if required in sent and getattr(payload, required) is None:
            raise ValidationFailed.on(required, _("This field cannot be null."))
    changes: dict[str, Any] = {}
    names = {"source_id": "source", "campaign_id": "campaign"}
    for field in sent:
        value = getattr(payload, field)
        changes[names.get(field, field)] = month_of(value) if field == "month" else value
    updated = services.spend_update(account=account, user=user_of(request), entry=entry, version=version, **changes)
    return _with_etag(response, selectors.spend_get(account=account, entry_id=updated.pk))


@router.delete(
    "/{entry_id}",
    response={204: None},
    summary="Delete a spend entry (admin)",
    openapi_extra=precondition_openapi(if_match=True),
)
def spend_delete(request: HttpRequest, entry_id: IdPath) -> Status[None]:
    version = if_match_version(request)
    account = account_of(request)
    entry = selectors.spend_get(account=account, entry_id=entry_id)
    services.spend_delete(account=account, user=user_of(request), entry=entry, version=version)
    return Status(204, None)
