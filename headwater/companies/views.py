from __future__ import annotations

from functools import partial

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from headwater.companies import selectors, services
from headwater.companies.forms import CompanyFilterForm, CompanyForm, CompanyQuickForm
from headwater.companies.models import Company
from headwater.core.models import Account
from headwater.records.listing import Column, links_stay_sentence
from headwater.records.views import (
    RecordPages,
    create_page,
    delete_page,
    detail_page,
    edit_page,
    list_page,
    picker_create,
    picker_lookup,
)
from headwater.users.access import AccountRequest, account_view
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


@account_view(read=Role.VIEWER, write=None)
def company_list(request: AccountRequest) -> HttpResponse:
    return list_page(request, PAGES)


@account_view(read=Role.VIEWER, write=None)
def company_detail(request: AccountRequest, pk: int) -> HttpResponse:
    return detail_page(request, PAGES, pk)


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def company_create(request: AccountRequest) -> HttpResponse:
    return create_page(request, PAGES)


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def company_edit(request: AccountRequest, pk: int) -> HttpResponse:
    return edit_page(request, PAGES, pk)


@account_view(read=Role.MEMBER, write=Role.MEMBER)
def company_delete(request: AccountRequest, pk: int) -> HttpResponse:
    return delete_page(request, PAGES, pk)


@account_view(read=Role.VIEWER, write=None)
def company_lookup(request: AccountRequest) -> HttpResponse:
    return picker_lookup(request, name="company", lookup=selectors.company_lookup)


@account_view(read=None, write=Role.MEMBER)
@require_POST
def company_quick_create(request: AccountRequest) -> HttpResponse:
    """A company by its name from a typeahead, owned by the user who creates it (as the full form's default)."""
    return picker_create(
        request,
        CompanyQuickForm(request.POST),
        create=partial(services.company_create, account=request.account, user=request.user, owner=request.user),
    )
