from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from headwater.companies.selectors import company_get
from headwater.core.errors import DomainError
from headwater.deals import selectors, services
from headwater.deals.forms import DealFilterForm, DealForm, DealStatusForm
from headwater.deals.models import Deal, DealStatus
from headwater.persons.selectors import person_get
from headwater.records.forms import id_or_404
from headwater.records.listing import Column, or_404
from headwater.records.rows import Cells, bdi, text
from headwater.records.views import RecordPages, detail_page
from headwater.sources.selectors import source_default_for
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _contacts(cells: Cells, deal: Deal) -> str:
    """The deal's company and person, each a link, one per line."""
    company = cells.link("companies", deal.company_id, deal.company.name) if deal.company else ""
    person = cells.link("persons", deal.person_id, deal.person.full_name) if deal.person else ""
    return f"{company}<br>{person}" if company and person else company or person


def deal_columns(*, sources: bool) -> list[Column]:
    """The list's columns, each with its cell (records/rows.py)."""
    columns = [
        Column(gettext_lazy("Name"), "name", cell=lambda cells, d: cells.link("deals", d.pk, d.name)),
        Column(
            gettext_lazy("Value"),
            "value",
            numeric=True,
            cell=lambda cells, d: f"{cells.money(d.value)} {text(d.currency)}",
        ),
        Column(
            gettext_lazy("Status"),
            "status",
            cell=lambda cells, d: f'<span class="badge badge--{text(d.status)}">{cells.choice(d, "status")}</span>',
        ),
        Column(gettext_lazy("Company / person"), cell=_contacts),
        Column(gettext_lazy("Owner"), cell=lambda _c, d: bdi(d.owner.display_name if d.owner else "")),
    ]
    if sources:
        columns.append(Column(gettext_lazy("Acquisition source"), cell=lambda cells, d: cells.source(d.source)))
    columns += [
        Column(gettext_lazy("Expected close"), cell=lambda cells, d: cells.day(d.expected_close_date)),
        # Newest first at the first click: ascending starts with the open deals, which have no close day.
        Column(
            gettext_lazy("Closed on"), "closed", cell=lambda cells, d: cells.day(d.closed_at), descending_first=True
        ),
        Column(gettext_lazy("Created"), "created", cell=lambda cells, d: cells.instant(d.created_at)),
    ]
    return columns


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


STATUS_SAVED = {
    DealStatus.WON: gettext_lazy("Deal “%(name)s” marked as won."),
    DealStatus.LOST: gettext_lazy("Deal “%(name)s” marked as lost."),
    DealStatus.OPEN: gettext_lazy("Deal “%(name)s” reopened."),
}


def _status_forms(request: AccountRequest, bound: DealStatusForm | None = None) -> Any:
    """The detail page's Won / Lost / Reopen forms, for members and admins; `bound` is one that was refused."""

    def extra(deal: Deal) -> dict[str, Any]:
        if not request.membership.can_write:
            return {}
        forms = {s: DealStatusForm(deal=deal, initial={"status": s}) for s in DealStatus.values if s != deal.status}
        if bound is not None:
            forms[bound.data.get("status", "")] = bound
        return {"status_forms": forms}

    return extra


PAGES = RecordPages[Deal](
    app="deals",
    noun="deal",
    filter_form=DealFilterForm,
    page=selectors.deal_page,
    sorts=selectors.DEAL_SORTS,
    default_sort=selectors.DEAL_DEFAULT_SORT,
    columns=deal_columns,
    matching=selectors.deal_list,
    get=selectors.deal_get,
    form=DealForm,
    create=services.deal_create,
    update=services.deal_update,
    delete=services.deal_delete,
    label=lambda deal: deal.name,
    added=gettext_lazy("Deal “%(name)s” added."),
    saved=gettext_lazy("Deal “%(name)s” saved."),
    deleted=gettext_lazy("Deal “%(name)s” deleted."),
    contact_initial=_create_initial,
    detail_extra=_status_forms,
)


@account_view(read=None, write=Role.MEMBER)
@require_POST
def deal_status(request: AccountRequest, pk: int) -> HttpResponse:
    """Won, Lost (with its reason) or Reopen from the deal page, through the edit form's service."""
    deal = or_404(selectors.deal_get, account=request.account, pk=pk)
    form = DealStatusForm(request.POST, deal=deal)
    if form.is_valid():
        try:
            saved = services.deal_update(
                account=request.account,
                user=request.user,
                deal=deal,
                version=form.cleaned_data["version"],
                **form.service_fields(),
            )
        except DomainError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, STATUS_SAVED[DealStatus(saved.status)] % {"name": saved.name})
            return redirect("deals:detail", account_slug=request.account.slug, pk=saved.pk)
    return detail_page(request, PAGES, pk, record=deal, extra=_status_forms(request, form))
