from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from headwater.companies import selectors, services
from headwater.companies.forms import CompanyFilterForm, CompanyForm
from headwater.companies.models import Company
from headwater.core.access import AccountRequest, account_view
from headwater.core.listing import Column, links_stay_sentence
from headwater.core.models import Account
from headwater.core.record_forms import parse_id, picker_options
from headwater.core.record_views import RecordPages, create_page, delete_page, detail_page, edit_page, list_page
from headwater.users.models import Role


def company_columns(*, sources: bool) -> list[Column]:
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("City"), "city"),
        Column(gettext_lazy("Phone")),
        Column(gettext_lazy("Owner")),
    ]
    if sources:
        columns.append(Column(gettext_lazy("Acquisition source")))
    columns.append(Column(gettext_lazy("Created"), "created"))
    return columns


def _delete_consequence(account: Account, company: Company) -> str:
    impact = selectors.company_delete_impact(account=account, company=company)
    return links_stay_sentence(persons=impact["persons"], deals=impact["deals"], unlinked_from="company")


PAGES = RecordPages[Company](
    app="companies",
    noun="company",
    filter_form=CompanyFilterForm,
    page=selectors.company_page,
    sorts=selectors.COMPANY_SORTS,
    default_sort=selectors.COMPANY_DEFAULT_SORT,
    columns=company_columns,
    get=selectors.company_get,
    form=CompanyForm,
    create=services.company_create,
    update=services.company_update,
    delete=services.company_delete,
    label=lambda company: company.name,
    added=gettext_lazy("Company “%(name)s” added."),
    saved=gettext_lazy("Company “%(name)s” saved."),
    deleted=gettext_lazy("Company “%(name)s” deleted."),
    links=selectors.company_links,
    delete_consequence=_delete_consequence,
)


@account_view()
def company_list(request: AccountRequest) -> HttpResponse:
    return list_page(request, PAGES)


@account_view()
def company_detail(request: AccountRequest, pk: int) -> HttpResponse:
    return detail_page(request, PAGES, pk)


@account_view(role=Role.MEMBER)
def company_create(request: AccountRequest) -> HttpResponse:
    return create_page(request, PAGES)


@account_view(role=Role.MEMBER)
def company_edit(request: AccountRequest, pk: int) -> HttpResponse:
    return edit_page(request, PAGES, pk)


@account_view(role=Role.MEMBER)
def company_delete(request: AccountRequest, pk: int) -> HttpResponse:
    return delete_page(request, PAGES, pk)


@account_view()
def company_lookup(request: AccountRequest) -> HttpResponse:
    """Options for a company picker: a search, bounded, scoped to the account, the current choice kept."""
    selected = parse_id(request.GET.get("company"))
    rows = selectors.company_lookup(
        account=request.account, q=request.GET.get("company_search", "")[:200], selected=selected
    )
    return render(
        request,
        "includes/_picker_options.html",
        {"options": picker_options(request.account, rows), "selected": str(selected or "")},
    )
