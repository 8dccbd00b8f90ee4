"""Reads about persons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Ordering, Page, Sorts
from headwater.persons.models import Person
from headwater.records.listing import (
    LINKED_PAGE_FIELDS,
    Known,
    RecordFilters,
    filter_records,
    is_search,
    list_query,
    record_page,
)
from headwater.records.models import CrmRecord
from headwater.records.search import search_filter
from headwater.records.selectors import linked_to

# The list's sorts, the page's `?sort=` and (renamed: schemas.PERSON_ORDERING) the API's `ordering=`. Sort keys are
# non-null columns, so (key, id) orders every row exactly.
PERSON_SORTS: Sorts = {
    "name": ("last_name", "first_name"),
    "email": ("email",),
    "created": ("created_at",),
}
PERSON_DEFAULT_SORT = "name"
# The linked records the list page shows in its columns.
PERSON_PAGE_RELATED = ("owner", "source", "campaign", "company")
# The columns the list page shows (its cells, the sort keys its cursors carry): the page reads only these.
PERSON_PAGE_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "created_at",
    "company__name",
    *LINKED_PAGE_FIELDS,
)


@dataclass(frozen=True)
class PersonFilters(RecordFilters):
    company: int | None = None


def person_list(*, account: Account, filters: PersonFilters | None = None) -> QuerySet[Person]:
    qs: QuerySet[Person] = Person.objects.for_account(account, as_bigint=is_search(filters))
    if filters is not None:
        qs = filter_records(qs, filters)
        if filters.company is not None:
            qs = qs.filter(company_id=filters.company)
    return qs


def person_page(
    *,
    account: Account,
    filters: PersonFilters,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    related: Sequence[str] = PERSON_PAGE_RELATED,
    fields: Sequence[str] | None = PERSON_PAGE_FIELDS,
    known: Known | None = None,
) -> Page[Person]:
    """A page of the list, as its page and the API show it (records.listing.record_page), with the linked
    records the caller shows: the page its columns' (the default), the API the source only; and of them the
    `fields` the page shows (None: every column, as the API answers them). `known`: linked records the caller
    holds already (records.listing.Known: the list page's members, sources and campaigns), not joined."""
    qs = list_query(Person, person_list, account=account, filters=filters, related=related, fields=fields, known=known)
    return record_page(
        qs,
        filters=filters,
        ordering=ordering,
        cursor=cursor,
        page_size=page_size,
        count_limit=count_limit,
        account=account,
        known=known,
        fields=fields,
    )


def person_get(*, account: Account, pk: int) -> Person:
    person = (
        Person.objects.for_account(account)
        .select_related("owner", "source", "campaign", "company", "created_by")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise NotFound("person")
    return person


def person_lookup(*, account: Account, q: str = "", selected: int | None = None, limit: int = 50) -> list[Person]:
    """Picker options: the selected person first (so a search never changes the choice), then up to `limit`."""
    qs = search_filter(
        Person.objects.for_account(account, as_bigint=bool(q.strip())).select_related("source", "company__source"), q
    )
    rows = list(qs.order_by("last_name", "first_name", "id")[:limit])
    if selected is not None and all(r.pk != selected for r in rows):
        current = (
            Person.objects.for_account(account).select_related("source", "company__source").filter(pk=selected).first()
        )
        if current is not None:
            rows.insert(0, current)
    return rows


def person_label(person: Person) -> str:
    """How a picker names a person: with the company, as two people often share a name."""
    return f"{person.full_name} · {person.company.name}" if person.company_id and person.company else person.full_name


@dataclass(frozen=True)
class PersonLinks:
    deals: list[CrmRecord]
    deal_count: int


def person_links(*, account: Account, person: Person, limit: int = 50) -> PersonLinks:
    deals = linked_to(account=account, record=person, related_name="deals")
    return PersonLinks(
        deals=list(deals.select_related("company").order_by("-created_at", "-id")[:limit]), deal_count=deals.count()
    )


def person_delete_impact(*, account: Account, person: Person) -> dict[str, int]:
    return {"deals": linked_to(account=account, record=person, related_name="deals").count()}
