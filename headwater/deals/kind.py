"""The deal kind, declared once: registered when Django starts the app (apps.py)."""

from __future__ import annotations

from headwater.deals import api, views
from headwater.deals.models import Deal
from headwater.records.registry import RecordKind
from headwater.records.search import deal_search_key

DEAL = RecordKind(
    model=Deal,
    search_fields=("name", "company_id", "person_id"),
    search_key=deal_search_key,
    name_fields=("name",),
    pages=views.PAGES,
    endpoints=api.ENDPOINTS,
)
