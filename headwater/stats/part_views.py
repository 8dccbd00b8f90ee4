"""The parts of the Statistics page that load when the user opens them (docs/statistics.md, "What loads when
opened"): a source's campaigns under "Spend and return", and the figures under each trend chart.

The page holds a closed <details> for each, whose htmx request (on its first opening) gets the part from here; a
plain request (the link in the <details>, for a browser without a script) gets the same part on a page of its own.
Every query parameter is validated as the page validates it, plus the part's own (`source`, `figures`): bad input is
a 400 that says what is wrong; a source of another account (or none at all) a 404, as "not yours" and "does not
exist" are one answer; the same figures as the page computed before these parts moved out of it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from headwater.core.models import Account
from headwater.sources.models import Source
from headwater.stats.campaign_stats import EVERY_CAMPAIGN, AllSources, CampaignScope
from headwater.stats.filters import DateRange, StatsFilters
from headwater.stats.forms import CampaignPartForm, StatsFilterForm, TrendPartForm
from headwater.stats.results import SourceInfo
from headwater.stats.returns_page import (
    campaign_table_caption,
    campaign_table_html,
    returns_source_rows,
    source_path_html,
)
from headwater.stats.selectors import source_stats, source_trend
from headwater.stats.tables import Cells, Links
from headwater.stats.trend import TrendBy
from headwater.stats.trend_page import trend_tables_html
from headwater.stats.views import export_unavailable
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role


def _no_owner_spend() -> str:
    """Why a campaigns' part is empty under an owner filter or figures by touch (the page shows no spend then)."""
    return _("Spend has no owner: choose all owners to see spend and return.")


# The page's own parameters a part carries back to it (the link to the page on a part's own page).
_PART_PARAMS = ("source", "figures")


@account_view(read=Role.VIEWER, write=None)
def source_campaigns_part(request: AccountRequest) -> HttpResponse:
    """One source's campaigns' table, as "Spend and return" showed it under the source's <details>."""
    unavailable = export_unavailable(request)
    if unavailable is not None:
        return unavailable
    account = request.account
    form = CampaignPartForm(request.GET, account=account)
    if not form.is_valid():
        return _refused(request, form, title=_("Spend and return per campaign"))
    source_id: int | AllSources | None = form.cleaned_data["source"]
    filters = form.filters()
    if isinstance(source_id, AllSources):
        return _every_sources_campaigns(request, filters)
    stats = source_stats(account=account, filters=filters, campaigns=CampaignScope(source_id=source_id))
    rows = stats.returns.rows if stats.returns is not None else []
    source_row = next((row for row in rows if row.source.id == source_id), None)
    if source_row is None and not _account_source(account=account, source_id=source_id):
        raise Http404
    title = campaign_table_caption(source_row.source if source_row else SourceInfo(id=source_id))
    if stats.returns is None:
        # An owner filter (spend has no owner) or figures by touch: the page shows no spend and return then.
        empty = _empty(_no_owner_spend())
        return _part(request, title, empty, period=filters.period)
    table = None
    if source_row is not None:
        table = campaign_table_html(stats, Cells(Links(account_slug=account.slug, filters=stats.filters)), source_row)
    if table is None:
        empty = _empty(_("This source has no campaigns with figures or spend in this period."))
        return _part(request, title, empty, period=filters.period)
    return _part(request, title, table, period=filters.period)


def _every_sources_campaigns(request: AccountRequest, filters: StatsFilters) -> HttpResponse:
    """Every source's campaigns' table, in the page's order, each under its source's name: the drill-downs all
    opened, on a page of their own (the page never asks for it: each <details> loads its own source's)."""
    account = request.account
    stats = source_stats(account=account, filters=filters, campaigns=EVERY_CAMPAIGN)
    title = _("Spend and return per campaign")
    if stats.returns is None:
        empty = _empty(_no_owner_spend())
        return _part(request, title, empty, period=filters.period)
    cells = Cells(Links(account_slug=account.slug, filters=stats.filters))
    parts = []
    for source_row in returns_source_rows(stats):
        table = campaign_table_html(stats, cells, source_row)
        if table is not None:
            parts.append(f'<h2 class="stats-part__source">{source_path_html(cells, source_row.source)}</h2>\n{table}')
    if not parts:
        empty = _empty(_("No source has campaigns with figures or spend in this period."))
        return _part(request, title, empty, period=filters.period)
    # Every inserted text escaped (Cells, bdi) or built escaped (the tables).
    return _part(request, title, SafeString("\n".join(parts)), period=filters.period)


@account_view(read=Role.VIEWER, write=None)
def trend_figures_part(request: AccountRequest) -> HttpResponse:
    """The figures of one trend chart (new contacts or won value per month), the table the page showed under it."""
    unavailable = export_unavailable(request)
    if unavailable is not None:
        return unavailable
    account = request.account
    form = TrendPartForm(request.GET, account=account)
    if not form.is_valid():
        return _refused(request, form, title=_("Trend"))
    by: TrendBy = "channel" if form.trend_stacks() == "channel" else "source"
    filters = form.filters()
    trend = source_trend(account=account, filters=filters, by=by)
    figures = form.cleaned_data["figures"]
    if not trend.months:
        return _part(request, _("Trend"), _empty(_("No figures in this period yet.")), period=filters.period)
    tables = trend_tables_html(trend)
    if figures == "contacts":
        title = _("New contacts per month")
    elif figures == "won":
        title = _("Won value per month (%(currency)s)") % {"currency": trend.base_currency}
    else:  # both, on a page of their own (the page asks for each chart's)
        both = SafeString(f"{tables['contacts']}\n{tables['won']}")
        return _part(request, _("Trend"), both, period=filters.period)
    return _part(request, title, tables[figures], period=filters.period)


def _account_source(*, account: Account, source_id: int | None) -> bool:
    """Whether the account has this source: a drill-down of a source without figures in the period is empty, not
    missing. Read only when the figures do not show the source (one query then)."""
    if source_id is None:
        return True  # "No source" is every account's
    return Source.objects.for_account(account).filter(pk=source_id).exists()


def _empty(message: str) -> SafeString:
    return SafeString(f'<p class="stats-part__empty">{escape(message)}</p>')


def _part(
    request: AccountRequest, title: str, html: SafeString, *, period: DateRange | None = None, status: int = 200
) -> HttpResponse:
    """The part alone for htmx (it replaces the placeholder in the page's <details>), or on a page of its own."""
    if request.htmx:
        response = HttpResponse(html, status=status)
    else:
        query = request.GET.copy()
        for name in _PART_PARAMS:
            query.pop(name, None)
        page_url = reverse("stats:sources", kwargs={"account_slug": request.account.slug})
        context: dict[str, Any] = {
            "title": title,
            "part": html,
            "period": period,
            "page_url": f"{page_url}?{query.urlencode()}" if query else page_url,
        }
        response = render(request, "stats/part.html", context, status=status)
    # The same URL answers a fragment or a page: a cache must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _refused(request: AccountRequest, form: StatsFilterForm, *, title: str) -> HttpResponse:
    """A 400 that names each refused parameter and why, as a part (the page never builds such a URL)."""
    items = "".join(
        f"<li><code>{escape(name)}</code>: {escape(' '.join(str(error) for error in errors))}</li>"
        for name, errors in form.errors.items()
    )
    message = escape(_("These figures cannot be shown for this address:"))
    html = SafeString(f'<div class="message message--error" role="alert"><p>{message}</p><ul>{items}</ul></div>')
    return _part(request, title, html, status=400)
