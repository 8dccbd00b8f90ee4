from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from headwater.companies.selectors import company_get
from headwater.core.access import AccountRequest, account_view, require_role
from headwater.core.errors import DomainError, NotFound
from headwater.core.listing import Column, or_404, render_list
from headwater.core.record_forms import id_or_404
from headwater.deals import selectors, services
from headwater.deals.forms import DealFilterForm, DealForm
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


@account_view(role=Role.MEMBER)
def deal_create(request: AccountRequest) -> HttpResponse:
    require_role(request, Role.MEMBER)
    form = DealForm(
        request.POST if request.method == "POST" else None,
        account=request.account,
        user=request.user,
        initial=_create_initial(request),
        prefill_source=True,
    )
    if request.method == "POST" and form.is_valid():
        source, how = form.source_for_service()
        try:
            deal = services.deal_create(
                account=request.account, user=request.user, **form.service_fields(), source=source, source_how=how
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, _("Deal “%(name)s” added.") % {"name": deal.name})
            return redirect("deals:detail", account_slug=request.account.slug, pk=deal.pk)
    return render(request, "deals/form.html", {"form": form, "deal": None})


@account_view(role=Role.MEMBER)
def deal_edit(request: AccountRequest, pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    deal = or_404(selectors.deal_get, account=request.account, pk=pk)
    form = DealForm(
        request.POST if request.method == "POST" else None, account=request.account, user=request.user, instance=deal
    )
    if request.method == "POST" and form.is_valid():
        changes = form.service_fields()
        source, how = form.source_for_service()
        if "source" in form.fields:
            changes["source"] = source
        try:
            deal = services.deal_update(
                account=request.account,
                user=request.user,
                deal=deal,
                version=form.cleaned_data["version"],
                source_how=how,
                **changes,
            )
        except DomainError as exc:
            form.apply_domain_error(exc)
        else:
            messages.success(request, _("Deal “%(name)s” saved.") % {"name": deal.name})
            return redirect("deals:detail", account_slug=request.account.slug, pk=deal.pk)
    return render(request, "deals/form.html", {"form": form, "deal": deal})


@account_view(role=Role.MEMBER)
def deal_delete(request: AccountRequest, pk: int) -> HttpResponse:
    require_role(request, Role.MEMBER)
    deal = or_404(selectors.deal_get, account=request.account, pk=pk)
    if request.method == "POST":
        try:
            services.deal_delete(account=request.account, user=request.user, deal=deal)
        except NotFound as exc:
            raise Http404 from exc
        messages.success(request, _("Deal “%(name)s” deleted.") % {"name": deal.name})
        return redirect("deals:list", account_slug=request.account.slug)
    return render(request, "deals/delete.html", {"deal": deal})
