"""API: companies. The same services as the UI; the account is the token's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from headwater.companies import services
from headwater.companies.models import Company
from headwater.companies.schemas import (
    COMPANY_ORDERING,
    CompanyBulkIn,
    CompanyBulkOut,
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
)
from headwater.core.api_auth import account_of, require_role, user_of
from headwater.core.api_pagination import Page, PageParams, keyset_page
from headwater.core.api_records import bulk_create, filter_links, patch_kwargs, record_get, search, service_kwargs
from headwater.core.api_schemas import IdPath
from headwater.users.models import Role

router = Router()


@router.get("", response=CompanyPage, summary="List companies")
def company_list(request: HttpRequest, filters: Query[CompanyFilters], page: Query[PageParams]) -> Page[Company]:
    qs: QuerySet[Company] = Company.objects.for_account(account_of(request)).select_related("source")
    qs = filter_links(qs, owner_id=filters.owner_id, source_id=filters.source_id)
    qs = search(qs, filters.q)
    return keyset_page(qs, ordering=filters.ordering, allowed=COMPANY_ORDERING, cursor=page.cursor, limit=page.limit)


@router.post("", response={201: CompanyOut}, summary="Create a company")
def company_create(request: HttpRequest, payload: CompanyIn) -> Status[Company]:
    require_role(request, Role.MEMBER)
    company = services.company_create(
        account=account_of(request), user=user_of(request), **service_kwargs(payload, creating=True)
    )
    return Status(201, company)


@router.post("/bulk", response={201: CompanyBulkOut}, summary="Create up to 1,000 companies, all or nothing")
def company_bulk_create(request: HttpRequest, payload: CompanyBulkIn) -> Status[dict[str, list[Company]]]:
    require_role(request, Role.MEMBER)
    account, user = account_of(request), user_of(request)
    items = bulk_create(payload.items, lambda kwargs: services.company_create(account=account, user=user, **kwargs))
    return Status(201, {"items": items})


@router.get("/{company_id}", response=CompanyOut, summary="One company")
def company_get(request: HttpRequest, company_id: IdPath) -> Company:
    return record_get(Company, account=account_of(request), pk=company_id)


@router.patch("/{company_id}", response=CompanyOut, summary="Change a company (send the version you read)")
def company_update(request: HttpRequest, company_id: IdPath, payload: CompanyPatch) -> Company:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    company = record_get(Company, account=account, pk=company_id)
    version, changes = patch_kwargs(payload)
    return services.company_update(account=account, user=user_of(request), company=company, version=version, **changes)


@router.delete("/{company_id}", response={204: None}, summary="Delete a company (its persons and deals stay)")
def company_delete(request: HttpRequest, company_id: IdPath) -> Status[None]:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    company = record_get(Company, account=account, pk=company_id)
    services.company_delete(account=account, user=user_of(request), company=company)
    return Status(204, None)
