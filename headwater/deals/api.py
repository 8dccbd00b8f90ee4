"""API: deals. The same services as the UI; the account is the token's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from headwater.core.api_auth import account_of, require_role, user_of
from headwater.core.api_pagination import Page, PageParams, keyset_page
from headwater.core.api_records import bulk_create, filter_links, patch_kwargs, record_get, search, service_kwargs
from headwater.core.api_schemas import IdPath
from headwater.deals import services
from headwater.deals.models import Deal
from headwater.deals.schemas import (
    DEAL_ORDERING,
    DealBulkIn,
    DealBulkOut,
    DealFilters,
    DealIn,
    DealOut,
    DealPage,
    DealPatch,
)
from headwater.users.models import Role

router = Router()


@router.get("", response=DealPage, summary="List deals")
def deal_list(request: HttpRequest, filters: Query[DealFilters], page: Query[PageParams]) -> Page[Deal]:
    qs: QuerySet[Deal] = Deal.objects.for_account(account_of(request)).select_related("source")
    qs = filter_links(
        qs,
        company_id=filters.company_id,
        person_id=filters.person_id,
        owner_id=filters.owner_id,
        source_id=filters.source_id,
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = search(qs, filters.q)
    return keyset_page(qs, ordering=filters.ordering, allowed=DEAL_ORDERING, cursor=page.cursor, limit=page.limit)


@router.post("", response={201: DealOut}, summary="Create a deal")
def deal_create(request: HttpRequest, payload: DealIn) -> Status[Deal]:
    require_role(request, Role.MEMBER)
    deal = services.deal_create(
        account=account_of(request), user=user_of(request), **service_kwargs(payload, creating=True)
    )
    return Status(201, deal)


@router.post("/bulk", response={201: DealBulkOut}, summary="Create up to 1,000 deals, all or nothing")
def deal_bulk_create(request: HttpRequest, payload: DealBulkIn) -> Status[dict[str, list[Deal]]]:
    require_role(request, Role.MEMBER)
    account, user = account_of(request), user_of(request)
    items = bulk_create(payload.items, lambda kwargs: services.deal_create(account=account, user=user, **kwargs))
    return Status(201, {"items": items})


@router.get("/{deal_id}", response=DealOut, summary="One deal")
def deal_get(request: HttpRequest, deal_id: IdPath) -> Deal:
    return record_get(Deal, account=account_of(request), pk=deal_id)


@router.patch("/{deal_id}", response=DealOut, summary="Change a deal (send the version you read)")
def deal_update(request: HttpRequest, deal_id: IdPath, payload: DealPatch) -> Deal:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    deal = record_get(Deal, account=account, pk=deal_id)
    version, changes = patch_kwargs(payload)
    return services.deal_update(account=account, user=user_of(request), deal=deal, version=version, **changes)


@router.delete("/{deal_id}", response={204: None}, summary="Delete a deal")
def deal_delete(request: HttpRequest, deal_id: IdPath) -> Status[None]:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    deal = record_get(Deal, account=account, pk=deal_id)
    services.deal_delete(account=account, user=user_of(request), deal=deal)
    return Status(204, None)
