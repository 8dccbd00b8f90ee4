"""API: deals. The same services as the UI; the account is the token's."""

from __future__ import annotations

from headwater.deals import selectors, services
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
from headwater.records.api import RecordEndpoints, record_router

ENDPOINTS = RecordEndpoints[Deal](
    model=Deal,
    noun="deal",
    plural="deals",
    create=services.deal_create,
    update=services.deal_update,
    delete=services.deal_delete,
    out=DealOut,
    page=DealPage,
    create_in=DealIn,
    patch_in=DealPatch,
    bulk_in=DealBulkIn,
    bulk_out=DealBulkOut,
    filters=DealFilters,
    read_page=selectors.deal_page,
    list_filters=selectors.DealFilters,
    ordering=DEAL_ORDERING,
    delete_summary="Delete a deal",
)

router = record_router(ENDPOINTS)
