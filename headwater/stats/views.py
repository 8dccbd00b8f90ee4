from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from headwater.core.errors import DomainError
from headwater.core.querystrings import QueryWith
from headwater.core.reversed import account_reverse
from headwater.core.validation import parse_id
from headwater.records.listing import Column, Header, sort_headers
from headwater.stats import services
from headwater.stats.campaign_stats import CAMPAIGN_COUNTS
from headwater.stats.exports import source_stats_csv_response, source_stats_xlsx_response
from headwater.stats.filters import Period
from headwater.stats.forms import ExchangeRateEditForm, ExchangeRateForm, StatsFilterForm
from headwater.stats.funnel_page import funnel_chart_data, funnel_table_html
from headwater.stats.models import ExchangeRate
from headwater.stats.results import ChannelGroup, Section, SourceInfo, SourceStats, source_label
from headwater.stats.returns_page import campaigns_html, returns_chart_data, returns_table_html
from headwater.stats.selectors import (
    exchange_rate_list,
    source_stats_and_trend,
    tallies_rebuild_unfinished,
    touch_stats,
)
from headwater.stats.sorting import sort_groups, sort_rows
from headwater.stats.tables import Cells, Links, scrolling_table_html
from headwater.stats.trend import TrendBy
from headwater.stats.trend_page import trend_chart_data, trend_figures_details
from headwater.users.access import AccountRequest, account_view
from headwater.users.models import Role

SECTION_COLUMNS: dict[str, list[Column]] = {
    "contacts": [
        Column(gettext_lazy("Source"), "source"),
        Column(gettext_lazy("Companies"), "companies", numeric=True),
        Column(gettext_lazy("Share"), None, numeric=True),
        Column(gettext_lazy("Persons"), "persons", numeric=True),
        Column(gettext_lazy("Share"), None, numeric=True),
    ],
    "open": [
        Column(gettext_lazy("Source"), "source"),
        Column(gettext_lazy("Deals"), "count", numeric=True),
        Column(gettext_lazy("Share"), None, numeric=True),
        Column(gettext_lazy("Value"), "value", numeric=True),
        Column(gettext_lazy("Share of value"), None, numeric=True),
        Column(gettext_lazy("Average value"), "average", numeric=True),
    ],
    "closed": [
        Column(gettext_lazy("Source"), "source"),
        Column(pgettext_lazy("number of deals", "Won"), "won_count", numeric=True),
        Column(gettext_lazy("Won value"), "won_value", numeric=True),
        Column(pgettext_lazy("number of deals", "Lost"), "lost_count", numeric=True),
        Column(gettext_lazy("Lost value"), "lost_value", numeric=True),
        Column(gettext_lazy("Win rate"), "win_rate", numeric=True),
        Column(gettext_lazy("Average won value"), "average_won", numeric=True),
        Column(gettext_lazy("Average days to close"), "average_days", numeric=True),
        Column(gettext_lazy("Median days to close"), "median_days", numeric=True),
    ],
}


# Each table's caption: read by screen readers and naming its scroll box.
SECTION_CAPTIONS = {
    "contacts": gettext_lazy("Companies and persons per source"),
    "open": gettext_lazy("Open deals per source"),
    "closed": gettext_lazy("Won and lost deals per source"),
}


def _head(request: AccountRequest, param: str, headers: list[Header]) -> SafeString:
    """A table's header row; a sortable header links to the current URL with only this table's sort changed."""
    query = QueryWith(request.GET, param)  # the page's other parameters encoded once per table
    cells = []
    for header in headers:
        attributes = ' class="num"' if header.numeric else ""
        if header.aria_sort:
            attributes += f' aria-sort="{header.aria_sort}"'
        label = escape(str(header.label))  # what Django's `escape` makes of the text, without its checks
        if header.sort_param is not None:
            label = f'<a href="{escape(f"?{query(header.sort_param)}")}">{label}</a>'
        cells.append(f'<th scope="col"{attributes}>{label}</th>')
    return SafeString(f"<tr>{''.join(cells)}</tr>")  # every inserted text escaped above


def _chart_data(stats: SourceStats) -> dict[str, Any]:
    """What stats.js draws. Figures go as strings so no value is rounded on the way; only the chart uses floats."""
    contacts = [r for r in stats.contacts.rows if r.companies or r.persons]
    closed = [r for r in stats.closed_deals.rows if r.won_count or r.lost_count]
    return {
        "currency": stats.base_currency,
        "contacts": {
            "labels": [source_label(r.source) for r in contacts],
            "companies": [str(r.companies_share or 0) for r in contacts],
            "persons": [str(r.persons_share or 0) for r in contacts],
            "companies_label": _("Companies (%)"),
            "persons_label": _("Persons (%)"),
        },
        "won_value": {
            "labels": [source_label(r.source) for r in closed],
            "values": [str(r.won_value) for r in closed],
            "label": _("Won value (%(currency)s)") % {"currency": stats.base_currency},
        },
        "win_rate": {
            "labels": [source_label(r.source) for r in closed if r.win_rate is not None],
            "values": [str(r.win_rate) for r in closed if r.win_rate is not None],
            "label": _("Win rate (%)"),
        },
    }


def _part_url(request: AccountRequest, name: str, param: str) -> Callable[[Any], str]:
    """The URL of a part of the page that loads when opened (stats/part_views.py): the page's own parameters (its
    filters, valid: the page shows no part otherwise) and the part's `param`, a source (its key) or a name."""
    base = account_reverse(name, account_slug=request.account.slug)
    query = QueryWith(request.GET, param)  # the page's parameters encoded once, not once per source

    def url(value: Any) -> str:
        return f"{base}?{query(value.key if isinstance(value, SourceInfo) else str(value))}"

    return url


def _period_options(form: StatsFilterForm, selected: str) -> list[dict[str, Any]]:
    """The period select's options; each preset carries its days, which stats.js puts in the date inputs."""
    presets = form.preset_ranges()
    options = []
    for value, label in Period.choices:
        days = presets.get(value)
        options.append(
            {
                "value": value,
                "label": label,
                "selected": value == selected,
                "start": days.start.isoformat() if days else "",
                "end": days.end.isoformat() if days else "",
            }
        )
    return options


@account_view(read=Role.VIEWER, write=None)
def source_stats_page(request: AccountRequest) -> HttpResponse:
    """Statistics > Acquisition sources. The filters live in the URL; the CSV link repeats them."""
    account = request.account
    if not account.sources_enabled:
        return render(request, "stats/sources_off.html", {})
    rebuild = tallies_rebuild_unfinished(account=account)
    if rebuild is not None:
        # The tallies are being recomputed for a new time zone (or that failed): no figure is shown until they are
        # exact again; the page reloads itself when the job is done.
        return render(request, "stats/recomputing.html", {"job": rebuild})
    form = StatsFilterForm(request.GET, account=account)
    if not form.is_valid():
        invalid = {
            "form": form,
            "stats": None,
            "period_options": _period_options(form, request.GET.get("period", "")),
            # The tables' orders travel in hidden inputs: their errors go above the fields, and a wrong one is not
            # carried on, so "Show" clears it.
            "hidden_errors": [error for field in form.hidden_fields() for error in field.errors],
            "sort_params": {
                name: value for name, value in form.cleaned_data.items() if name.startswith("sort_") and value
            },
        }
        return render(request, "stats/sources.html", invalid, status=400)
    filters = form.filters()
    if filters.by_touch:
        touches = {
            "form": form,
            "period_options": _period_options(form, form.cleaned_data["period"]),
            "sort_params": form.sort_params(),
            "stats": None,
            "touches": touch_stats(account=account, filters=filters),
        }
        return render(request, "stats/sources.html", touches)
    # The trend (stats/trend.py, stats/trend_page.py): per month, stacked by source or by channel.
    trend_by: TrendBy = "channel" if form.trend_stacks() == "channel" else "source"
    # The campaigns' figures load when a source's drill-down is opened (stats/part_views.py): here only which
    # sources have campaigns, and how many.
    stats, trend = source_stats_and_trend(account=account, filters=filters, by=trend_by, campaigns=CAMPAIGN_COUNTS)
    sorts = form.sorts()
    cells = Cells(Links(account_slug=account.slug, filters=stats.filters))
    sections: dict[str, dict[str, Any]] = {}
    section: Section[Any]
    for name, section, row_cells in (
        ("contacts", stats.contacts, cells.contacts),
        ("open", stats.open_deals, cells.open),
        ("closed", stats.closed_deals, cells.closed),
    ):
        current = form.cleaned_data[f"sort_{name}"] if sorts[name] else ""
        bodies: str | None = None
        if section.channels:
            groups = [
                ChannelGroup(row=group.row, rows=sort_rows(group.rows, sorts[name]))
                for group in sort_groups(section.channels, sorts[name])
            ]
            table, bodies = cells.grouped_table(
                table_id=f"stats-{name}",
                groups=groups,
                loose=sort_rows(section.loose_rows, sorts[name]),
                total=section.total,
                cells=row_cells,
            )
        else:
            table = cells.table(sort_rows(section.rows, sorts[name]), section.total, row_cells)
        head = _head(request, f"sort_{name}", sort_headers(SECTION_COLUMNS[name], current))
        sections[name] = {
            "rows": table.rows,
            "total": table.total,
            "html": scrolling_table_html(
                table_id=f"stats-{name}",
                caption=str(SECTION_CAPTIONS[name]),
                head=head,
                body=table.body,
                foot=table.foot,
                bodies=bodies,
            ),
        }
    context: dict[str, Any] = {
        "form": form,
        "period_options": _period_options(form, form.cleaned_data["period"]),
        "sort_params": form.sort_params(),
        "stats": stats,
        "sections": sections,
        "owner_label": form.owner_label(),
        "chart_data": _chart_data(stats),
        # Spend and return (stats/returns_page.py): a section of its own.
        "returns_html": returns_table_html(stats, cells),
        "campaigns_html": campaigns_html(stats, cells, _part_url(request, "stats:sources_campaigns", "source")),
        # The funnel (stats/funnel_page.py): a section of its own.
        "funnel_html": funnel_table_html(stats, cells),
    }
    context["chart_data"]["returns"] = returns_chart_data(stats)
    context["chart_data"]["funnel"] = funnel_chart_data(stats)
    context["trend"] = trend
    # Each chart's figures load when its "Show the figures" is opened (stats/part_views.py).
    figures_url = _part_url(request, "stats:sources_trend_figures", "figures")
    context["trend_figures"] = {
        "contacts": trend_figures_details(
            figures="contacts", url=figures_url("contacts"), chart_title=_("New contacts per month")
        ),
        "won": trend_figures_details(
            figures="won",
            url=figures_url("won"),
            chart_title=_("Won value per month (%(currency)s)") % {"currency": stats.base_currency},
        ),
    }
    context["chart_data"]["trend"] = trend_chart_data(trend)
    return render(request, "stats/sources.html", context)


@account_view(read=Role.VIEWER, write=None)
def source_stats_csv_export(request: AccountRequest) -> HttpResponse:
    """The page's figures as CSV, in the page's row order."""
    return _source_stats_export(request, source_stats_csv_response)


@account_view(read=Role.VIEWER, write=None)
def source_stats_xlsx_export(request: AccountRequest) -> HttpResponse:
    """The page's figures as XLSX, in the page's row order."""
    return _source_stats_export(request, source_stats_xlsx_response)


def export_unavailable(request: AccountRequest) -> HttpResponse | None:
    """Why a statistics file cannot be made now (sources off: 404; the tallies being recomputed: 503), or None."""
    account = request.account
    if not account.sources_enabled:
        return render(request, "stats/sources_off.html", {}, status=404)
    rebuild = tallies_rebuild_unfinished(account=account)
    if rebuild is not None:
        # No file of figures for the old time zone: the page that says why, and when they are back.
        waiting = render(request, "stats/recomputing.html", {"job": rebuild}, status=503)
        waiting["Retry-After"] = "5"
        return waiting
    return None


def export_form_refused(form: Any) -> HttpResponse:
    """A statistics file's refused filters, one line per field, as a 400."""
    return HttpResponse(
        "\n".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _source_stats_export(request: AccountRequest, respond: Any) -> HttpResponse:
    unavailable = export_unavailable(request)
    if unavailable is not None:
        return unavailable
    form = StatsFilterForm(request.GET, account=request.account)
    if not form.is_valid():
        return export_form_refused(form)
    response: HttpResponse = respond(account=request.account, form=form)
    return response


# --- Exchange rates (account settings, admins only) ------------------------------------------------------


@account_view(read=Role.ADMIN, write=Role.ADMIN)
def rate_settings(request: AccountRequest) -> HttpResponse:
    account = request.account
    action = request.POST.get("action") if request.method == "POST" else None
    target_id = request.POST.get("rate_id", "")

    add_form = ExchangeRateForm(
        request.POST if action == "add" else None,
        base_currency=account.currency,
        initial={"currency": request.GET.get("currency", "")[:3].upper()},
        prefix="new",
    )
    if action == "add" and add_form.is_valid():
        try:
            rate = services.exchange_rate_create(
                account=account,
                user=request.user,
                currency=add_form.cleaned_data["currency"],
                rate=add_form.cleaned_data["rate"],
            )
        except DomainError as exc:
            _form_errors(add_form, exc)
        else:
            messages.success(request, _("Rate for %(code)s saved.") % {"code": rate.currency})
            return redirect("rates:settings", account_slug=account.slug)

    if action in ("update", "delete"):
        rate_id = parse_id(target_id)
        if rate_id is None:
            return HttpResponse(status=400)
        target = get_object_or_404(ExchangeRate.objects.for_account(account), pk=rate_id)
        if action == "delete":
            services.exchange_rate_delete(account=account, user=request.user, exchange_rate=target)
            messages.success(request, _("Rate for %(code)s deleted.") % {"code": target.currency})
            return redirect("rates:settings", account_slug=account.slug)

    rows: list[dict[str, Any]] = []
    for rate in exchange_rate_list(account=account):
        bound = action == "update" and str(rate.pk) == target_id
        form = ExchangeRateEditForm(
            request.POST if bound else None,
            currency=rate.currency,
            base_currency=account.currency,
            initial={"rate": format(rate.rate.normalize(), "f"), "version": rate.version},
            prefix=f"rate-{rate.pk}",
        )
        if bound and form.is_valid():
            try:
                services.exchange_rate_update(
                    account=account,
                    user=request.user,
                    exchange_rate=rate,
                    version=form.cleaned_data["version"],
                    rate=form.cleaned_data["rate"],
                )
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Rate for %(code)s saved.") % {"code": rate.currency})
                return redirect("rates:settings", account_slug=account.slug)
        rows.append({"rate": rate, "form": form, "stale": rate.base_currency != account.currency})
    status = 400 if (add_form.is_bound and add_form.errors) or any(r["form"].errors for r in rows) else 200
    return render(
        request,
        "stats/rates.html",
        {"add_form": add_form, "rows": rows, "settings_tab": "rates"},
        status=status,
    )


def _form_errors(form: Any, exc: DomainError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@account_view(read=None, write=Role.ADMIN)
def tallies_recompute(request: AccountRequest) -> HttpResponse:
    """Statistics > "Recompute now", offered when a recomputation failed: queue a new one."""
    services.tallies_rebuild_enqueue(account=request.account, user=request.user)
    return redirect("stats:sources", account_slug=request.account.slug)
