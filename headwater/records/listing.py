"""What the company, person and deal lists share: their filters, one page of them (`record_page`, which the list
pages and the API both read through each kind's `<kind>_page` selector), sortable headers and full-page-or-fragment
rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from headwater.core.compiled import PARAMETER_TYPES, ShapedQuery
from headwater.core.cursors import InvalidCursor
from headwater.core.errors import NotFound
from headwater.core.models import Account
from headwater.core.pagination import Ordering, Page, Records, Sorts, keyset_page, ordering_from_param
from headwater.records.rows import Cell, Cells, table_head, table_rows
from headwater.records.search import (
    SEARCH_PIN_LIMIT,
    SEARCH_PIN_ORDER,
    GivenSearch,
    SearchPart,
    search_filter,
    search_parts,
)
from headwater.records.word_starts import WordStartRange, reads_word_starts

_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RecordFilters:
    """The list filters every record type has; each app adds its own (status, company) on top."""

    q: str = ""
    owner: int | None = None
    unowned: bool = False
    source: int | None = None
    no_source: bool = False
    campaign: int | None = None
    # Created between these instants (the account-local midnights of `?created_from=` and the day after
    # `?created_to=`): the statistics' drill-down links use them.
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None


# What a list page shows of a record's owner, source and campaign (their cells: records/rows.py, and the campaign
# column of records.views.list_columns): the pages read only these columns of the linked rows (see each kind's
# `<KIND>_PAGE_FIELDS`). Building 25 records and their four or five linked rows from every column was a third of
# the selector's CPU time (docs/performance.md, "Shorter rows").
LINKED_PAGE_FIELDS = (
    "owner__full_name",
    "owner__email",
    "source__name",
    "source__archived",
    "campaign__name",
    "campaign__archived",
)


# The linked records a list page holds already, by relation and id: its filter bar's members, sources and campaigns
# (records.forms.AccountChoices.linked). The page's query then joins only the other linked records (`linked_query`)
# and each row gets these from here (`record_page`). Joined, the deal page's query linked six tables, and
# PostgreSQL took 2.5 ms to plan it (0.2 ms with the company and the person only) for 0.3 ms of execution.
Known = Mapping[str, Mapping[int, Model]]


def linked_query(
    qs: QuerySet[_M], *, related: Sequence[str], fields: Sequence[str] | None, known: Known | None
) -> QuerySet[_M]:
    """`qs` with its linked records `related` joined and, when `fields` is given, only those columns read; a linked
    record in `known` is not joined: of it the row reads its id, and `record_page` gives it the record."""
    known = known or {}
    qs = qs.select_related(*(name for name in related if name not in known))
    if fields is None:
        return qs
    own = [f for f in fields if f.split("__", 1)[0] not in known]
    return qs.only(*own, *(name for name in related if name in known))


def attach_known(rows: Sequence[Model], known: Known, fields: Sequence[str] | None) -> None:
    """Give each row its linked records of `known` (as `select_related` would have: the record, or None), reading
    the ones `known` lacks (an owner who left the account) by id, with the columns `fields` names of them."""
    if not rows:
        return
    meta = rows[0]._meta
    for name, by_id in known.items():
        field: Any = meta.get_field(name)
        ids = {getattr(row, field.attname) for row in rows}
        missing = ids - by_id.keys() - {None}
        found: dict[Any, Model] = {}
        if missing:
            # The same rows the join read: by the record's own link, whatever their account.
            linked = field.related_model._base_manager.filter(pk__in=missing)
            if fields is not None:
                linked = linked.only(*(f.split("__", 1)[1] for f in fields if f.startswith(f"{name}__")))
            found = {record.pk: record for record in linked}
        for row in rows:
            pk = getattr(row, field.attname)
            field.set_cached_value(row, None if pk is None else by_id.get(pk) or found.get(pk))


_F = TypeVar("_F", bound=RecordFilters)


def list_query(
    model: type[_M],
    list_of: Callable[..., QuerySet[_M]],
    *,
    account: Account,
    filters: _F,
    related: Sequence[str],
    fields: Sequence[str] | None,
    known: Known | None,
) -> Records[_M]:
    """`linked_query(list_of(account=account, filters=filters), ...)`, the filtered list a page reads, given as a
    ShapedQuery (core/compiled.py): its statements compiled once per shape instead of built and compiled on every
    request, which was most of the ORM's share of a list page (docs/performance.md, "Compiled list reads").

    The parameters are the account's id and each filter that is set; a search's are its words' values (the
    patterns its statements hold: records.search.search_parts). The shape is the list function, which filters are
    set (and the flags' values), how each word of a search is matched, the linked records and columns read. So
    `list_of` must build its SQL from `account.pk` alone and only test whether a filter is set, never its value
    (core.compiled refuses a shape whose SQL changes with a value), and search through `filter_records` (which
    takes a `GivenSearch` for the words' markers).
    """
    search: tuple[SearchPart, ...] = ()
    if filters.q:
        parts = search_parts(filters.q, connections[router.db_for_read(model)])
        if parts is None:  # nothing can match: the plain queryset is `none()`
            return linked_query(list_of(account=account, filters=filters), related=related, fields=fields, known=known)
        search = parts
    values: dict[str, Any] = {"account": account.pk}
    flags = []
    for field in dataclasses.fields(filters):
        if field.name == "q":
            continue
        value = getattr(filters, field.name)
        if isinstance(value, Enum) and isinstance(value.value, int | str):
            value = value.value  # a choice (DealStatus.WON): the database is sent its value either way
        if isinstance(value, bool):
            flags.append((field.name, value))
        elif value is not None and value != "":
            if type(value) not in PARAMETER_TYPES:
                return linked_query(
                    list_of(account=account, filters=filters), related=related, fields=fields, known=known
                )
            values[field.name] = value
    filter_names = tuple(name for name in values if name != "account")
    words = tuple(f"{_WORD}{i}" for i in range(len(search)))
    values.update(zip(words, (value for _, value in search), strict=True))
    ways = tuple(way for way, _ in search)
    related, fields = tuple(related), None if fields is None else tuple(fields)
    known_names = tuple(sorted(known or {}))
    # Whether there is a search at all decides how the account is compared (`is_search`): part of the shape even
    # for a text without words.
    searching = (is_search(filters), ways)
    shape = (
        list_of.__module__,
        list_of.__qualname__,
        type(filters),
        tuple(flags),
        searching,
        related,
        fields,
        known_names,
    )
    q = filters.q

    def build(v: Mapping[str, Any]) -> QuerySet[_M]:
        given = GivenSearch(q, tuple(zip(ways, (v[word] for word in words), strict=True))) if ways else q
        marked = dataclasses.replace(filters, q=given, **{name: v[name] for name in filter_names})
        return linked_query(
            list_of(account=Account(pk=v["account"]), filters=marked),
            related=related,
            fields=fields,
            known={name: {} for name in known_names},  # linked_query reads the names only
        )

    return ShapedQuery(model, shape, values, build)


# A search word's parameter in a list's shape: "word0", "word1"... (no filter field is named so).
_WORD = "word"


def is_search(filters: RecordFilters | None) -> bool:
    """Whether `filters` search: the list then scopes its account for the search index (`for_account(...,
    as_bigint=True)`, core/models.py)."""
    return filters is not None and bool(filters.q.strip())


def filter_records(qs: QuerySet[_M], filters: RecordFilters) -> QuerySet[_M]:
    """Search (every word must occur in the record's search key, see records/search.py), owner, source, created day."""
    qs = search_filter(qs, filters.q)
    if filters.created_from is not None:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_before is not None:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.unowned:
        qs = qs.filter(owner__isnull=True)
    elif filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.no_source:
        qs = qs.filter(source__isnull=True)
    elif filters.source is not None:
        qs = qs.filter(source_id=filters.source)
    if filters.campaign is not None:
        qs = qs.filter(campaign_id=filters.campaign)
    return qs


# Exact counts of a filtered list that something other than the records can give at once: the statistics'
# tallies (stats/list_counts.py, registered when that app starts; a layer above this one). A counter answers
# (model, account, filters) with the exact number of records the list holds, or None when it cannot tell.
ListCounter = Callable[[type[Model], "Account", RecordFilters], "int | None"]
_list_counters: list[ListCounter] = []


def register_list_counter(counter: ListCounter) -> None:
    """Add an exact counter for `record_page` (idempotent: the same function is registered once)."""
    if counter not in _list_counters:
        _list_counters.append(counter)


def known_count(model: type[Model], account: Account, filters: RecordFilters) -> int | None:
    """The exact number of `model` records of `account` that `filters` keep, when a registered counter knows it."""
    for counter in _list_counters:
        found = counter(model, account, filters)
        if found is not None:
            return found
    return None


def record_page(
    qs: Records[_M],
    *,
    filters: RecordFilters,
    ordering: Ordering,
    cursor: str | None,
    page_size: int,
    count_limit: int,
    account: Account | None = None,
    known: Known | None = None,
    fields: Sequence[str] | None = None,
) -> Page[_M]:
    """One page of `qs` (the filtered records) after `cursor`; a search reads its page among its matching ids
    when they are few (pagination.keyset_page's pin), on the pages and in the API alike.

    With `account` and a count wanted, the total comes from a registered counter when one knows it exactly (the
    statistics' tallies: a list filtered the way a Statistics figure is counted, "1-25 of 66,911", in a fraction
    of a millisecond); otherwise the bounded count reads at most `count_limit` + 1 rows, except for a search the
    planner expects to match more than that: its page shows the estimate, labelled as one (keyset_page).

    `known`: the linked records `qs` did not join (`linked_query`), given to each row; `fields` the columns of them
    the page shows, for the ones it reads by id.

    A one-word search of two characters in a kind's name order, and no other filter, reads its pin and its pages'
    ids from the kind's word-start table (records/word_starts.py) on PostgreSQL, for an account switched on.
    """
    total = None
    if count_limit and account is not None and not filters.q.strip():
        total = known_count(qs.model, account, filters)
    key_range = None
    if account is not None and filters.q and dataclasses.replace(filters, q="") == type(filters)():
        prefix = reads_word_starts(qs.model, filters.q, ordering.fields, account_id=account.pk)
        if prefix is not None:
            key_range = WordStartRange(qs.model, account_id=account.pk, prefix=prefix, descending=ordering.descending)
    page = keyset_page(
        qs,
        ordering=ordering,
        cursor=cursor,
        page_size=page_size,
        count_limit=count_limit,
        pin_limit=SEARCH_PIN_LIMIT if filters.q.strip() else 0,
        pin_order=SEARCH_PIN_ORDER,
        known_total=total,
        estimate_when_many=bool(filters.q.strip()),
        key_range=key_range,
    )
    if known:
        attach_known(page.rows, known, fields)
    return page


@dataclass(frozen=True)
class Column:
    label: str | Promise
    sort: str | None = None
    numeric: bool = False
    # What its cells show (records/rows.py): (the request's Cells, the record) -> HTML.
    cell: Cell | None = None
    # The header's first click sorts descending (a column whose ascending order starts with empty cells).
    descending_first: bool = False


@dataclass(frozen=True)
class Header:
    label: str | Promise
    sort_param: str | None
    aria_sort: str | None
    numeric: bool


def sort_headers(columns: Sequence[Column], current: str) -> list[Header]:
    """Each header's link sorts by its column, or reverses the order when it is the current sort already."""
    headers = []
    for column in columns:
        if column.sort is None:
            headers.append(Header(column.label, None, None, column.numeric))
            continue
        if current == column.sort:
            aria, param = "ascending", f"-{column.sort}"
        elif current == f"-{column.sort}":
            aria, param = "descending", column.sort
        else:
            aria, param = None, f"-{column.sort}" if column.descending_first else column.sort
        headers.append(Header(column.label, param, aria, column.numeric))
    return headers


def wants_fragment(request: HttpRequest) -> bool:
    """htmx asked for the table only; a history restore (back button after a cache miss) needs the whole page."""
    htmx = getattr(request, "htmx", None)
    # django-htmx's middleware sets request.htmx; a request that skipped it (a test's RequestFactory) has none.
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]  # bool(htmx) is the check


def render_list(
    request: HttpRequest,
    *,
    form: forms.Form,
    filters: Callable[[], Any],
    page_of: Callable[..., Page[Any]],
    sorts: Sorts,
    default_sort: str,
    columns: Sequence[Column],
    template: str,
    fragment: str,
    context: dict[str, Any] | None = None,
    select_label: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """Parse the sort and cursor, read one page when the filters are valid, render the page or the table.

    A position the list cannot use (an edited cursor, one made for another sort, a `?page=` number) answers 400
    with the reason and a link to the first page, never a quietly different page.

    The table's rows come written (`rows_html`, records/rows.py) when every column has its cell; with a bulk
    change form in the context, each row starts with its checkbox, labelled by `select_label(record)`.
    """
    sort, ordering = ordering_from_param(request.GET.get("sort"), sorts, default_sort)
    page = None
    filtered = False
    list_error = ""
    if "page" in request.GET:
        list_error = _(
            "This list has no page numbers: it moves with Previous and Next, so “page=%(page)s” cannot be shown."
        ) % {"page": request.GET["page"][:20]}
    elif form.is_valid():
        filtered = any(value for name, value in form.cleaned_data.items() if name != "sort")
        try:
            page = page_of(
                filters=filters(),
                ordering=ordering,
                cursor=request.GET.get("cursor"),
                page_size=settings.LIST_PAGE_SIZE,
                count_limit=settings.LIST_COUNT_LIMIT,
            )
        except InvalidCursor:
            list_error = _(
                "This link to a page of the list is not valid: it was changed, or made for another sort order."
            )
    headers = sort_headers(columns, sort)
    ctx = {
        "filter_form": form,
        "page": page,
        "filtered": filtered,
        "sort": sort,
        "headers": headers,
        "column_count": len(columns),
        "fragment": wants_fragment(request),
        "list_error": list_error,
        # Where "Show the first page" leads: the same filters and sort, without the position.
        "first_page_query": _without(request, "cursor", "page"),
        **(context or {}),
    }
    ctx["head_html"] = table_head(headers, query=request.GET, path=request.path, select_all=bool(ctx.get("bulk_form")))
    account = getattr(request, "account", None)  # set by users.access.account_view
    if page is not None and page.rows and account is not None and all(column.cell for column in columns):
        ctx["rows_html"] = table_rows(
            columns,
            page.rows,
            cells=Cells(account.slug),
            select_label=select_label if ctx.get("bulk_form") else None,
        )
    status = 400 if list_error else 200
    return render(request, fragment if wants_fragment(request) else template, ctx, status=status)


def _without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return f"?{query.urlencode()}" if query else ""


__all__ = [
    "LINKED_PAGE_FIELDS",
    "Column",
    "Header",
    "Known",
    "Ordering",
    "RecordFilters",
    "attach_known",
    "filter_records",
    "known_count",
    "linked_query",
    "links_stay_sentence",
    "list_query",
    "or_404",
    "record_page",
    "register_list_counter",
    "render_list",
    "sort_headers",
    "wants_fragment",
]


def or_404(read: Callable[..., _M], **kwargs: Any) -> _M:
    """Call a `<entity>_get` selector; its NotFound (missing or another account's) becomes a 404."""
    try:
        return read(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def links_stay_sentence(*, persons: int, deals: int, unlinked_from: str) -> str:
    """ "3 persons and 5 deals stay, without a company.": what deleting a contact does to its linked records."""
    parts = []
    if persons:
        parts.append(ngettext("%(n)s person", "%(n)s persons", persons) % {"n": intcomma(persons)})
    if deals:
        parts.append(ngettext("%(n)s deal", "%(n)s deals", deals) % {"n": intcomma(deals)})
    if not parts:
        return ""
    linked = parts[0] if len(parts) == 1 else _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    count = persons + deals
    if unlinked_from == "company":
        sentence = ngettext("%(linked)s stays, without a company.", "%(linked)s stay, without a company.", count)
    else:
        sentence = ngettext("%(linked)s stays, without a person.", "%(linked)s stay, without a person.", count)
    return sentence % {"linked": linked}
