"""API: persons. The same services as the UI; the account is the token's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from headwater.core.api_auth import account_of, require_role, user_of
from headwater.core.api_pagination import Page, PageParams, keyset_page
from headwater.core.api_records import bulk_create, filter_links, patch_kwargs, record_get, search, service_kwargs
from headwater.core.api_schemas import IdPath
from headwater.persons import services
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
from headwater.users.models import Role

router = Router()


@router.get("", response=PersonPage, summary="List persons")
def person_list(request: HttpRequest, filters: Query[PersonFilters], page: Query[PageParams]) -> Page[Person]:
    qs: QuerySet[Person] = Person.objects.for_account(account_of(request)).select_related("source")
    qs = filter_links(qs, company_id=filters.company_id, owner_id=filters.owner_id, source_id=filters.source_id)
    qs = search(qs, filters.q)
    return keyset_page(qs, ordering=filters.ordering, allowed=PERSON_ORDERING, cursor=page.cursor, limit=page.limit)


@router.post("", response={201: PersonOut}, summary="Create a person")
def person_create(request: HttpRequest, payload: PersonIn) -> Status[Person]:
    require_role(request, Role.MEMBER)
    person = services.person_create(
        account=account_of(request), user=user_of(request), **service_kwargs(payload, creating=True)
    )
    return Status(201, person)


@router.post("/bulk", response={201: PersonBulkOut}, summary="Create up to 1,000 persons, all or nothing")
def person_bulk_create(request: HttpRequest, payload: PersonBulkIn) -> Status[dict[str, list[Person]]]:
    require_role(request, Role.MEMBER)
    account, user = account_of(request), user_of(request)
    items = bulk_create(payload.items, lambda kwargs: services.person_create(account=account, user=user, **kwargs))
    return Status(201, {"items": items})


@router.get("/{person_id}", response=PersonOut, summary="One person")
def person_get(request: HttpRequest, person_id: IdPath) -> Person:
    return record_get(Person, account=account_of(request), pk=person_id)


@router.patch("/{person_id}", response=PersonOut, summary="Change a person (send the version you read)")
def person_update(request: HttpRequest, person_id: IdPath, payload: PersonPatch) -> Person:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    person = record_get(Person, account=account, pk=person_id)
    version, changes = patch_kwargs(payload)
    return services.person_update(account=account, user=user_of(request), person=person, version=version, **changes)


@router.delete("/{person_id}", response={204: None}, summary="Delete a person (their deals stay)")
def person_delete(request: HttpRequest, person_id: IdPath) -> Status[None]:
    require_role(request, Role.MEMBER)
    account = account_of(request)
    person = record_get(Person, account=account, pk=person_id)
    services.person_delete(account=account, user=user_of(request), person=person)
    return Status(204, None)
