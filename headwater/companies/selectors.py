"""Reads about companies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from headwater.companies.models import Company
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Ordering, Page, Sorts
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

# The list's sorts, the page's `?sort=` and (renamed: schemas.COMPANY_ORDERING) the API's `ordering=`. Sort keys are
# non-null columns, so (key, id) orders every row exactly.
COMPANY_SORTS: Sorts = {"name": ("name",), "city": ("city",), "created": ("created_at",)}
COMPANY_DEFAULT_SORT = "name"
# The linked records the list page shows in its columns.
COMPANY_PAGE_RELATED = ("owner", "source", "campaign")
# The columns the list page shows (its cells, the sort keys its cursors carry): the page reads only these.
COMPANY_PAGE_FIELDS: tuple[str, ...] = ("name", "city", "phone", "created_at", *LINKED_PAGE_FIELDS)


def company_list(*, account: Account, filters: RecordFilters | None = None) -> QuerySet[Company]:
    qs: QuerySet[Company] = Company.objects.for_account(account, as_bigint=is_search(filters))
    if filters is not None:
        qs = filter_records(qs, filters)
    return qs


def company_page(
    *,
    account: Account,
    filters: RecordFilters,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    related: Sequence[str] = COMPANY_PAGE_RELATED,
    fields: Sequence[str] | None = COMPANY_PAGE_FIELDS,
    known: Known | None = None,
) -> Page[Company]:
    """A page of the list, as its page and the API show it (records.listing.record_page), with the linked
    records the caller shows: the page its columns' (the default), the API the source only; and of them the
    `fields` the page shows (None: every column, as the API answers them). `known`: linked records the caller
    holds already (records.listing.Known: the list page's members, sources and campaigns), not joined."""
    qs = list_query(
        Company, company_list, account=account, filters=filters, related=related, fields=fields, known=known
    )
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


def company_get(*, account: Account, pk: int) -> Company:
    company = (
        Company.objects.for_account(account)
        .select_related("owner", "source", "campaign", "created_by")
        .filter(pk=pk)
        .first()
    )
    if company is None:
        raise NotFound("company")
    return company


def company_lookup(*, account: Account, q: str = "", selected: int | None = None, limit: int = 50) -> list[Company]:
    """Picker options: the selected company first (so a search never changes the choice), then up to `limit`."""
    qs = search_filter(Company.objects.for_account(account, as_bigint=bool(q.strip())).select_related("source"), q)
    rows = list(qs.order_by("name", "id")[:limit])
    if selected is not None and all(r.pk != selected for r in rows):
        current = Company.objects.for_account(account).select_related("source").filter(pk=selected).first()
        if current is not None:
            rows.insert(0, current)
    return rows


@dataclass(frozen=True)
class CompanyLinks:
    """What a company's detail page and delete confirmation show about its persons and deals."""

    persons: list[CrmRecord]
    person_count: int
    deals: list[CrmRecord]
    deal_count: int


def company_links(*, account: Account, company: Company, limit: int = 50) -> CompanyLinks:
    persons = linked_to(account=account, record=company, related_name="persons")
    deals = linked_to(account=account, record=company, related_name="deals")
    return CompanyLinks(
        persons=list(persons.select_related("owner").order_by("last_name", "first_name", "id")[:limit]),
        person_count=persons.count(),
        deals=list(deals.select_related("person").order_by("-created_at", "-id")[:limit]),
        deal_count=deals.count(),
    )


def company_delete_impact(*, account: Account, company: Company) -> dict[str, int]:
    return {
        "persons": linked_to(account=account, record=company, related_name="persons").count(),
        "deals": linked_to(account=account, record=company, related_name="deals").count(),
    }
