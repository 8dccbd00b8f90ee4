"""API: deals. The same services as the UI; the account is the token's."""

from __future__ import annotations

from django.db.models import QuerySet

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
from headwater.records.api import RecordEndpoints, record_router


def _by_status(qs: QuerySet[Deal], filters: DealFilters) -> QuerySet[Deal]:
    return qs.filter(status=filters.status) if filters.status else qs


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
    ordering=DEAL_ORDERING,
    link_filters=("company_id", "person_id", "owner_id", "source_id"),
    delete_summary="Delete a deal",
    narrow=_by_status,
)

router = record_router(ENDPOINTS)
