"""API: companies. The same services as the UI; the account is the token's."""

from __future__ import annotations

from headwater.companies import selectors, services
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
from headwater.records.api import RecordEndpoints, record_router
from headwater.records.listing import RecordFilters

ENDPOINTS = RecordEndpoints[Company](
    model=Company,
    noun="company",
    plural="companies",
    create=services.company_create,
    update=services.company_update,
    delete=services.company_delete,
    out=CompanyOut,
    page=CompanyPage,
    create_in=CompanyIn,
    patch_in=CompanyPatch,
    bulk_in=CompanyBulkIn,
    bulk_out=CompanyBulkOut,
    filters=CompanyFilters,
    read_page=selectors.company_page,
    list_filters=RecordFilters,
    ordering=COMPANY_ORDERING,
    delete_summary="Delete a company (its persons and deals stay)",
)

router = record_router(ENDPOINTS)
