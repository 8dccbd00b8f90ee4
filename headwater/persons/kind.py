"""The person kind, declared once: registered when Django starts the app (apps.py)."""

from __future__ import annotations

from headwater.persons import api, views
from headwater.persons.models import Person
from headwater.records.registry import RecordKind
from headwater.records.search import person_search_key

PERSON = RecordKind(
    model=Person,
    search_fields=("first_name", "last_name", "email", "phone", "position", "company_id"),
    search_key=person_search_key,
    name_fields=("first_name", "last_name"),
    pages=views.PAGES,
    endpoints=api.ENDPOINTS,
    word_start_columns=("last_name", "first_name"),
)
