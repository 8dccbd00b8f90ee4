from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from headwater.companies import selectors, services
from headwater.companies.forms import CompanyFilterForm, CompanyForm
from headwater.core.access import AccountRequest, account_view, require_role
from headwater.core.errors import DomainError, NotFound
from headwater.core.listing import Column, links_stay_sentence, or_404, render_list
from headwater.core.record_forms import parse_id, picker_options
from headwater.sources.selectors import source_history_for_record
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


@account_view()
def company_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    return render_list(
        request,
        form=(form := CompanyFilterForm(request.GET, account=account)),
        filters=form.filters,
        page_of=partial(selectors.company_page, account=account),
        sorts=selectors.COMPANY_SORTS,
        default_sort=selectors.COMPANY_DEFAULT_SORT,
        columns=company_columns(sources=account.sources_enabled),
        template="companies/list.html",
        fragment="companies/_table.html",
    )


@account_view()
def company_detail(request: AccountRequest, pk: int) -> HttpResponse:
    account = request.account
    company = or_404(selectors.company_get, account=account, pk=pk)
    history = source_history_for_record(account=account, record=company) if account.sources_enabled else []
    return render(
        request,
        "companies/detail.html",
        {"company": company, "links": selectors.company_links(account=account, company=company), "history": history},
    )


@account_view(role=Role.MEMBER)
def company_create(request: AccountRequest) -> HttpResponse:
    require_role(request, Role.MEMBER)
    form = CompanyForm(request.POST if request.method == "POST" else None, account=request.account, user=request.user)
    if request.method == "POST" and form.is_valid():
        source, how = form.source_for_service()
        try:
            company = services.company_create(
                account=request.account, user=request.user, **form.service_fields(), source=source, source_how=how
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, _("Company “%(name)s” added.") % {"name": company.name})
            return redirect("companies:detail", account_slug=request.account.slug, pk=company.pk)
    return render(request, "companies/form.html", {"form": form, "company": None})


@account_view(role=Role.MEMBER)
def company_edit(request: AccountRequest, pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    company = or_404(selectors.company_get, account=request.account, pk=pk)
    form = CompanyForm(
        request.POST if request.method == "POST" else None, account=request.account, user=request.user, instance=company
    )
    if request.method == "POST" and form.is_valid():
        changes = form.service_fields()
        source, how = form.source_for_service()
        if "source" in form.fields:
            changes["source"] = source
        try:
            company = services.company_update(
                account=request.account,
                user=request.user,
                company=company,
                version=form.cleaned_data["version"],
                source_how=how,
                **changes,
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, _("Company “%(name)s” saved.") % {"name": company.name})
            return redirect("companies:detail", account_slug=request.account.slug, pk=company.pk)
    return render(request, "companies/form.html", {"form": form, "company": company})


@account_view(role=Role.MEMBER)
def company_delete(request: AccountRequest, pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    company = or_404(selectors.company_get, account=request.account, pk=pk)
    if request.method == "POST":
        try:
            services.company_delete(account=request.account, user=request.user, company=company)
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, _("Company “%(name)s” deleted.") % {"name": company.name})
        return redirect("companies:list", account_slug=request.account.slug)
    impact = selectors.company_delete_impact(account=request.account, company=company)
    consequence = links_stay_sentence(persons=impact["persons"], deals=impact["deals"], unlinked_from="company")
    return render(request, "companies/delete.html", {"company": company, "consequence": consequence})


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
