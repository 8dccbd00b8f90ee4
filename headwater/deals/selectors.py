"""Reads about deals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Ordering, Page, Sorts
from headwater.deals.models import Deal
from headwater.records.listing import (
    LINKED_PAGE_FIELDS,
    Known,
    RecordFilters,
    filter_records,
    is_search,
    list_query,
    record_page,
)

# The list's sorts, the page's `?sort=` and (renamed: schemas.DEAL_ORDERING) the API's `ordering=`. (key, id)
# orders every row exactly; the close day is empty for open deals, which sort below every day (core/pagination.py).
DEAL_SORTS: Sorts = {
    "name": ("name",),
    "value": ("value",),
    # Status then age: served by the (account, status, created_at, id) index.
    "status": ("status", "created_at"),
    "created": ("created_at",),
    # Newest close first, open deals last: the (account, closed_at, id) index read forward.
    "closed": ("closed_at",),
}
DEAL_DEFAULT_SORT = "-created"
# The linked records the list page shows in its columns.
DEAL_PAGE_RELATED = ("owner", "source", "campaign", "company", "person")
# The columns the list page shows (its cells, the sort keys its cursors carry): the page reads only these.
DEAL_PAGE_FIELDS: tuple[str, ...] = (
    "name",
    "value",
    "currency",
    "status",
    "expected_close_date",
    "closed_at",
    "created_at",
    "company__name",
    "person__first_name",
    "person__last_name",
    *LINKED_PAGE_FIELDS,
)


@dataclass(frozen=True)
class DealFilters(RecordFilters):
    status: str = ""
    company: int | None = None
    person: int | None = None
    # The day a deal was won or lost (`closed_at`, a day in the account's time zone), both ends included.
    closed_from: dt.date | None = None
    closed_to: dt.date | None = None


def deal_list(*, account: Account, filters: DealFilters | None = None) -> QuerySet[Deal]:
    qs: QuerySet[Deal] = Deal.objects.for_account(account, as_bigint=is_search(filters))
    if filters is not None:
        qs = filter_records(qs, filters)
        if filters.status:
            qs = qs.filter(status=filters.status)
        if filters.company is not None:
            qs = qs.filter(company_id=filters.company)
        if filters.person is not None:
            qs = qs.filter(person_id=filters.person)
        if filters.closed_from is not None:
            qs = qs.filter(closed_at__gte=filters.closed_from)
        if filters.closed_to is not None:
            qs = qs.filter(closed_at__lte=filters.closed_to)
    return qs


def deal_page(
    *,
    account: Account,
    filters: DealFilters,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    related: Sequence[str] = DEAL_PAGE_RELATED,
    fields: Sequence[str] | None = DEAL_PAGE_FIELDS,
    known: Known | None = None,
) -> Page[Deal]:
    """A page of the list, as its page and the API show it (records.listing.record_page), with the linked
    records the caller shows: the page its columns' (the default), the API the source only; and of them the
    `fields` the page shows (None: every column, as the API answers them). `known`: linked records the caller
    holds already (records.listing.Known: the list page's members, sources and campaigns), not joined."""
    qs = list_query(Deal, deal_list, account=account, filters=filters, related=related, fields=fields, known=known)
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


def deal_get(*, account: Account, pk: int) -> Deal:
    deal = (
        Deal.objects.for_account(account)
        .select_related("owner", "source", "campaign", "company", "person", "created_by")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise NotFound("deal")
    return deal
