"""API: persons. The same services as the UI; the account is the token's."""

from __future__ import annotations

from headwater.persons import selectors, services
from headwater.persons.models import Person
from headwater.persons.schemas import (
    PERSON_ORDERING,
    PersonBulkIn,
    PersonBulkOut,
    PersonFilters,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
)
from headwater.records.api import RecordEndpoints, record_router

ENDPOINTS = RecordEndpoints[Person](
    model=Person,
    noun="person",
    plural="persons",
    create=services.person_create,
    update=services.person_update,
    delete=services.person_delete,
    out=PersonOut,
    page=PersonPage,
    create_in=PersonIn,
    patch_in=PersonPatch,
    bulk_in=PersonBulkIn,
    bulk_out=PersonBulkOut,
    filters=PersonFilters,
    read_page=selectors.person_page,
    list_filters=selectors.PersonFilters,
    ordering=PERSON_ORDERING,
    delete_summary="Delete a person (their deals stay)",
)

router = record_router(ENDPOINTS)
