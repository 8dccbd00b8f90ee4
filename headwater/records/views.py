"""The pages every CRM record (company, person, deal) has: list, detail, create, edit, delete.

An app describes its record once (`RecordPages`: the forms, the selectors, the services, the messages) and each
page is one call: resolve the record, parse the form, call the one selector or service, render or redirect. The
views and their URLs are generated from it (records/urls.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from headwater.campaigns.selectors import campaign_history_for_record
from headwater.core.bidi import with_names
from headwater.core.errors import DomainError, NotFound
from headwater.core.models import Account
from headwater.core.pagination import Page
from headwater.core.validation import parse_id
from headwater.records.forms import AccountChoices, RecordFilterForm, RecordForm, picker_options
from headwater.records.list_actions import list_actions_context
from headwater.records.listing import Column, or_404, render_list
from headwater.records.models import CrmRecord
from headwater.sources.selectors import source_history_for_record
from headwater.users.access import AccountRequest

_R = TypeVar("_R", bound=CrmRecord)


@dataclass(frozen=True)
class RecordPages(Generic[_R]):
    app: str  # URL namespace and template folder: "companies"
    noun: str  # the record's name in the templates and in the selectors' and services' keywords: "company"
    filter_form: type[RecordFilterForm]
    # selector(account=, filters=, ordering=, cursor=, page_size=, count_limit=, known=): `known` holds the linked
    # records the filter bar read already (records.listing.Known), which the page need not join.
    page: Callable[..., Page[Any]]
    sorts: dict[str, tuple[str, ...]]
    default_sort: str
    columns: Callable[..., list[Column]]  # (sources=): the list's columns
    get: Callable[..., _R]  # selector(account=, pk=)
    form: type[RecordForm]
    create: Callable[..., _R]
    update: Callable[..., _R]
    delete: Callable[..., object]
    label: Callable[[_R], str]  # what the messages call the record
    added: str | Promise  # messages with a %(name)s placeholder
    saved: str | Promise
    deleted: str | Promise
    # The detail page's linked records, for the records that have any: selector(account=, <noun>=).
    links: Callable[..., object] | None = None
    # The sentence the delete page shows about linked records, for the records that have any.
    delete_consequence: Callable[[Account, _R], str] | None = None
    # For the kinds that link to a contact (persons, deals): the create form's initial values from `?company=` /
    # `?person=` (see create_page).
    contact_initial: Callable[[AccountRequest], dict[str, Any]] | None = None
    # What the detail page shows besides, per request (a deal's status buttons): (request) -> extra(record) -> context.
    detail_extra: Callable[[AccountRequest], Callable[[_R], dict[str, Any]]] | None = None
    # The typeahead picker, for the kinds other forms link to: its lookup selector(account=, q=, selected=), the
    # form that creates one by its name, and the option's label.
    lookup: Callable[..., Any] | None = None
    quick_form: type[forms.Form] | None = None
    picker_label: Callable[[Any], str] = str
    # The list's filtered records as a queryset, selector(account=, filters=): what its exports and its bulk
    # changes ("every record matching the filter") read.
    matching: Callable[..., Any] | None = None

    def message(self, text: str | Promise, record: _R) -> str:
        return with_names(text, name=self.label(record))


def list_page(
    request: AccountRequest, pages: RecordPages[_R], *, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The list; `context` adds to it (a bulk change form with its errors, then `status` 400)."""
    account = request.account
    choices = AccountChoices(account)
    form = pages.filter_form(request.GET, account=account, choices=choices)
    response = render_list(
        request,
        form=form,
        filters=form.filters,
        page_of=partial(pages.page, account=account, known=choices.linked),
        sorts=pages.sorts,
        default_sort=pages.default_sort,
        columns=list_columns(pages, sources=account.sources_enabled),
        template=f"{pages.app}/list.html",
        fragment=f"{pages.app}/_table.html",
        context={**list_actions_context(request, pages, choices=choices), **(context or {})},
        select_label=pages.label,
    )
    if status != 200 and response.status_code == 200:
        response.status_code = status
    return response


def list_columns(pages: RecordPages[Any], *, sources: bool) -> list[Column]:
    """The kind's columns, with the campaign every kind may carry right after its source (while sources are on)."""
    columns = list(pages.columns(sources=sources))
    if sources:
        source_label = str(gettext_lazy("Acquisition source"))
        at = next((i + 1 for i, column in enumerate(columns) if str(column.label) == source_label), len(columns))
        columns.insert(at, Column(gettext_lazy("Campaign"), cell=lambda cells, record: cells.source(record.campaign)))
    return columns


def detail_page(
    request: AccountRequest,
    pages: RecordPages[_R],
    pk: int,
    *,
    record: _R | None = None,
    extra: Callable[[_R], dict[str, Any]] | None = None,
) -> HttpResponse:
    """The record's page; `extra(record)` adds what one kind shows besides (the deal's status buttons)."""
    account = request.account
    if record is None:
        record = or_404(pages.get, account=account, pk=pk)
    context: dict[str, Any] = {pages.noun: record, **(extra(record) if extra else {})}
    context["history"] = source_history_for_record(account=account, record=record) if account.sources_enabled else []
    context["campaign_history"] = (
        campaign_history_for_record(account=account, record=record) if account.sources_enabled else []
    )
    if pages.links is not None:
        context["links"] = pages.links(account=account, **{pages.noun: record})
    return render(request, f"{pages.app}/detail.html", context)


def create_page(
    request: AccountRequest,
    pages: RecordPages[_R],
    *,
    contact_initial: Callable[[AccountRequest], dict[str, Any]] | None = None,
) -> HttpResponse:
    """`contact_initial`: for records that link to a contact (persons, deals), the form's initial values read from
    `?company=` / `?person=`; the form then also pre-fills the source from the contact the user picks."""
    if contact_initial is None:
        return _form_page(request, pages, None)
    return _form_page(request, pages, None, initial=contact_initial(request), prefill_source=True)


def edit_page(request: AccountRequest, pages: RecordPages[_R], pk: int) -> HttpResponse:
    record = or_404(pages.get, account=request.account, pk=pk)
    return _form_page(request, pages, record, instance=record)


def _form_page(request: AccountRequest, pages: RecordPages[_R], record: _R | None, **form_kwargs: Any) -> HttpResponse:
    """The create (`record` None) or edit form: valid input goes to the service, whose errors land on the form."""
    form = pages.form(
        request.POST if request.method == "POST" else None, account=request.account, user=request.user, **form_kwargs
    )
    if request.method == "POST" and not form.lookup_only and form.is_valid():
        changes = {**form.service_fields(), **form.campaign_for_service()}
        source, how = form.source_for_service()
        try:
            if record is None:
                saved = pages.create(
                    account=request.account, user=request.user, **changes, source=source, source_how=how
                )
            else:
                if "source" in form.fields:
                    changes["source"] = source
                saved = pages.update(
                    account=request.account,
                    user=request.user,
                    version=form.cleaned_data["version"],
                    source_how=how,
                    **{pages.noun: record},
                    **changes,
                )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, pages.message(pages.added if record is None else pages.saved, saved))
            return redirect(f"{pages.app}:detail", account_slug=request.account.slug, pk=saved.pk)
    return render(request, f"{pages.app}/form.html", {"form": form, pages.noun: record})


def delete_page(request: AccountRequest, pages: RecordPages[_R], pk: int) -> HttpResponse:
    record = or_404(pages.get, account=request.account, pk=pk)
    if request.method == "POST":
        try:
            pages.delete(account=request.account, user=request.user, **{pages.noun: record})
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, pages.message(pages.deleted, record))
        return redirect(f"{pages.app}:list", account_slug=request.account.slug)
    context: dict[str, Any] = {pages.noun: record}
    if pages.delete_consequence is not None:
        context["consequence"] = pages.delete_consequence(request.account, record)
    return render(request, f"{pages.app}/delete.html", context)


def picker_lookup(request: AccountRequest, *, name: str, lookup: Callable[..., Any], label: Any = str) -> HttpResponse:
    """The typeahead's options (static/js/combobox.js): `<name>_search` matched, bounded, scoped to the account,
    the current choice (`<name>`) first so a search never loses it."""
    selected = parse_id(request.GET.get(name))
    rows = lookup(account=request.account, q=request.GET.get(f"{name}_search", "")[:200], selected=selected)
    return render(request, "includes/_picker_options.html", {"options": picker_options(request.account, rows, label)})


def picker_create(
    request: AccountRequest, form: forms.Form, *, create: Callable[..., Any], label: Any = str
) -> HttpResponse:
    """The typeahead's "Create company “X”": a valid `form` goes to `create(**cleaned_data)` (the record's own create
    service, so the same checks and source default apply); the answer is the new record's option, or 400 with what
    was wrong (an alert the typeahead shows under the field)."""
    if form.is_valid():
        try:
            record = create(**form.cleaned_data)
        except DomainError as exc:
            problems = [m for messages in exc.fields.values() for m in messages] or [exc.message]
        else:
            context = {"options": picker_options(request.account, [record], label)}
            return render(request, "includes/_picker_options.html", context)
    else:
        problems = [str(m) for messages in form.errors.values() for m in messages]
    return render(request, "includes/_picker_error.html", {"problems": problems}, status=400)
