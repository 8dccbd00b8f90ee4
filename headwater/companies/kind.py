"""The company kind, declared once: registered when Django starts the app (apps.py)."""

from __future__ import annotations

from headwater.companies import api, views
from headwater.companies.models import Company
from headwater.records.registry import RecordKind
from headwater.records.search import company_search_key

COMPANY = RecordKind(
    model=Company,
    search_fields=("name", "tax_id", "email", "phone", "city", "website", "regon"),
    search_key=company_search_key,
    name_fields=("name",),
    pages=views.PAGES,
    endpoints=api.ENDPOINTS,
    word_start_columns=("name",),
)
