"""Account settings > Spend (admins only, reads included, as the source catalogue and its campaigns).

Plain forms and redirects: the list with its filters and totals, add, edit and delete on pages of their own.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from headwater.core.cursors import InvalidCursor
from headwater.core.errors import DomainError, NotFound
from headwater.core.pagination import Ordering, keyset_page
from headwater.core.validation import parse_id
from headwater.sources.forms import add_domain_error
from headwater.spend import selectors, services
from headwater.spend.forms import SpendFilterForm, SpendForm, _an_id
from headwater.spend.models import SpendEntry
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role

PAGE_SIZE = 50
_CENT = Decimal("0.01")
_EXACT = Context(prec=60)


def _entry(request: AccountRequest, entry_id: int) -> SpendEntry:
    try:
        return selectors.spend_get(account=request.account, entry_id=entry_id)
    except NotFound as exc:
        raise Http404 from exc


def _filters(form: SpendFilterForm) -> selectors.SpendFilters | None:
    """The filters the list applies; None when the form is invalid (the page then lists nothing and says why)."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    campaign = data["campaign"] or ""
    return selectors.SpendFilters(
        source_id=_an_id(data["source"] or ""),
        campaign_id=_an_id(campaign),
        campaign_none=campaign == "none",
        first=data["date_from"],
        last=data["date_to"],
    )


@account_view(read=Role.ADMIN, write=None)
def spend_list(request: AccountRequest) -> HttpResponse:
    """The entries, filtered, newest period first, with the filtered entries' totals per currency."""
    account = request.account
    form = SpendFilterForm(request.GET or None, account=account)
    filters = _filters(form) if form.is_bound else selectors.SpendFilters()
    context: dict[str, object] = {"settings_tab": "spend", "filter_form": form, "page": None, "totals": []}
    status = 200
    if filters is None:
        status = 400
    else:
        qs = selectors.spend_list(account=account, filters=filters)
        ordering = Ordering(("start_date",), descending=True)
        try:
            page = keyset_page(
                qs, ordering=ordering, cursor=request.GET.get("cursor"), page_size=PAGE_SIZE, count_limit=0
            )
        except InvalidCursor:
            # An edited or stale cursor: start again from the first page rather than fail.
            page = keyset_page(qs, ordering=ordering, cursor=None, page_size=PAGE_SIZE, count_limit=0)
        rates = selectors.rates_of(account)
        totals = selectors.spend_totals(qs, rates=rates)
        converted = sum(
            (
                _EXACT.multiply(total.amount, rates[total.currency]).quantize(_CENT, rounding=ROUND_HALF_UP)
                for total in totals
                if total.has_rate
            ),
            Decimal("0.00"),
        )
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            page=page,
            totals=totals,
            converted=converted,
            unconverted=[total for total in totals if not total.has_rate],
            base_currency=account.currency,
            query=query.urlencode(),
        )
    return render(request, "spend/list.html", context, status=status)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def spend_add(request: AccountRequest) -> HttpResponse:
    if request.method != "POST":
        form = SpendForm(account=request.account)
        return render(request, "spend/edit.html", {"settings_tab": "spend", "form": form, "entry": None})
    form = SpendForm(request.POST, account=request.account)
    if form.is_valid():
        try:
            services.spend_create(account=request.account, user=request.user, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Spend entry added."))
            return redirect("spend:ledger", account_slug=request.account.slug)
    return render(request, "spend/edit.html", {"settings_tab": "spend", "form": form, "entry": None}, status=400)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def spend_edit(request: AccountRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    if request.method != "POST":
        form = SpendForm(account=request.account, instance=entry)
        return render(request, "spend/edit.html", {"settings_tab": "spend", "form": form, "entry": entry})
    form = SpendForm(request.POST, account=request.account, instance=entry)
    if form.is_valid():
        fields = form.service_fields()
        if fields["month"] is None:
            # A range replaces the month; the service wants no month then.
            fields.pop("month")
        try:
            services.spend_update(
                account=request.account,
                user=request.user,
                entry=entry,
                version=form.cleaned_data["version"],
                **fields,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Spend entry saved."))
            return redirect("spend:ledger", account_slug=request.account.slug)
    return render(request, "spend/edit.html", {"settings_tab": "spend", "form": form, "entry": entry}, status=400)


@account_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def spend_delete(request: AccountRequest, entry_id: int) -> HttpResponse:
    entry = _entry(request, entry_id)
    error = ""
    if request.method == "POST":
        try:
            services.spend_delete(
                account=request.account, user=request.user, entry=entry, version=parse_id(request.POST.get("version"))
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Spend entry deleted."))
            return redirect("spend:ledger", account_slug=request.account.slug)
    context = {"settings_tab": "spend", "entry": entry, "error": error}
    return render(request, "spend/delete.html", context, status=400 if error else 200)
