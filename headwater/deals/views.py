from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from headwater.companies.selectors import company_get
from headwater.core.access import AccountRequest, account_view
from headwater.core.listing import Column, or_404, render_list
from headwater.core.record_forms import id_or_404
from headwater.core.record_views import RecordPages, create_page, delete_page, edit_page
from headwater.deals import selectors, services
from headwater.deals.forms import DealFilterForm, DealForm
from headwater.deals.models import Deal
from headwater.persons.selectors import person_get
from headwater.sources.selectors import source_default_for, source_history_for_record
from headwater.users.models import Role


def deal_columns(*, sources: bool) -> list[Column]:
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Value"), "value", numeric=True),
        Column(gettext_lazy("Status"), "status"),
        Column(gettext_lazy("Company / person")),
        Column(gettext_lazy("Owner")),
    ]
    if sources:
        columns.append(Column(gettext_lazy("Acquisition source")))
    columns += [Column(gettext_lazy("Expected close")), Column(gettext_lazy("Created"), "created")]
    return columns


@account_view()
def deal_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    return render_list(
        request,
        form=(form := DealFilterForm(request.GET, account=account)),
        filters=form.filters,
        page_of=partial(selectors.deal_page, account=account),
        sorts=selectors.DEAL_SORTS,
        default_sort=selectors.DEAL_DEFAULT_SORT,
        columns=deal_columns(sources=account.sources_enabled),
        template="deals/list.html",
        fragment="deals/_table.html",
    )


@account_view()
def deal_detail(request: AccountRequest, pk: int) -> HttpResponse:
    account = request.account
    deal = or_404(selectors.deal_get, account=account, pk=pk)
    history = source_history_for_record(account=account, record=deal) if account.sources_enabled else []
    return render(request, "deals/detail.html", {"deal": deal, "history": history})


def _create_initial(request: AccountRequest) -> dict[str, Any]:
    """`?person=` / `?company=` open the form linked to that contact, its source pre-filled by the default rule."""
    account = request.account
    person = company = None
    if "person" in request.GET:
        person = or_404(person_get, account=account, pk=id_or_404(request.GET["person"]))
        company = person.company
    if "company" in request.GET:
        company = or_404(company_get, account=account, pk=id_or_404(request.GET["company"]))
    initial: dict[str, Any] = {}
    if company is not None:
        initial["company"] = company.pk
    if person is not None:
        initial["person"] = person.pk
    default = source_default_for(account=account, company=company, person=person)
    if default is not None:
        initial["source"] = default.pk
    return initial


PAGES = RecordPages[Deal](
    app="deals",
    noun="deal",
    form=DealForm,
    get=selectors.deal_get,
    create=services.deal_create,
    update=services.deal_update,
    delete=services.deal_delete,
    label=lambda deal: deal.name,
    added=gettext_lazy("Deal “%(name)s” added."),
    saved=gettext_lazy("Deal “%(name)s” saved."),
    deleted=gettext_lazy("Deal “%(name)s” deleted."),
)


@account_view(role=Role.MEMBER)
def deal_create(request: AccountRequest) -> HttpResponse:
    return create_page(request, PAGES, contact_initial=_create_initial)


@account_view(role=Role.MEMBER)
def deal_edit(request: AccountRequest, pk: int) -> HttpResponse:
    return edit_page(request, PAGES, pk)


@account_view(role=Role.MEMBER)
def deal_delete(request: AccountRequest, pk: int) -> HttpResponse:
    return delete_page(request, PAGES, pk)
