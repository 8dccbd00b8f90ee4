"""API: companies. The same services as the UI; the account is the token's."""

from __future__ import annotations

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
from headwater.records.api import RecordEndpoints, record_router

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
    ordering=COMPANY_ORDERING,
    link_filters=("owner_id", "source_id"),
    delete_summary="Delete a company (its persons and deals stay)",
)

router = record_router(ENDPOINTS)
